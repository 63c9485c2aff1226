"""Shared by the benchmark scripts: run a step in a fresh child process, measuring time and peak memory."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def run_child(code: str, *args: str) -> tuple[float, float, str]:
    """Run python ``code`` in a child; return (seconds, peak RSS in MiB, last stdout line)."""
    code += "\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"child failed with exit code {proc.returncode}")
    *lines, peak_kib = proc.stdout.strip().splitlines()
    return elapsed, int(peak_kib) / 1024, lines[-1]


def parse_args(description: str) -> argparse.Namespace:
    """The options every benchmark takes: ``--years``, ``--scale`` of the synthetic world, ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    return parser.parse_args()

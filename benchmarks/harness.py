"""Shared by the benchmark scripts: run a step in a fresh child process, measuring time and peak memory."""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple


class ChildRun(NamedTuple):
    """Wall seconds, peak RSS (MiB), last stdout line and CPU seconds of a child run."""

    seconds: float
    peak_mib: float
    last: str
    cpu_seconds: float


def run_child(code: str, *args: str) -> ChildRun:
    """Run python ``code`` in a child; return its wall and CPU time, peak RSS and last output line."""
    # VmHWM, not ru_maxrss: Linux carries the parent's peak across fork + exec into ru_maxrss, so a
    # child of a large parent would report the parent's peak; VmHWM belongs to the child's own memory.
    code += "\nimport re; print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"child failed with exit code {proc.returncode}")
    *lines, peak_kib = proc.stdout.strip().splitlines()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ChildRun(elapsed, int(peak_kib) / 1024, lines[-1] if lines else "", cpu)


def parse_args(description: str) -> argparse.Namespace:
    """The options every benchmark takes: ``--years``, ``--scale`` of the synthetic world, ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    return parser.parse_args()

"""Benchmark: `ingest challans` of 1, 5 and 20 million rows (CSV and Parquet) vs a bare DuckDB load.

Each run happens in a fresh child process, so peak memory (the child's VmHWM) is measured per run. The
baseline is `CREATE TABLE t AS SELECT * FROM read_csv(file)` (or `read_parquet`) into a new DuckDB
file; the product run is the full ingest (read in blocks, validate, hash registrations, assign H3
units, write Parquet fact files, resolve repeats, aggregate, atomic publish). Prints wall and CPU
time, their ratios (aim: <= 2x) and peak memory (aim: <= 1.5 GB, the same at 20M as at 1M).

The input files are the first N rows of the real-volume synthetic world (made once, outside the
repository, by ``benchmarks/real_volume.py --prepare`` or here when missing).

    .venv/bin/python benchmarks/ingest.py [--data /work/bench-data] [--sizes 1 5 20] [--formats csv parquet]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from harness import run_child

BASELINE = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
fn = "read_parquet" if sys.argv[1].endswith(".parquet") else "read_csv"
con.execute(f"CREATE TABLE t AS SELECT * FROM {fn}(?)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchone()[0])
"""

PRODUCT = """
import sys
from pathlib import Path
from roadsafety.config import load_settings, with_db
from roadsafety.sources.canonical import read_canonical_challans
from roadsafety.store.ingest import ingest_batch
settings = with_db(load_settings(), sys.argv[2])
result = ingest_batch(settings, read_canonical_challans(Path(sys.argv[1])))
print(result.loaded)
"""


def ensure_file(data: Path, millions: int, fmt: str) -> Path:
    """The first ``millions`` million challans of the real-volume world as CSV or Parquet."""
    path = data / "ingest" / f"challans_{millions}m.{fmt}"
    if path.exists():
        return path
    import duckdb
    from real_volume import ensure_world

    world = ensure_world(data / "real_volume" / "world")
    path.parent.mkdir(parents=True, exist_ok=True)
    options = "(FORMAT parquet, COMPRESSION zstd)" if fmt == "parquet" else "(HEADER)"
    part = path.with_name(path.name + ".part")  # renamed when complete: a killed copy leaves none
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{world / 'challans.parquet'}') "
        f"LIMIT {millions * 1_000_000}) TO '{part}' {options}"
    )
    con.close()
    part.replace(path)
    return path


def measure(path: Path) -> dict:
    """Baseline and product runs of one file."""
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        os.environ.setdefault("ROADSAFETY_KEY_FILE", str(Path(tmp) / "bench.key"))
        os.environ.pop("ROADSAFETY_REGION_BBOX", None)
        base = run_child(BASELINE, str(path), str(Path(tmp) / "base.duckdb"))
        prod = run_child(PRODUCT, str(path), str(Path(tmp) / "wh.duckdb"))
    return {
        "file": path.name,
        "rows": int(base.last),
        "loaded": int(prod.last),
        "baseline_s": round(base.seconds, 1),
        "ingest_s": round(prod.seconds, 1),
        "ratio": round(prod.seconds / base.seconds, 2),
        "baseline_cpu_s": round(base.cpu_seconds, 1),
        "ingest_cpu_s": round(prod.cpu_seconds, 1),
        "cpu_ratio": round(prod.cpu_seconds / base.cpu_seconds, 2),
        "baseline_peak_mib": round(base.peak_mib),
        "ingest_peak_mib": round(prod.peak_mib),
    }


def main() -> None:
    """Run every size and format; print a table and write ``<out>/ingest.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    results = []
    for fmt in args.formats:
        for millions in args.sizes:
            r = measure(ensure_file(args.data, millions, fmt))
            results.append(r)
            print(
                f"{r['file']:24s} {r['rows']:>11,} rows | duckdb {r['baseline_s']:6.1f}s "
                f"({r['baseline_peak_mib']:5d} MiB) | ingest {r['ingest_s']:6.1f}s "
                f"({r['ingest_peak_mib']:5d} MiB) | wall ratio {r['ratio']:.2f}x, "
                f"cpu ratio {r['cpu_ratio']:.2f}x (aim <= 2x, <= 1536 MiB)",
                flush=True,
            )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

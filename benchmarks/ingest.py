"""Benchmark: `ingest challans` on a >= 5 million-row synthetic file vs a plain DuckDB load.

Both runs happen in this script, each in a fresh child process so that peak memory (ru_maxrss) is
measured per run. The baseline is `CREATE TABLE t AS SELECT * FROM read_csv(file)` into a new DuckDB
file; the product run is the full ingest (read, validate, hash registrations, assign H3 units, dedupe,
merge, quarantine, atomic publish). Prints wall time, the ratio (aim: <= 2x) and peak memory.

    .venv/bin/python benchmarks/ingest.py [--years 10] [--scale 1.0] [--out benchmarks/out]
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from harness import parse_args, run_child

BASELINE = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
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


def ensure_file(out: Path, years: int, scale: float) -> Path:
    """Generate the synthetic challans file once (reused on later runs)."""
    path = out / f"synth_y{years}_s{scale}" / "challans.csv"
    if not path.exists():
        from roadsafety.sources.synthetic import generate_world

        generate_world(path.parent, years=years, scale=scale, seed=7)
    return path


def main() -> None:
    """Run baseline and product ingest, print the comparison as text and JSON."""
    args = parse_args(__doc__.splitlines()[0])
    path = ensure_file(args.out, args.years, args.scale)
    rows = sum(1 for _ in path.open()) - 1
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("ROADSAFETY_KEY_FILE", str(Path(tmp) / "bench.key"))
        os.environ.pop("ROADSAFETY_REGION_BBOX", None)
        base_s, base_mb, base_rows = run_child(BASELINE, str(path), str(Path(tmp) / "base.duckdb"))
        prod_s, prod_mb, loaded = run_child(PRODUCT, str(path), str(Path(tmp) / "wh.duckdb"))
    result = {
        "rows": rows,
        "baseline_rows": int(base_rows),
        "loaded": int(loaded),
        "baseline_seconds": round(base_s, 2),
        "ingest_seconds": round(prod_s, 2),
        "ratio": round(prod_s / base_s, 2),
        "baseline_peak_mib": round(base_mb),
        "ingest_peak_mib": round(prod_mb),
    }
    print(
        f"rows {rows:,}: duckdb CTAS {base_s:.1f}s ({base_mb:.0f} MiB peak) | "
        f"roadsafety ingest {prod_s:.1f}s ({prod_mb:.0f} MiB peak) | ratio {prod_s / base_s:.2f}x (aim <= 2x)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

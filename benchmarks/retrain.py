"""Benchmark: a full `retrain` (features, 2 backtest folds, final fit, registration) on a synthetic world.

Generates (once) a seeded synthetic world, ingests accidents and challans into a fresh warehouse,
then runs `retrain` and a one-year `forecast` in fresh child processes so that peak memory
(the child's VmHWM) is measured per step. Prints wall time, the ratio to the 10-minute budget and peak
memory, and writes them as JSON to ``<out>/retrain.json``.

    .venv/bin/python benchmarks/retrain.py [--years 10] [--scale 1.0] [--out benchmarks/out]
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from harness import parse_args, run_child

BUDGET_S = 600.0
END = date(2026, 1, 1)

INGEST = """
import sys
from pathlib import Path
from roadsafety.config import load_settings, with_db
from roadsafety.sources.canonical import read_canonical_accidents, read_canonical_challans
from roadsafety.store.ingest import ingest_batch
settings = with_db(load_settings(), sys.argv[2])
world = Path(sys.argv[1])
a = ingest_batch(settings, read_canonical_accidents(next(world.glob('accidents.*'))))
c = ingest_batch(settings, read_canonical_challans(next(world.glob('challans.*'))))
print(a.loaded, c.loaded)
"""

RETRAIN = """
import sys
from datetime import date
from roadsafety.config import load_settings, with_db
from roadsafety.forecasts.pipeline import retrain
r = retrain(with_db(load_settings(), sys.argv[1]), date.fromisoformat(sys.argv[2]))
print(r.version_id, r.score, r.n_units, r.n_train_rows)
"""

FORECAST = """
import sys
from datetime import date
from roadsafety.config import load_settings, with_db
from roadsafety.forecasts.pipeline import forecast
start = date.fromisoformat(sys.argv[2])
print(forecast(with_db(load_settings(), sys.argv[1]), start, date(start.year, 12, 31), force=True))
"""


def ensure_world(out: Path, years: int, scale: float) -> Path:
    """Generate the synthetic world once (reused on later runs)."""
    world = out / f"synth_y{years}_s{scale}_end{END:%Y%m%d}"
    if not (world / "truth.csv").exists():
        from roadsafety.sources.synthetic import generate_world

        generate_world(world, years=years, scale=scale, seed=7, end=END, fmt="parquet")
    return world


def main() -> None:
    """Run the benchmark and print the figures."""
    args = parse_args(__doc__.splitlines()[0])
    args.out.mkdir(parents=True, exist_ok=True)
    world = ensure_world(args.out, args.years, args.scale)
    db = world / "bench.duckdb"
    if not db.exists():
        secs, peak, rows, _ = run_child(INGEST, str(world), str(db))
        sys.stderr.write(f"ingest: {secs:.0f}s, peak {peak:.0f} MiB, rows {rows}\n")
    as_of = END.isoformat()
    r_secs, r_peak, r_line, _ = run_child(RETRAIN, str(db), as_of)
    f_secs, f_peak, f_line, _ = run_child(FORECAST, str(db), as_of)
    result = {
        "years": args.years,
        "scale": args.scale,
        "retrain_s": round(r_secs, 1),
        "retrain_peak_mib": round(r_peak),
        "retrain_vs_budget": round(r_secs / BUDGET_S, 3),
        "retrain": r_line,
        "forecast_1y_s": round(f_secs, 1),
        "forecast_peak_mib": round(f_peak),
        "forecast_run": f_line,
    }
    (args.out / "retrain.json").write_text(json.dumps(result, indent=2))
    for k, v in result.items():
        sys.stdout.write(f"{k}: {v}\n")


if __name__ == "__main__":
    main()

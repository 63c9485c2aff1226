"""Benchmark: `roadsafety plan` for a year-long window on the 10-year synthetic world.

Reuses the world and warehouse of ``benchmarks/retrain.py`` (generated, ingested and retrained
here when absent), then times in fresh child processes: the one-year forecast run the plan reads
(the baseline: what ``plan`` costs when no run exists yet is that plus the plan), and the ``plan``
command itself (CSV, 1,200 team-hours a week) with the run present — process start and imports
included. Prints the seconds, the ratio to the 30-second target and to the forecast run, and writes
them as JSON to ``<out>/plan.json``.

    .venv/bin/python benchmarks/plan.py [--years 10] [--scale 1.0] [--out benchmarks/out]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harness import parse_args, run_child
from retrain import END, FORECAST, INGEST, RETRAIN, ensure_world

TARGET_S = 30.0
PLAN = """
import sys
from typer.testing import CliRunner
from roadsafety.cli import app
args = ["--db", sys.argv[1], "plan", "--start", sys.argv[2], "--end", sys.argv[3],
        "--team-hours", "1200", "--out", sys.argv[4]]
result = CliRunner().invoke(app, args)
assert result.exit_code == 0, result.output
import polars as pl
rows = pl.read_csv(sys.argv[4])
print(rows.height, int(rows["team_hours_per_week"].sum()))
"""
HAS_CHAMPION = """
import sys
from roadsafety.config import load_settings, with_db
from roadsafety.forecasts.pipeline import current_champion
print(current_champion(with_db(load_settings(), sys.argv[1])) is not None)
"""


def ensure_champion(world: Path) -> Path:
    """The benchmark warehouse with a champion model (ingest and retrain when missing)."""
    db = world / "bench.duckdb"
    if not db.exists():
        secs, _, rows = run_child(INGEST, str(world), str(db))
        sys.stderr.write(f"ingest: {secs:.0f}s, rows {rows}\n")
    if run_child(HAS_CHAMPION, str(db))[2] != "True":
        secs, _, line = run_child(RETRAIN, str(db), END.isoformat())
        sys.stderr.write(f"retrain: {secs:.0f}s ({line})\n")
    return db


def main() -> None:
    """Run the benchmark and print the figures."""
    args = parse_args(__doc__.splitlines()[0])
    args.out.mkdir(parents=True, exist_ok=True)
    world = ensure_world(args.out, args.years, args.scale)
    db = ensure_champion(world)
    start, end = END.isoformat(), f"{END.year}-12-31"
    f_secs, f_peak, _ = run_child(FORECAST, str(db), start)
    p_secs, p_peak, p_line = run_child(PLAN, str(db), start, end, str(args.out / "plan.csv"))
    rows, hours = (int(v) for v in p_line.split())
    result = {
        "years": args.years,
        "scale": args.scale,
        "window": f"{start}..{end}",
        "plan_s": round(p_secs, 1),
        "plan_vs_target": round(p_secs / TARGET_S, 2),
        "plan_peak_mib": round(p_peak),
        "forecast_run_s": round(f_secs, 1),
        "plan_vs_forecast_run": round(p_secs / f_secs, 2),
        "plan_without_run_s": round(p_secs + f_secs, 1),
        "plan_rows": rows,
        "team_hours_used": hours,
    }
    (args.out / "plan.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

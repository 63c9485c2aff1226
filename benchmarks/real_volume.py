"""Haryana's real volume on one machine: 10 years at ~52 lakh challans and ~10,400 accidents a year.

Generates the world once (outside the repository: ``--data``, default /work/bench-data), splits it
into one file per year, then ingests it year by year into a fresh warehouse. After 1, 3 and 10
years it measures, each step in a fresh child process (wall time, peak RSS): retrain, the standard
7- and 30-day forecasts, exports (risk list CSV/XLSX/PDF, enforcement gap, blackspots) and every app
page's callbacks (p50/p95 over 20 requests each). After the last checkpoint it loads a daily file of
15,000 challans (and loads it again: all duplicates), checking that no stored fact file changed.
Targets: retrain < 10 min, callbacks p95 < 300 ms, exports < 10 s, every step's peak < 8 GB.
Results: ``<out>/real_volume.json``. Nothing here asserts a time.

    .venv/bin/python benchmarks/real_volume.py [--data /work/bench-data] [--checkpoints 1 3 10]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from harness import ChildRun, run_child

log = logging.getLogger("bench")
END = date(2026, 1, 1)
YEARS, CHALLAN_SCALE, DAILY = 10, 10.4, 15_000

INGEST = """
import sys
from pathlib import Path
from roadsafety.config import load_settings, with_db
from roadsafety.sources.canonical import read_canonical_accidents, read_canonical_challans
from roadsafety.store.ingest import ingest_batch
read = read_canonical_accidents if sys.argv[3] == "accidents" else read_canonical_challans
r = ingest_batch(with_db(load_settings(), sys.argv[2]), read(Path(sys.argv[1])))
print(r.rows_read, r.loaded, r.quarantined, r.duplicates)
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
from roadsafety.forecasts.pipeline import publish_standard_forecasts
print(publish_standard_forecasts(with_db(load_settings(), sys.argv[1]), date.fromisoformat(sys.argv[2])))
"""

EXPORT = """
import sys
from roadsafety.cli import app
app(["--db", sys.argv[1], "export", *sys.argv[2:]], standalone_mode=False)
print("ok")
"""

APP = """
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from app_callbacks import page_percentiles
with tempfile.TemporaryDirectory() as tmp:
    print(json.dumps(page_percentiles(Path(sys.argv[1]), Path(tmp))))
"""

USER = """
import sys
sys.path.insert(0, sys.argv[2])
from app_callbacks import USER, PASSWORD
from roadsafety.store.connection import write_connection
from roadsafety.store.users import add_user
with write_connection(sys.argv[1]) as con:
    if not con.execute("SELECT count(*) FROM users WHERE username = ?", [USER]).fetchone()[0]:
        add_user(con, USER, PASSWORD, "admin", None)
print("ok")
"""


def ensure_world(world: Path, scale: float = 1.0, challan_scale: float = CHALLAN_SCALE) -> Path:
    """The 10-year real-volume world (generated once; about 15 minutes and 1.3 GB)."""
    if not (world / "truth.csv").exists():
        from roadsafety.sources.synthetic import generate_world

        generate_world(
            world,
            years=YEARS,
            scale=scale,
            challan_scale=challan_scale,
            seed=7,
            end=END,
            fmt="parquet",
        )
    return world


def year_files(world: Path, years: int = YEARS) -> dict[int, dict[str, Path]]:
    """One accidents and one challans Parquet file per year of the first ``years`` (split once)."""
    import duckdb

    out = world / "years"
    out.mkdir(exist_ok=True)
    files = {}
    for year in range(END.year - YEARS, END.year - YEARS + years):
        files[year] = {}
        for kind, col in (("accidents", "occurred_at"), ("challans", "issued_at")):
            path = out / f"{kind}_{year}.parquet"
            if not path.exists():  # written beside, then renamed: a killed split leaves no file
                part = path.with_suffix(".part")
                con = duckdb.connect()
                con.execute("SET memory_limit = '2GB'")
                con.execute(
                    f"COPY (SELECT * FROM read_parquet('{world / f'{kind}.parquet'}') "
                    f"WHERE starts_with({col}, '{year}')) TO '{part}' (FORMAT parquet, COMPRESSION zstd)"
                )
                con.close()
                part.replace(path)
            files[year][kind] = path
    return files


def _step(name: str, run: ChildRun, **extra: object) -> dict:
    log.info("%-34s %8.1f s  peak %6.0f MiB  %s", name, run.seconds, run.peak_mib, run.last[:90])
    return {
        "step": name,
        "seconds": round(run.seconds, 1),
        "peak_mib": round(run.peak_mib),
        "cpu_s": round(run.cpu_seconds, 1),
        "out": run.last[:300],
    } | extra


def daily_file(last_year: Path, year: int, target: Path) -> Path:
    """15,000 challans on the day after the data (the last day's rows, new ids, one day later)."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * REPLACE ('INC-' || challan_id AS challan_id,
                                    strftime(strptime(issued_at, '%Y-%m-%d %H:%M:%S') + INTERVAL 1 DAY,
                                             '%Y-%m-%d %H:%M:%S') AS issued_at)
                  FROM read_parquet('{last_year}')
                  WHERE starts_with(issued_at, '{year}-12-31') LIMIT {DAILY})
            TO '{target}' (HEADER)"""
    )
    return target


def increment(db: Path, last_year: Path, year: int, tmp: Path) -> list[dict]:
    """Load a daily file twice; check that no stored fact file changed."""
    from roadsafety.store.connection import read_connection
    from roadsafety.store.facts import facts_root, live_files

    with read_connection(db) as con:
        before = live_files(con, "challans")
    root = facts_root(db)
    stats = {p: (root / p).stat() for p in before}
    path = daily_file(last_year, year, tmp / "daily.csv")
    first = run_child(INGEST, str(path), str(db), "challans")
    again = run_child(INGEST, str(path), str(db), "challans")
    with read_connection(db) as con:
        after = set(live_files(con, "challans"))
    untouched = all(
        p in after
        and (root / p).stat().st_ino == s.st_ino
        and (root / p).stat().st_mtime_ns == s.st_mtime_ns
        for p, s in stats.items()
    )
    return [
        _step("increment: 15,000 challans", first, stored_files_untouched=untouched),
        _step("increment again (all duplicates)", again),
    ]


def _attempt(name: str, code: str, *args: str) -> dict:
    """One measured step; a failing step is recorded and the benchmark goes on."""
    try:
        run = run_child(code, *args)
    except SystemExit as exc:
        log.info("%-34s FAILED: %s", name, exc)
        return {"step": name, "failed": str(exc)}
    extra = {"pages": json.loads(run.last)} if code is APP else {}
    return _step(name, run, **extra)


def checkpoint(db: Path, years: int, tmp: Path) -> list[dict]:
    """Retrain, forecast, export and app timings on the warehouse as it is."""
    as_of = date(END.year - YEARS + years, 1, 1).isoformat()
    steps = [_attempt("retrain", RETRAIN, str(db), as_of)]
    steps.append(_attempt("forecast 7 + 30 days", FORECAST, str(db), as_of))
    if "failed" in steps[-1]:
        return steps
    window = ["--start", as_of]
    for args in (
        ["risk-list", "--out", str(tmp / "risk.csv"), *window],
        ["risk-list", "--out", str(tmp / "risk.xlsx"), *window],
        ["risk-list", "--out", str(tmp / "risk.pdf"), *window],
        ["enforcement-gap", "--out", str(tmp / "gap.csv"), *window],
        # the published run, like the others: without --start the export first forecasts today's
        # window with the champion (a forecast step, ~60 s and 3.7 GB at 10 years, not an export)
        ["blackspots", "--out", str(tmp / "spots.csv"), *window],
    ):
        steps.append(_attempt(f"export {args[0]} {Path(args[2]).suffix}", EXPORT, str(db), *args))
    bench = str(Path(__file__).resolve().parent)
    steps.append(_attempt("app user", USER, str(db), bench))
    steps.append(_attempt("app callbacks (20 requests each)", APP, str(db), bench))
    return steps


def sizes(db: Path) -> dict:
    """Warehouse file, facts folder and aggregate sizes."""
    from roadsafety.store.connection import read_connection
    from roadsafety.store.facts import facts_root

    root = facts_root(db)
    with read_connection(db) as con:
        agg, files, challans = con.execute(
            "SELECT (SELECT count(*) FROM challan_unit_day), (SELECT count(*) FROM fact_files), "
            "(SELECT sum(rows) FROM fact_files)"
        ).fetchone()
    facts_bytes = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    return {
        "duckdb_mib": round(db.stat().st_size / 2**20),
        "facts_mib": round(facts_bytes / 2**20),
        "fact_files": files,
        "challans": challans,
        "challan_unit_day_rows": agg,
    }


def main() -> None:
    """Run the whole benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--scale", type=float, default=1.0, help="accidents: 1 = ~10,400 a year")
    parser.add_argument("--challan-scale", type=float, default=CHALLAN_SCALE, help="10.4 = 52 lakh")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    real = (args.scale, args.challan_scale) == (1.0, CHALLAN_SCALE)
    name = "real_volume" if real else f"volume_s{args.scale:g}_c{args.challan_scale:g}"
    world = ensure_world(args.data / name / "world", args.scale, args.challan_scale)
    files = year_files(world, max(args.checkpoints))
    wh = args.data / name / "warehouse"
    shutil.rmtree(wh, ignore_errors=True)
    wh.mkdir(parents=True)
    db = wh / "roadsafety.duckdb"
    os.environ.setdefault("ROADSAFETY_KEY_FILE", str(wh / "pii.key"))
    os.environ.pop("ROADSAFETY_REGION_BBOX", None)
    report: dict = {"ingest": [], "checkpoints": {}}
    with tempfile.TemporaryDirectory(dir=args.data) as tmp:
        for n, (year, paths) in enumerate(sorted(files.items()), start=1):
            for kind in ("accidents", "challans"):
                run = run_child(INGEST, str(paths[kind]), str(db), kind)
                report["ingest"].append(_step(f"ingest {kind} {year}", run, year=year, kind=kind))
            if n in args.checkpoints:
                steps = checkpoint(db, n, Path(tmp))
                if n == max(args.checkpoints):
                    steps += increment(db, paths["challans"], year, Path(tmp))
                report["checkpoints"][n] = {"steps": steps, "sizes": sizes(db)}
                log.info("after %d years: %s", n, report["checkpoints"][n]["sizes"])
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "real_volume.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()

"""Server time of each app callback on 10 synthetic years, against the 300 ms budget (as ratios).

Usage::

    .venv/bin/python benchmarks/app_callbacks.py                 # builds a 10-year seeded world
    .venv/bin/python benchmarks/app_callbacks.py --db PATH       # any warehouse with a champion forecast

Each callback is posted to ``/_dash-update-component`` through the Flask test client (so the time
includes auth, the query, the figure and JSON encoding, but no network). "cold" is the first call
after the warehouse file changed (it builds the cached snapshot, including each shown run's list
units and the per-place challan index; ``serve`` pre-builds it in the background, so officers rarely
pay it); "warm" is the median of 5 repeated calls; "first view" is the median over 5 different units
/ filters never asked before, with the snapshot already built but nothing of that unit or filter
computed (the usual case: an officer opens another corridor or district).
Results go to ``benchmarks/out/app_callbacks.json``. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "dash_app")]  # worlds, app_clients

BUDGET_MS = 300.0
log = logging.getLogger("bench")
USER, PASSWORD = "bench", "bench-only-password"


def build(tmp: Path, db: Path | None) -> Path:
    """The warehouse to measure (a copy when given) with a benchmark admin user."""

    from worlds import app_world

    from roadsafety.store.connection import copy_warehouse, write_connection
    from roadsafety.store.users import add_user

    target = tmp / "bench.duckdb"
    if db is None:
        t0 = time.perf_counter()
        # ~4,000 units; scale 0.7 gives ~100,000 accidents; challans are scaled too: 5M / (10 * 0.7) a year
        app_world(
            target, years=10, scale=0.7, cells_per_road=1500, challans_per_year=714_286, seed=3
        )
        log.info("built 10-year world in %.0f s", time.perf_counter() - t0)
    else:
        copy_warehouse(db, target)
    with write_connection(target) as con:
        add_user(con, USER, PASSWORD, "admin", None)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM accidents), (SELECT count(*) FROM challans), "
            "(SELECT count(*) FROM spatial_units)"
        ).fetchone()
    log.info("warehouse: %d accidents, %d challans, %d units", *counts)
    return target


def cases(app, district: str, unit: str) -> dict[str, tuple[str, dict]]:
    """Callback (output id part) and inputs for every measured case."""
    grid = {
        "risk-window": 7,
        "risk-severity": "all",
        "risk-band": "low",
        "risk-top": 100,
        "risk-merge": [],
    }
    return {
        "overview (state)": ("overview-kpis.children", {"overview-window": 7}),
        "overview (district)": (
            "overview-kpis.children",
            {"overview-district": district, "overview-window": 30},
        ),
        "risk list (state, 100 rows)": ("risk-grid.rowData", grid),
        "risk list (district, merged)": (
            "risk-grid.rowData",
            grid | {"risk-district": district, "risk-merge": ["merge"]},
        ),
        "police stations": ("risk-ps.options", {"risk-district": district}),
        "periods (state)": ("periods-weekly.figure", {}),
        "periods (district)": ("periods-weekly.figure", {"periods-district": district}),
        "corridor detail": ("corridor-body.children", {"corridor-pick": unit}),
        "corridor options": ("corridor-pick.options", {"corridor-pick": unit}),
        "enforcement (state)": ("enf-note.children", {"enf-window": 7}),
        "enforcement (district)": (
            "enf-note.children",
            {"enf-district": district, "enf-window": 30},
        ),
        "model health": ("health-body.children", {}),
        "district options": ("overview-district.options", {}),
        "plan a drive (state, 4 weeks, 1,200 team-hours)": ("plan-summary.children", plan_values()),
    }


def plan_values(district: str | None = None, hours: str = "1200") -> dict:
    """Inputs of the Plan a drive page: next Monday for four weeks."""
    from datetime import date, timedelta

    from roadsafety.exports.plan import next_monday

    monday = next_monday(date.today())
    return {
        "plan-district": district,
        "plan-hours": hours,
        "plan-shift": 3,
        "plan-objective": "all",
        "plan-dates.start_date": str(monday),
        "plan-dates.end_date": str(monday + timedelta(days=27)),
    }


def timed(client, body: dict) -> float:
    """Milliseconds for one callback request (fails loudly on an error response)."""
    t0 = time.perf_counter()
    resp = client.post("/_dash-update-component", json=body)
    ms = (time.perf_counter() - t0) * 1000
    if resp.status_code not in (200, 204):
        raise RuntimeError(f"callback failed: {resp.status_code} {resp.data[:300]!r}")
    return ms


def measure(db: Path, tmp: Path) -> list[dict]:
    """Cold and warm times of every case."""
    import os

    from app_clients import callback_payload

    from dash_app import queries

    app, client = login(db, tmp)
    units = queries.forecast_units(queries.AppStore(db), 7, None).sort("rank")
    district, unit = units["district"][0], units["unit_id"][0]
    results = []
    for name, (output, values) in cases(app, district, unit).items():
        body = callback_payload(app, output, values)
        os.utime(db)  # new file version: the next call is cold
        cold = timed(client, body)
        warm = statistics.median(timed(client, body) for _ in range(5))
        results.append(
            {
                "callback": name,
                "cold_ms": round(cold, 1),
                "warm_ms": round(warm, 1),
                "warm_ratio": round(warm / BUDGET_MS, 3),
                "cold_ratio": round(cold / BUDGET_MS, 3),
            }
        )
        log.info(
            "%-30s cold %7.1f ms (%.2fx)  warm %7.1f ms (%.2fx budget)",
            name,
            cold,
            cold / BUDGET_MS,
            warm,
            warm / BUDGET_MS,
        )
    results += first_views(app, client, units)
    return results


def login(db: Path, tmp: Path):  # noqa: ANN201 - (Dash app, Flask test client)
    """The app over ``db`` and a test client signed in as the benchmark user."""
    from dash_app.app import create_app

    app = create_app(db, key_dir=tmp / "keys")
    client = app.server.test_client()
    token = re.search(
        r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)
    ).group(1)
    client.post("/login", data={"csrf": token, "username": USER, "password": PASSWORD})
    client.get("/")
    return app, client


def page_percentiles(db: Path, tmp: Path, samples: int = 20) -> list[dict]:
    """p50 / p95 of every page's callbacks over ``samples`` requests each, the inputs cycling over
    districts and units (first views and repeats), after the snapshot is built (its build, the
    first request after a warehouse swap and what ``serve`` does in the background, is reported as
    ``cold_ms``, then serve's heap settling as ``settle_ms``; nothing else is warmed before the
    measured requests)."""
    import os

    from app_clients import callback_payload

    from dash_app import queries

    app, client = login(db, tmp)
    units = queries.forecast_units(queries.AppStore(db), 7, None).sort("rank")
    districts = units["district"].unique().sort().to_list()[:5]
    picks = units["unit_id"][:5].to_list()
    os.utime(db)
    cold = timed(client, callback_payload(app, "overview-kpis.children", {"overview-window": 7}))
    settle_ms = after_build()
    out = []
    for name, (output, values) in cases(app, districts[0], picks[0]).items():
        times = []
        for i in range(samples):
            varied = dict(values)
            for key in varied:
                if key.endswith("-district"):
                    varied[key] = districts[i % len(districts)]
                if key == "corridor-pick":
                    varied[key] = picks[i % len(picks)]
            times.append(timed(client, callback_payload(app, output, varied)))
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        out.append(
            {
                "callback": name,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95, 1),
                "cold_ms": round(cold, 1),
                "settle_ms": settle_ms,
            }
        )
        log.info("%-30s p50 %7.1f ms  p95 %7.1f ms", name, out[-1]["p50_ms"], p95)
    return out


def after_build() -> float | None:
    """What ``serve``'s background builder does after a snapshot build (``web.settle_heap``), in
    milliseconds; None for code without it (so one script measures before and after)."""
    from roadsafety.commands import web

    settle = getattr(web, "settle_heap", None)
    return round(settle() * 1000, 1) if settle else None


def first_views(app, client, units) -> list[dict]:
    """Median time of the first request for new units / filters (snapshot warm, memo cold)."""
    from app_clients import callback_payload

    picks = units["unit_id"][1:6].to_list()
    districts = units["district"].unique().sort().to_list()
    grids = [
        {
            "risk-district": d,
            "risk-window": w,
            "risk-severity": s,
            "risk-band": "low",
            "risk-top": 200,
            "risk-merge": [],
        }
        for d in districts
        for w in (7, 30)
        for s in ("all", "fatal_grievous")
    ][:5]
    out = []
    for name, output, variants in (
        (
            "corridor detail, first view of a unit",
            "corridor-body.children",
            [{"corridor-pick": u} for u in picks],
        ),
        ("risk list, first view of a filter", "risk-grid.rowData", grids),
        (
            "enforcement, first view of a district",
            "enf-note.children",
            [{"enf-district": d, "enf-window": 7} for d in districts[:5]],
        ),
        (
            "plan a drive, first view of a request",
            "plan-summary.children",
            [plan_values(d, h) for d in (None, *districts[:2]) for h in ("120", "1200")][:5],
        ),
    ):
        times = [timed(client, callback_payload(app, output, v)) for v in variants]
        ms = statistics.median(times)
        out.append(
            {
                "callback": name,
                "first_view_ms": round(ms, 1),
                "first_view_ratio": round(ms / BUDGET_MS, 3),
            }
        )
        log.info("%-38s first view %7.1f ms (%.2fx budget)", name, ms, ms / BUDGET_MS)
    return out


def main() -> None:
    """Build or copy the warehouse, measure, write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="roadsafety-bench-") as tmp:
        db = build(Path(tmp), args.db)
        results = measure(db, Path(tmp))
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "app_callbacks.json").write_text(
        json.dumps({"budget_ms": BUDGET_MS, "results": results}, indent=2)
    )
    worst = max(r.get("warm_ratio", r.get("first_view_ratio", 0)) for r in results)
    log.info(
        "worst warm ratio %.2f of the %d ms budget; report in benchmarks/out/app_callbacks.json",
        worst,
        BUDGET_MS,
    )


if __name__ == "__main__":
    main()

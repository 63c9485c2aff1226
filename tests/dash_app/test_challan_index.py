"""The snapshot's per-place challan index gives a place's detail exactly what the aggregate scans
gave: the same newest days (so the same newest challans) and the same 90-day offence mix, for
single places, corridors of cells and district-scoped readers; it says "cannot tell" rather than
guess when a sparse place's challans reach back before its window."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from dash_app import queries
from dash_app.queries import challans as index_mod
from dash_app.queries.unit import read_unit_detail
from roadsafety import schemas
from roadsafety.store.connection import read_connection

UNITS = ("u1", "u2", "u3", "u4")  # u4: sparse lately, older challans before
DISTRICTS = ("Karnal", "Panipat", None)
LAST = date(2025, 12, 31)


def _aggregate(seed: int) -> pl.DataFrame:
    """A random ``challan_unit_day``: dense, sparse, old-only and border (two-district) places."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit, district in [(u, d) for u in UNITS[:3] for d in DISTRICTS]:
        span = int(rng.choice([20, 200, 900]))
        old = rng.random() < 0.3  # only challans older than a year
        for _ in range(int(rng.integers(0, 40))):
            back = int(rng.integers(0, span)) + (400 if old else 0)
            n = int(rng.integers(1, 6))
            offs = rng.multinomial(n, [1 / len(schemas.OFFENCES)] * len(schemas.OFFENCES))
            rows.append(
                {"unit_id": unit, "district": district, "issued_day": LAST - timedelta(back)}
                | {"n": n}
                | {f"off_{o}": int(c) for o, c in zip(schemas.OFFENCES, offs, strict=True)}
            )
    rows.append({"unit_id": None, "district": "Karnal", "issued_day": LAST, "n": 3})
    for back, n in ((10, 2), (500, 4), (700, 30)):
        rows.append({"unit_id": "u4", "district": "Panipat", "issued_day": LAST - timedelta(back)})
        rows[-1] |= {"n": n, "off_other": n}
    return pl.DataFrame(rows).with_columns(
        pl.col(f"off_{o}").fill_null(0) for o in schemas.OFFENCES
    )


def _scanned_days(con, unit_ids: tuple[str, ...], district: str | None) -> list[tuple]:
    """What ``challan_days.recent_rows`` reads from the aggregate (the exact list)."""
    scope = " AND (district IS NULL OR lower(district) = lower(?))" if district else ""
    marks = ", ".join("?" for _ in unit_ids)
    return con.execute(
        f"""SELECT issued_day, sum(n) OVER (ORDER BY issued_day DESC) AS running
            FROM (SELECT issued_day, sum(n) AS n FROM challan_unit_day
                  WHERE unit_id IN ({marks}){scope} GROUP BY 1) ORDER BY issued_day DESC""",
        [*unit_ids, *([district] if district else [])],
    ).fetchall()


def _agrees(got: list[tuple] | None, exact: list[tuple], limit: int) -> bool:
    """Equal down to the first day reaching ``limit`` (everything when none does)."""
    assert got is not None
    cut = next((i for i, (_, running) in enumerate(exact) if running >= limit), len(exact) - 1)
    return got[: cut + 1] == exact[: cut + 1]


@pytest.mark.parametrize("seed", range(6))
def test_newest_days_agree_with_the_scan_or_say_they_cannot(seed: int) -> None:
    con = duckdb.connect()
    agg = _aggregate(seed)
    con.register("agg", agg.to_arrow())
    con.execute("CREATE TABLE challan_unit_day AS SELECT * FROM agg")
    scopes = ["karnal", "Panipat", None]
    told = untold = 0
    for limit in (5, 25):
        index = index_mod.read_challan_index(con, limit)
        for k in (1, 2, 3):
            for ids in combinations(UNITS, k):
                for district in scopes:
                    exact = [(d, int(r)) for d, r in _scanned_days(con, ids, district)]
                    got = index_mod.newest_days(index, ids, district, limit)
                    if got is None:
                        untold += 1
                        # only places sparse in the window, with older challans, are untold
                        recent = [r for d, r in exact if d > index.since]
                        assert exact[-1][0] <= index.since and (not recent or recent[-1] < limit)
                        continue
                    told += 1
                    assert _agrees([(d, int(r)) for d, r in got], exact, limit), (ids, district)
    assert told > 0 and untold > 0, (told, untold)  # both paths are exercised


def test_mix_matches_the_aggregate_sum() -> None:
    con = duckdb.connect()
    con.register("agg", _aggregate(1).to_arrow())
    con.execute("CREATE TABLE challan_unit_day AS SELECT * FROM agg")
    index = index_mod.read_challan_index(con, 25)
    from roadsafety.store.challan_days import offence_counts

    for ids in (("u1",), ("u1", "u3")):
        for district in ("Karnal", None):
            scope = " AND (district IS NULL OR lower(district) = lower(?))" if district else ""
            marks = ", ".join("?" for _ in ids)
            expected = (
                offence_counts(
                    con, f"unit_id IN ({marks}){scope}", [*ids, *([district] if district else [])]
                )
                .group_by("offence")
                .agg(pl.col("challans").sum())
                .sort(["challans", "offence"], descending=[True, False])
            )
            assert index_mod.offence_mix(index, ids, district).equals(expected)


@pytest.mark.parametrize("window", [5, 200, index_mod.DAYS_WINDOW])
def test_unit_detail_from_the_index_equals_the_scans(
    world_db: Path, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_mod, "DAYS_WINDOW", window)
    store = queries.AppStore(world_db)
    s = store.snapshot()
    runs = tuple(r.run_id for r in s.runs.values())
    units = queries.forecast_units(store, 7, None).sort("rank")
    picks = [(u,) for u in units["unit_id"][:6]] + [tuple(units["unit_id"][6:9])]
    picks.append(("no-such-unit",))
    with read_connection(world_db) as con:
        for ids in picks:
            for district in (None, "Karnal", "panipat"):
                fast = read_unit_detail(con, ids, runs, district, s.challans)
                slow = read_unit_detail(con, ids, runs, district)
                for a, b in zip(fast.__dict__.values(), slow.__dict__.values(), strict=True):
                    assert a.equals(b) if isinstance(a, pl.DataFrame) else a == b, (ids, district)
    assert not s.challans.days.is_empty()

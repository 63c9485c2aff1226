"""A seeded tiny crash world as stored accident rows (no files, no ingest) for forecasting tests.

Imported by tests/features, tests/models and tests/forecasts (``tests/`` is on ``sys.path`` via the
root conftest). H3 cells around a made-up centre plus police-station + road units without coordinates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import h3
import numpy as np
import polars as pl

CENTRE = (10.0, 20.0)  # deliberately nowhere in particular


def tiny_world(
    seed: int = 7,
    *,
    start: date = date(2019, 1, 1),
    years: int = 4,
    n_cells: int = 60,
    n_hot: int = 6,
    n_ps_units: int = 8,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Accident rows and the planted truth.

    Returns:
        ``(accidents, truth)``: accidents with the stored columns the forecasting engine reads;
        truth ``unit_id, rate_per_year, hot`` (planted hot units have ~6x the base rate).
    """
    rng = np.random.default_rng(seed)
    disk = sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, 8), 6))
    cells = [disk[i] for i in rng.choice(len(disk), n_cells, replace=False)]
    ps_units = [f"PS {chr(65 + i % 4)} | ROAD {i}" for i in range(n_ps_units)]
    units = cells + ps_units
    base = rng.gamma(2.0, 0.6, len(units))
    hot = np.zeros(len(units), bool)
    hot[rng.choice(len(units), n_hot, replace=False)] = True
    rate = np.where(hot, base * 6 + 4, base)
    days = 365 * years
    rows = []
    for i, (unit, r) in enumerate(zip(units, rate)):
        for _ in range(rng.poisson(r * years)):
            rows.append(
                _crash(rng, unit, i < n_cells, start + timedelta(days=int(rng.integers(days))))
            )
    acc = (
        pl.DataFrame(rows, orient="row", schema=_SCHEMA)
        .with_row_index("n")
        .with_columns(accident_id=pl.format("A{}", pl.col("n")), source=pl.lit("test"))
        .drop("n")
    )
    truth = pl.DataFrame({"unit_id": units, "rate_per_year": rate, "hot": hot})
    return acc, truth


_SCHEMA = {
    "unit_id": pl.Utf8,
    "occurred_at": pl.Datetime("us"),
    "has_time": pl.Boolean,
    "severity": pl.Utf8,
    "killed": pl.Int32,
    "h3_cell": pl.Utf8,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "road_name": pl.Utf8,
    "road_category": pl.Utf8,
    "police_station": pl.Utf8,
    "district": pl.Utf8,
    "located": pl.Boolean,
}


def _crash(rng: np.random.Generator, unit: str, located: bool, day: date) -> tuple:
    sev = rng.choice(["fatal", "grievous", "minor", "non_injury"], p=[0.25, 0.3, 0.35, 0.1])
    has_time = bool(rng.random() > 0.05)
    hour = int(rng.choice(24, p=_HOURS))
    when = datetime(day.year, day.month, day.day, hour if has_time else 0, int(rng.integers(60)))
    killed = int(rng.integers(1, 3)) if sev == "fatal" else 0
    if located:
        lat, lon = h3.cell_to_latlng(unit)
        road = f"NH-{int(h3.str_to_int(unit) % 3) + 1}"
        return (
            unit,
            when,
            has_time,
            sev,
            killed,
            unit,
            lat,
            lon,
            road,
            "NH",
            "PS A",
            "North" if lat > 10.0 else "South",
            True,
        )
    ps, road = unit.split(" | ")
    return (unit, when, has_time, sev, killed, None, None, None, road, "urban", ps, "North", False)


_HOURS = np.array([2, 2, 2, 2, 2, 3, 4, 5, 6, 5, 4, 4, 4, 4, 4, 5, 6, 7, 8, 7, 6, 4, 3, 2], float)
_HOURS = _HOURS / _HOURS.sum()


def to_canonical(acc: pl.DataFrame) -> pl.DataFrame:
    """The world's accidents as a canonical input frame (date-only text when the time is unknown)."""
    from roadsafety import schemas

    when = (
        pl.when(pl.col("has_time"))
        .then(pl.col("occurred_at").dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(pl.col("occurred_at").dt.strftime("%Y-%m-%d"))
    )
    return acc.with_columns(
        occurred_at=when, road_name=pl.col("road_name"), police_station=pl.col("police_station")
    ).select(
        [pl.col(c) if c in acc.columns else pl.lit(None).alias(c) for c in schemas.ACCIDENT_INPUT]
    )


def ingest_world(settings, acc: pl.DataFrame, path) -> None:
    """Write the accidents as canonical CSV at ``path`` and ingest them into the settings' warehouse."""
    from roadsafety.sources.canonical import read_canonical_accidents
    from roadsafety.store.ingest import ingest_batch

    to_canonical(acc).write_csv(path)
    ingest_batch(settings, read_canonical_accidents(path), "canonical")

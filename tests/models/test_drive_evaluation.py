"""evaluate_drives on a small seeded world built in memory: rows, pools, months, places, verdicts."""

from __future__ import annotations

from datetime import date, timedelta

import h3
import numpy as np
import polars as pl
import pytest

from roadsafety.models.drive_effect import StudyOptions
from roadsafety.models.drive_evaluation import ALL, evaluate_drives

START, END = date(2021, 1, 1), date(2024, 12, 31)
DRIVE = date(2024, 1, 1)


def _world(
    seed: int = 5, effect: float = 0.5, swing: float = 0.0
) -> tuple[pl.DataFrame, list[str]]:
    """~500 cells in two districts, four years; the top 20 cells of 2023 lose ``effect`` in 2024.

    ``swing``: each cell's rate in each year is multiplied by a log-normal(0, swing) factor.
    """
    rng = np.random.default_rng(seed)
    centres = {"North": (29.7, 77.0), "South": (28.9, 77.0)}
    rows = []
    for district, centre in centres.items():
        cells = sorted(h3.grid_disk(h3.latlng_to_cell(*centre, 8), 12))[:250]
        rates = rng.gamma(1.2, 1.0, len(cells)) * np.where(rng.random(len(cells)) < 0.04, 6, 1)
        for cell, rate, cat in zip(cells, rates, rng.choice(["NH", "urban"], len(cells))):
            lat, lon = h3.cell_to_latlng(cell)
            for year in range(START.year, END.year + 1):
                yearly = rate * np.exp(swing * rng.normal() - swing**2 / 2)
                days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
                for offset in rng.integers(0, days, rng.poisson(yearly)):
                    day = date(year, 1, 1) + timedelta(days=int(offset))
                    rows.append((day, cell, lat, lon, cat, district))
    crashes = pl.DataFrame(
        rows,
        schema=["day", "unit_id", "latitude", "longitude", "road_category", "district"],
        orient="row",
    ).with_columns(
        pl.col("unit_id").alias("h3_cell"),
        pl.lit("NH-1").alias("road_name"),
        pl.lit("PS A").alias("police_station"),
        pl.lit(None, pl.Float64).alias("chainage_km"),
        pl.Series("fatal_grievous", rng.random(len(rows)) < 0.4),
    )
    last_year = crashes.filter(pl.col("day").dt.year() == 2023)
    top = last_year.group_by("unit_id").len().sort(["len", "unit_id"], descending=[True, False])
    treated = top.head(20)["unit_id"].to_list()
    drop = pl.col("unit_id").is_in(treated) & (pl.col("day") >= DRIVE)
    crashes = crashes.filter(~(drop & (pl.Series(rng.random(len(rows))) < effect)))
    return crashes.sort("day").with_row_index("row").with_columns(
        pl.col("row").cast(pl.Int64)
    ), treated


def _places(drive_id: str, units: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "drive_id": drive_id,
            "place_no": pl.Series(range(1, len(units) + 1), dtype=pl.Int32),
            "place_kind": "unit",
            "label": units,
            "unit_id": units,
        }
    ).with_columns(
        *[pl.lit(None, pl.Utf8).alias(c) for c in ("h3_cell", "road_name", "police_station")],
        *[pl.lit(None, pl.Float64).alias(c) for c in ("km_from", "km_to")],
    )


@pytest.fixture(scope="module")
def study():
    crashes, treated = _world()
    quiet = crashes.filter(pl.col("day").dt.year() == 2023)["unit_id"].unique().sort()[:8]
    places = pl.concat(
        [
            _places("EFFECT", treated),
            _places("LATE", quiet.to_list()),
            _places("FUTURE", quiet.to_list()[:2]),
        ]
    )
    drives = pl.DataFrame(
        {
            "drive_id": ["EFFECT", "LATE", "FUTURE"],
            "name": ["Top 20", "Autumn", "Next year"],
            "start_date": [DRIVE, date(2024, 11, 1), date(2025, 3, 1)],
        }
    )
    return crashes, evaluate_drives(crashes, drives, places, options=StudyOptions())


def test_one_row_per_drive_then_pooled_rows(study) -> None:
    crashes, result = study
    rows = result.results
    assert rows["drive_id"].to_list()[:3] == ["EFFECT", "LATE", "FUTURE"]
    pooled = rows.filter(pl.col("drive_id") == ALL)
    districts = rows.row(0, named=True)["districts"].split(";")
    assert pooled["scope"].to_list() == ["", *sorted(districts)]
    assert pooled["name"][0] == "All drives (1 drive)"


def test_counts_are_the_records_in_the_periods(study) -> None:
    crashes, result = study
    row = result.results.row(0, named=True)
    units = result.places.filter(pl.col("drive_id") == "EFFECT")["label"].to_list()
    at = crashes.filter(pl.col("unit_id").is_in(units))
    assert row["crashes_before"] == at.filter(pl.col("day").dt.year() == 2023).height
    assert row["crashes_after"] == at.filter(pl.col("day").dt.year() == 2024).height
    assert (row["before_start"], row["after_end"]) == (date(2023, 1, 1), date(2024, 12, 31))


def test_a_planted_halving_is_found_and_the_naive_claim_is_shown(study) -> None:
    row = study[1].results.row(0, named=True)
    assert row["verdict"] == "crashes fell: likely the drive"
    assert -65 < row["change_pct"] < -35
    assert row["naive_change_pct"] < row["change_pct"]  # the naive view adds regression to the mean


def test_short_and_future_drives_say_too_early(study) -> None:
    rows = {r["drive_id"]: r for r in study[1].results.iter_rows(named=True)}
    assert rows["LATE"]["verdict"] == "too early: 61 days of after-data"
    assert rows["FUTURE"]["verdict"] == "too early: 0 days of after-data"
    pooled = study[1].results.filter((pl.col("drive_id") == ALL) & (pl.col("scope") == ""))
    assert pooled["drives"][0] == 1  # only the drive with enough data is pooled


def test_monthly_series_add_up_to_the_row(study) -> None:
    row = study[1].results.row(0, named=True)
    months = study[1].months.filter(pl.col("drive_id") == "EFFECT")
    before = months.filter(pl.col("period") == "before")
    after = months.filter(pl.col("period") == "after")
    assert before["crashes"].sum() == row["crashes_before"]
    assert after["crashes"].sum() == row["crashes_after"]
    assert after["expected"].sum() == pytest.approx(row["expected_after_without_drive"])
    assert before["expected"].sum() == pytest.approx(row["expected_before"])
    assert before.height == 12 and after.height == 12


def test_places_carry_position_district_and_counts(study) -> None:
    places = study[1].places.filter(pl.col("drive_id") == "EFFECT")
    assert places.height == 20
    assert places["latitude"].null_count() == 0
    assert set(places["district"].to_list()) <= {"North", "South"}
    assert places["crashes_before"].sum() == study[1].results.row(0, named=True)["crashes_before"]


def test_the_swing_of_places_without_a_drive_is_measured() -> None:
    """Pure chance gives phi near 0; yearly swings of sd 0.4 in the log give about e^0.16 - 1."""
    from roadsafety.models.drive_evaluation import study_parts
    from roadsafety.models.drive_study import drive_periods

    drives = pl.DataFrame({"drive_id": ["D"], "name": ["d"], "start_date": [DRIVE]})
    for swing, low, high in ((0.0, 0.0, 0.04), (0.4, 0.08, 0.35)):
        crashes, treated = _world(seed=8, effect=0.0, swing=swing)
        periods = drive_periods(drives, START, END, StudyOptions())
        _, parts, _ = study_parts(crashes, _places("D", treated), periods, StudyOptions())
        assert low <= parts["phi"][0] <= high, (swing, parts["phi"][0])

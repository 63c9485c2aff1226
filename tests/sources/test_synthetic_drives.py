"""Drives planted in the synthetic world: the rest of the world is untouched, the truth adds up."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest

from roadsafety.sources.drives import read_drives, require_clean
from roadsafety.sources.synthetic import generate_world
from roadsafety.sources.synthetic_drives import DriveOptions

END = dt.date(2026, 1, 1)
OPTIONS = DriveOptions(effect=-0.5, effect_places=12, placebo_places=8, places_per_drive=3)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> tuple[Path, Path]:
    plain, planted = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("planted")
    kwargs = {"years": 2, "scale": 0.1, "seed": 9, "end": END, "progress": False}
    generate_world(plain, **kwargs)
    summary = generate_world(planted, drives=OPTIONS, **kwargs)
    assert summary.n_drives == 8 + 4 and summary.drives_path == planted / "drives.csv"
    return plain, planted


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_without_drives_no_drive_files_and_a_rerun_removes_stale_ones(tmp_path: Path) -> None:
    kwargs = {"years": 2, "scale": 0.05, "seed": 3, "end": END, "progress": False}
    generate_world(tmp_path, drives=DriveOptions(effect_places=2, placebo_places=2), **kwargs)
    assert (tmp_path / "drives.csv").exists()
    generate_world(tmp_path, **kwargs)
    assert not (tmp_path / "drives.csv").exists() and not (tmp_path / "drive_truth.csv").exists()


def test_everything_but_the_drive_places_is_the_world_without_drives(worlds) -> None:
    plain, planted = worlds
    for name in ("truth.csv", "districts.csv", "police_stations.csv"):
        assert _sha(plain / name) == _sha(planted / name)
    a0 = pl.read_csv(plain / "accidents.csv", infer_schema=False)
    a1 = pl.read_csv(planted / "accidents.csv", infer_schema=False)
    kept = a0.filter(pl.col("accident_id").is_in(a1["accident_id"].implode()))
    assert kept.equals(a1)  # only removals, everything else as it was
    removed = a0.join(a1, on="accident_id", how="anti")
    truth = pl.read_csv(planted / "drive_truth.csv")
    assert removed.height == truth["crashes_removed"].sum() > 0
    c0 = pl.read_csv(plain / "challans.csv", infer_schema=False)
    c1 = pl.read_csv(planted / "challans.csv", infer_schema=False)
    extra = c1.filter(pl.col("challan_id").str.starts_with("ED-"))
    assert c1.filter(~pl.col("challan_id").str.starts_with("ED-")).equals(c0)
    assert extra.height > 0 and set(extra["offence"].unique()) <= {"overspeeding", "drunk_driving"}


def test_drives_file_imports_and_the_truth_describes_it(worlds) -> None:
    _, planted = worlds
    batch = read_drives(planted / "drives.csv", h3_resolution=8)
    require_clean(batch)
    truth = pl.read_csv(planted / "drive_truth.csv")
    assert truth.columns == ["drive_id", "kind", "planted_change_pct", "places", "crashes_removed"]
    kinds = (
        truth.group_by("kind").agg(pl.col("places").sum(), pl.len().alias("drives")).sort("kind")
    )
    assert kinds.rows() == [("effect", 12, 4), ("placebo", 8, 8)]
    assert set(truth.filter(pl.col("kind") == "placebo")["crashes_removed"]) == {0}
    assert set(truth.filter(pl.col("kind") == "effect")["planted_change_pct"]) == {-50.0}
    assert batch.drives["start_date"].unique().to_list() == [dt.date(2025, 1, 1)]
    assert batch.drives["end_date"].unique().to_list() == [dt.date(2025, 12, 31)]


def test_placebo_drives_are_at_last_years_highest_crash_places(worlds) -> None:
    _, planted = worlds
    from roadsafety.sources.synthetic_drives import accident_units

    acc = pl.read_csv(planted / "accidents.csv", infer_schema=False).with_columns(
        pl.col("latitude", "longitude", "chainage_km").cast(pl.Float64)
    )
    acc = acc.with_columns(accident_units(acc, 8))
    last_year = acc.filter(pl.col("occurred_at").str.starts_with("2024"))
    top = (
        last_year.group_by("unit_id")
        .len()
        .drop_nulls("unit_id")
        .sort(["len", "unit_id"], descending=[True, False])
    )
    drives = pl.read_csv(planted / "drives.csv")
    truth = pl.read_csv(planted / "drive_truth.csv")
    placebo = drives.join(truth.filter(pl.col("kind") == "placebo"), on="drive_id")
    assert placebo["unit_id"].to_list() == top.head(8)["unit_id"].to_list()


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="reduction"):
        DriveOptions(effect=0.2)

"""The synthetic Haryana world: determinism, canonical schema, planted structure is recoverable."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import h3
import polars as pl
import pytest

from roadsafety import schemas
from roadsafety.config import HARYANA_BBOX, Settings
from roadsafety.sources.canonical import read_canonical_accidents, read_canonical_challans
from roadsafety.sources.synthetic import SynthSummary, generate_world, period
from roadsafety.sources.synthetic_time import festival_dates

END = dt.date(2026, 3, 1)
REG_PATTERN = r"^HR-\d{2}-[A-Z]{2}-\d{4}$"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """One year at scale 0.15 (~1,600 accidents, ~75,000 challans)."""
    out = tmp_path_factory.mktemp("world")
    return generate_world(out, years=1, scale=0.15, seed=7, end=END, progress=False)


@pytest.fixture(scope="module")
def accidents(world: SynthSummary) -> pl.DataFrame:
    return pl.read_csv(world.accidents_path, infer_schema=False)


@pytest.fixture(scope="module")
def challans(world: SynthSummary) -> pl.DataFrame:
    return pl.read_csv(world.challans_path, infer_schema=False)


@pytest.fixture(scope="module")
def truth(world: SynthSummary) -> pl.DataFrame:
    return pl.read_csv(world.truth_path)


@pytest.fixture(scope="module")
def timed(accidents: pl.DataFrame) -> pl.DataFrame:
    """Accidents with a known time, with hour/month/day and a highway flag."""
    ts = pl.col("occurred_at").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
    return accidents.filter(pl.col("occurred_at").str.len_chars() > 10).with_columns(
        ts.dt.hour().alias("hour"),
        ts.dt.month().alias("month"),
        ts.dt.day().alias("day"),
        pl.col("road_category").is_in(["NH", "SH", "expressway"]).alias("highway"),
    )


def test_same_seed_gives_identical_files_and_other_seed_differs(tmp_path: Path) -> None:
    kwargs = {"years": 1, "scale": 0.02, "end": END, "progress": False}
    first = _digest(generate_world(tmp_path / "a", seed=3, **kwargs).out_dir)
    again = _digest(generate_world(tmp_path / "b", seed=3, **kwargs).out_dir)
    other = _digest(generate_world(tmp_path / "c", seed=4, **kwargs).out_dir)
    assert first == again
    assert set(first) == {
        "accidents.csv",
        "challans.csv",
        "districts.csv",
        "police_stations.csv",
        "truth.csv",
    }
    assert first["accidents.csv"] != other["accidents.csv"]
    assert first["challans.csv"] != other["challans.csv"]
    assert first["districts.csv"] == other["districts.csv"]  # the geography is static


def test_period_ends_the_day_before_end(
    world: SynthSummary, accidents: pl.DataFrame, challans: pl.DataFrame
) -> None:
    assert (world.start, world.end) == (dt.date(2025, 3, 1), dt.date(2026, 2, 28))
    assert period(2, dt.date(2024, 2, 29)) == (dt.date(2022, 2, 28), dt.date(2024, 2, 29))
    for frame, col in ((accidents, "occurred_at"), (challans, "issued_at")):
        days = frame[col].str.slice(0, 10)
        assert days.min() >= "2025-03-01" and days.max() <= "2026-02-28"
        assert days.max() >= "2026-02-20"


def test_columns_are_exactly_canonical(accidents: pl.DataFrame, challans: pl.DataFrame) -> None:
    assert accidents.columns == list(schemas.ACCIDENT_INPUT)
    assert challans.columns == list(schemas.CHALLAN_INPUT)


def test_canonical_reader_accepts_the_files(world: SynthSummary) -> None:
    for stream in (
        read_canonical_accidents(world.accidents_path),
        read_canonical_challans(world.challans_path),
    ):
        batch = stream.collect()
        assert batch.rejected.height == 0
        assert batch.rows_read == batch.frame.height > 0


def test_volumes_follow_scale(world: SynthSummary) -> None:
    assert 0.85 * 10_400 * 0.15 < world.n_accidents < 1.15 * 10_400 * 0.15
    assert 0.9 * 500_000 * 0.15 < world.n_challans < 1.1 * 500_000 * 0.15


def test_values_in_allowed_sets_and_victims_consistent(
    accidents: pl.DataFrame, challans: pl.DataFrame
) -> None:
    assert set(accidents["severity"]) <= set(schemas.SEVERITIES)
    assert set(challans["offence"]) <= set(schemas.OFFENCES)
    assert set(accidents["road_category"].drop_nulls()) <= set(schemas.ROAD_CATEGORIES)
    a = accidents.with_columns(pl.col("killed", "injured").cast(pl.Int64))
    assert a.filter(pl.col("severity") == "fatal")["killed"].min() >= 1
    assert a.filter(pl.col("severity") != "fatal")["killed"].max() == 0
    assert a.filter(pl.col("severity").is_in(["grievous", "minor"]))["injured"].min() >= 1
    assert a.filter(pl.col("severity") == "non_injury")["injured"].max() == 0


def test_severity_mix_is_heavy(accidents: pl.DataFrame) -> None:
    share = accidents["severity"].value_counts(normalize=True)
    share = dict(zip(share["severity"], share["proportion"]))
    assert 0.36 < share["fatal"] < 0.50
    assert 0.28 < share["grievous"] < 0.42
    deaths_per_crash = accidents["killed"].cast(pl.Int64).sum() / accidents.height
    assert 0.38 < deaths_per_crash < 0.56  # Haryana: ~4,900 deaths / ~10,400 crashes


def test_ids_unique(accidents: pl.DataFrame, challans: pl.DataFrame) -> None:
    assert accidents["accident_id"].is_unique().all()
    assert challans["challan_id"].is_unique().all()


def test_coordinates_inside_haryana(accidents: pl.DataFrame, challans: pl.DataFrame) -> None:
    min_lon, min_lat, max_lon, max_lat = HARYANA_BBOX
    for frame in (accidents, challans):
        located = frame.filter(pl.col("latitude").is_not_null()).select(
            pl.col("latitude", "longitude").cast(pl.Float64)
        )
        assert located.height > 0.85 * frame.height
        assert located["latitude"].is_between(min_lat, max_lat).all()
        assert located["longitude"].is_between(min_lon, max_lon).all()


def test_unlocated_dateonly_and_neither_shares(accidents: pl.DataFrame) -> None:
    no_gps = accidents["latitude"].is_null()
    named = accidents["road_name"].is_not_null() & accidents["police_station"].is_not_null()
    assert 0.03 < (no_gps & named).mean() < 0.10
    assert 0 < (no_gps & ~named).sum() < 0.02 * accidents.height
    assert 0.01 < (accidents["occurred_at"].str.len_chars() == 10).mean() < 0.035


def test_registrations_look_like_haryana_plates(challans: pl.DataFrame) -> None:
    regs = challans["vehicle_reg"]
    assert regs.str.contains(REG_PATTERN).all()
    counts = regs.value_counts()["count"]
    assert counts.max() >= 10  # repeat offenders exist
    assert (counts == 1).sum() > 0.5 * regs.n_unique()  # most vehicles are caught once


def test_challan_mix_and_cameras(challans: pl.DataFrame) -> None:
    mix = challans["offence"].value_counts(sort=True)["offence"].to_list()
    assert mix[:2] == ["no_helmet", "overspeeding"]
    cams = challans.filter(pl.col("camera_id").is_not_null())
    assert 0.2 < cams.height / challans.height < 0.4
    assert cams["road_name"].is_in(["NH-44", "NH-48", "KMP Expressway", "MG Road"]).any()
    drunk = challans.filter(pl.col("offence") == "drunk_driving")["issued_at"].str.slice(11, 2)
    assert drunk.cast(pl.Int64).is_in([21, 22, 23, 0, 1]).mean() > 0.8
    helmet = challans.filter(pl.col("offence") == "no_helmet")
    assert (helmet["vehicle_class"] == "motorcycle").all()
    assert helmet["offence_raw"].str.contains("(?i)helmet").all()
    fines = challans.filter(pl.col("challan_type") == "challan")["fine_amount"].cast(pl.Float64)
    assert fines.min() >= 500 and fines.is_not_null().all()


def test_truth_covers_blackspots_and_every_located_crash(
    truth: pl.DataFrame, accidents: pl.DataFrame
) -> None:
    assert truth["is_blackspot"].sum() == 40
    assert truth["unit_id"].is_unique().all()
    assert truth["true_rank"].to_list() == list(range(1, truth.height + 1))
    fg = truth["expected_fatal_grievous_per_year"]
    assert (fg.diff().drop_nulls() <= 1e-9).all()
    located = accidents.filter(pl.col("latitude").is_not_null())
    cells = {
        h3.latlng_to_cell(float(a), float(b), 8)
        for a, b in located.select("latitude", "longitude").iter_rows()
    }
    assert cells <= set(truth.filter(pl.col("kind") == "h3")["unit_id"])
    ps_units = truth.filter(pl.col("kind") == "ps_road")["unit_id"]
    assert ps_units.str.contains(r"^PS [A-Z0-9 ]+ \| [A-Z0-9 \-]+$").all()


def _observed_per_unit(accidents: pl.DataFrame) -> pl.DataFrame:
    located = accidents.filter(pl.col("latitude").is_not_null())
    cells = [
        h3.latlng_to_cell(float(a), float(b), 8)
        for a, b in located.select("latitude", "longitude").iter_rows()
    ]
    return pl.DataFrame({"unit_id": cells}).group_by("unit_id").len("observed")


def test_top_truth_units_really_have_more_crashes(
    truth: pl.DataFrame, accidents: pl.DataFrame
) -> None:
    cells = (
        truth.filter(pl.col("kind") == "h3")
        .join(_observed_per_unit(accidents), on="unit_id", how="left")
        .with_columns(pl.col("observed").fill_null(0))
    )
    top, rest = cells.head(40)["observed"].mean(), cells.tail(cells.height - 40)["observed"].mean()
    assert top > 4 * rest
    blackspots = cells.filter("is_blackspot")["observed"].mean()
    assert blackspots > 3 * rest
    corr = cells.select(pl.corr("expected_crashes_per_year", "observed")).item()
    assert corr > 0.5


def test_fog_season_early_morning_uplift_on_highways(timed: pl.DataFrame) -> None:
    hw = timed.filter("highway")
    fog = ((pl.col("month") == 12) & (pl.col("day") >= 15)) | (pl.col("month") == 1)
    early = pl.col("hour").is_between(4, 8)
    in_fog = hw.filter(fog).select(early.mean()).item()
    outside = hw.filter(~fog).select(early.mean()).item()
    assert in_fog > 1.5 * outside
    foggy = hw.filter(fog & early)
    assert (foggy["weather"] == "fog").mean() > 0.5


def test_night_truck_profile_on_highways(timed: pl.DataFrame) -> None:
    night = (pl.col("hour") >= 22) | (pl.col("hour") < 4)
    share = timed.group_by("highway").agg(night.mean().alias("night")).sort("highway")
    assert share["night"][1] > 1.4 * share["night"][0]  # highways: night is busy; cities: evenings
    hw = timed.filter("highway").with_columns(
        pl.col("vehicle_types").str.contains("truck").alias("t")
    )
    assert hw.filter(night)["t"].mean() > 1.4 * hw.filter(~night)["t"].mean()
    urban = timed.filter(pl.col("road_category") == "urban")
    evening = urban.select(pl.col("hour").is_between(17, 20).mean()).item()
    assert evening > 1.3 * 4 / 24


def test_parquet_has_the_same_rows_as_csv(tmp_path: Path) -> None:
    kwargs = {"years": 1, "scale": 0.02, "seed": 11, "end": END, "progress": False}
    csv = generate_world(tmp_path / "csv", fmt="csv", **kwargs)
    pq = generate_world(tmp_path / "pq", fmt="parquet", **kwargs)
    assert pq.accidents_path.suffix == ".parquet"
    for a, b, schema in (
        (csv.accidents_path, pq.accidents_path, schemas.ACCIDENT_INPUT),
        (csv.challans_path, pq.challans_path, schemas.CHALLAN_INPUT),
    ):
        from_csv = pl.read_csv(a, schema=schema)
        from_pq = pl.read_parquet(b)
        assert from_pq.schema == pl.Schema(schema)
        assert from_csv.equals(from_pq)
    import pyarrow.parquet as papq

    assert papq.ParquetFile(pq.challans_path).num_row_groups >= 12  # one per month: streamed
    generate_world(tmp_path / "csv", fmt="parquet", **kwargs)  # a rerun in the other format
    names = {p.name for p in (tmp_path / "csv").iterdir()}
    assert {"accidents.parquet", "challans.parquet"} <= names
    assert not {"accidents.csv", "challans.csv"} & names  # stale facts would not match truth.csv


def test_festival_dates_use_holidays_and_fallbacks() -> None:
    fest = festival_dates(range(2011, 2012))
    assert dt.date(2011, 10, 26) in fest["Diwali"]  # from holidays.India
    assert dt.date(2011, 3, 20) in fest["Holi"]  # missing there: fallback table
    assert fest["New Year's Eve"] == [dt.date(2011, 12, 31)]
    assert (
        len(festival_dates(range(2040, 2041))["Diwali"]) == 1
    )  # beyond the calendar: typical date


def test_ingested_units_are_the_truth_units(tmp_settings: Settings, tmp_path: Path) -> None:
    """Round trip through the real ingest: every unit it builds is a planted truth unit."""
    from roadsafety.store.connection import read_connection
    from roadsafety.store.ingest import ingest_batch

    world = generate_world(tmp_path / "w", years=1, scale=0.03, seed=2, end=END, progress=False)
    result = ingest_batch(tmp_settings, read_canonical_accidents(world.accidents_path))
    assert result.loaded == world.n_accidents and result.quarantined == 0
    with read_connection(tmp_settings.db_path) as con:
        units = con.execute("SELECT DISTINCT unit_id FROM accidents WHERE unit_id IS NOT NULL").pl()
    truth = pl.read_csv(world.truth_path)
    assert units.height > 100
    assert set(units["unit_id"]) <= set(truth["unit_id"])

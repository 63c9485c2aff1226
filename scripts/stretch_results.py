"""Road-stretch measurements for docs/backtest_results.md (called by scripts/backtest_results.py).

1. **BAAC with its coordinates removed** (road number and ``pr``/``pr1`` kept): the records become
   road stretches ``ROAD | km A-B`` (1 km). For a test year no model saw, three lists of 100 are
   scored on the year's crashes: the product's stretch list (``retrain --as-of`` the year's start,
   ``ensure_forecast`` for the year, the risk list's top 100 places), the naive top 100 stretches
   by the three years before, and the release-1 list of ``POLICE STATION | ROAD`` units (the same
   file with the km markers removed too; the model's list and the naive one). Reported: crashes
   captured and km of road listed (a ``POLICE STATION | ROAD`` unit's length is the span of its
   records' km markers: a lower bound, unknown when none has one).
2. **The synthetic Haryana world** (the demo's: 5 years, scale 0.5, seed 42, Haryana settings): the
   share of the default top-100 risk-list rows an officer can locate (an H3 cell or a stretch of at
   most 1 km) and the share with a place on the map; the same for the blackspot list.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from roadsafety.config import (
    CalendarConfig,
    PrivacyConfig,
    RegionConfig,
    Settings,
    load_settings,
    with_db,
)
from roadsafety.exports.blackspots import build_blackspots
from roadsafety.exports.geometry import read_paths
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows
from roadsafety.features.roads import parse_stretch_id
from roadsafety.features.units import assign_units
from roadsafety.forecasts import pipeline
from roadsafety.sources.base import SourceBatch
from roadsafety.sources.canonical import read_canonical_accidents
from roadsafety.sources.registry import get_reader
from roadsafety.sources.synthetic import generate_world
from roadsafety.store.connection import read_connection
from roadsafety.store.ingest import ingest_batch

log = logging.getLogger("stretch_results")
BAAC_FILE = "baac_france_5dep.csv.gz"
TEST_YEAR = 2018
TOP = 100
REPO = Path(__file__).resolve().parents[1]


def _settings(work: Path, name: str) -> Settings:
    return Settings(
        db_path=work / f"{name}.duckdb",
        region=RegionConfig(bbox=None, h3_resolution=8),
        calendar=CalendarConfig(country="FR"),
        privacy=PrivacyConfig(key_path=work / "pii.key"),
    )


def _ingest_without(settings: Settings, path: Path, columns: tuple[str, ...]) -> None:
    batch = get_reader("accidents", "baac")(path)
    cleared = batch.frame.with_columns([pl.lit(None).cast(pl.Float64).alias(c) for c in columns])
    ingest_batch(settings, replace(batch, frame=cleared), "baac")


def _year_crashes(settings: Settings) -> pl.DataFrame:
    with read_connection(settings.db_path) as con:
        return con.execute(
            "SELECT unit_id FROM accidents WHERE year(occurred_at) = ? AND unit_id IS NOT NULL",
            [TEST_YEAR],
        ).pl()


def _naive_top(settings: Settings, kind: str) -> list[str]:
    """Top units of ``kind`` by crashes in the three years before the test year (ties: unit id)."""
    with read_connection(settings.db_path) as con:
        return (
            con.execute(
                """SELECT a.unit_id, count(*) AS n FROM accidents a
                   JOIN spatial_units u USING (unit_id)
                   WHERE u.kind = ? AND year(a.occurred_at) BETWEEN ? AND ?
                   GROUP BY 1 ORDER BY n DESC, a.unit_id LIMIT ?""",
                [kind, TEST_YEAR - 3, TEST_YEAR - 1, TOP],
            )
            .pl()["unit_id"]
            .to_list()
        )


def _model_top(settings: Settings, road_wide: bool) -> list[str]:
    pipeline.retrain(settings, date(TEST_YEAR, 1, 1))
    run_id = pipeline.ensure_forecast(settings, date(TEST_YEAR, 1, 1), date(TEST_YEAR, 12, 31))
    with read_connection(settings.db_path) as con:
        rows = build_risk_rows(con, run_id, RiskListFilter(top=TOP, road_wide=road_wide))
    return rows["unit_id"].to_list()


def _stretch_km(units: list[str]) -> float:
    return sum(b - a for _, a, b in (parse_stretch_id(u) for u in units))


def _ps_road_km(path: Path, units: list[str]) -> tuple[float, int]:
    """Summed km-marker span of the listed units' records (before the test year), units without."""
    frame = get_reader("accidents", "baac")(path).frame.with_columns(
        pl.lit(None).cast(pl.Float64).alias("latitude"),
        pl.lit(None).cast(pl.Float64).alias("longitude"),
    )
    ids = assign_units(frame.drop("chainage_km"), RegionConfig()).select("unit_id")
    spans = (
        pl.concat([frame.select("chainage_km", "occurred_at"), ids], how="horizontal")
        .filter(
            pl.col("unit_id").is_in(units), pl.col("occurred_at").str.slice(0, 4) < str(TEST_YEAR)
        )
        .group_by("unit_id")
        .agg((pl.col("chainage_km").max() - pl.col("chainage_km").min()).alias("span"))
    )
    known = spans.filter(pl.col("span").is_not_null())
    return float(known["span"].sum()), len(units) - known.height


def _row(name: str, listed: list[str], crashes: pl.DataFrame, km: float, note: str = "") -> str:
    got = crashes.filter(pl.col("unit_id").is_in(listed)).height
    bound = ">= " if note else ""
    per_km = f"{'<= ' if note else ''}{got / km:.2f}" if km else "n/a"
    return (
        f"| {name} | {len(listed)} | {got} | {got / crashes.height:.3f} | "
        f"{bound}{km:.0f}{note} | {per_km} |"
    )


def baac_section(data_dir: Path, work: Path) -> list[str]:
    """The BAAC-without-coordinates table (empty when the file is absent)."""
    path = data_dir / BAAC_FILE
    if not path.exists():
        return [f"- {BAAC_FILE} not found in {data_dir}: BAAC stretch comparison skipped"]
    stretch = _settings(work, "stretches")
    _ingest_without(stretch, path, ("latitude", "longitude"))
    ps_road = _settings(work, "ps_road")
    _ingest_without(ps_road, path, ("latitude", "longitude", "chainage_km"))
    crashes = _year_crashes(stretch)
    model, naive = _model_top(stretch, False), _naive_top(stretch, "stretch")
    ps_model, ps_naive = _model_top(ps_road, True), _naive_top(ps_road, "ps_road")
    lines = [
        f"BAAC France with every coordinate removed (road number and PR km markers kept), test year "
        f"{TEST_YEAR} held out (model trained on records before it); {crashes.height} crashes with "
        "a unit that year.",
        "",
        "| list of 100 | rows | crashes captured | share | km of road listed | crashes per km |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for name, listed in (
        ("model, 1 km stretches", model),
        ("naive 3-year count, 1 km stretches", naive),
    ):
        lines.append(_row(name, listed, crashes, _stretch_km(listed)))
    for name, listed in (
        ("model, POLICE STATION \\| ROAD (release 1)", ps_model),
        ("naive 3-year count, POLICE STATION \\| ROAD", ps_naive),
    ):
        km, unknown = _ps_road_km(path, listed)
        lines.append(_row(name, listed, crashes, km, f" ({unknown} units with no km marker)"))
    return lines + [
        "",
        "A `POLICE STATION | ROAD` unit's length is the span of its records' km markers before the "
        "test year: a lower bound (so its crashes per km are an upper bound); a unit whose records "
        "carry no marker adds nothing to it.",
    ]


def _haryana(work: Path, name: str) -> Settings:
    settings = load_settings(config_path=REPO / "config" / "haryana.toml")
    return with_db(settings, work / f"{name}.duckdb").model_copy(
        update={"privacy": PrivacyConfig(key_path=work / "pii.key")}
    )


def _forecast(settings: Settings, batch: SourceBatch, end: date) -> str:
    ingest_batch(settings, batch, "canonical")
    pipeline.retrain(settings, end)
    return pipeline.ensure_forecast(settings, end, end + timedelta(days=6))


def _release1_wide_rows(work: Path, path: Path, end: date) -> tuple[int, int]:
    """Road-wide rows in the top 100 and top 10 of one ranking of every unit, with the km markers
    removed (release 1's units: what issue 12 found)."""
    settings = _haryana(work, "release1")
    batch = read_canonical_accidents(path)
    no_km = batch.frame.with_columns(pl.lit(None, pl.Float64).alias("chainage_km"))
    run_id = _forecast(settings, replace(batch, frame=no_km), end)
    with read_connection(settings.db_path) as con:
        kinds = con.execute(
            """SELECT u.kind FROM forecasts f JOIN spatial_units u USING (unit_id)
               WHERE f.run_id = ? ORDER BY f.expected_crashes DESC, f.unit_id LIMIT ?""",
            [run_id, TOP],
        ).pl()["kind"]
    return int((kinds == "ps_road").sum()), int((kinds.head(10) == "ps_road").sum())


def synthetic_section(work: Path) -> list[str]:
    """Locatable and mapped shares of the demo world's default lists."""
    end = date(2026, 1, 1)
    settings = _haryana(work, "synthetic")
    world = generate_world(work / "world", years=5, scale=0.5, seed=42, end=end, progress=False)
    run_id = _forecast(settings, read_canonical_accidents(world.accidents_path), end)
    with read_connection(settings.db_path) as con:
        rows = build_risk_rows(con, run_id, RiskListFilter(top=TOP))
        spots = build_blackspots(con, end, run_id, RiskListFilter(), settings.region.blackspot_km)
        kinds = con.execute(
            "SELECT kind, count(*) FROM spatial_units GROUP BY 1 ORDER BY 1"
        ).fetchall()
        paths = read_paths(con, rows) | read_paths(con, spots)
    return [
        f"Synthetic Haryana (the demo's world: 5 years to {end}, scale 0.5, seed 42; units "
        + ", ".join(f"{k} {n}" for k, n in kinds)
        + "):",
        "",
        "| list | rows | an officer can locate (cell or stretch <= 1 km) | with a place on the map | road-wide rows |",
        "| --- | ---: | ---: | ---: | ---: |",
        _shares("default risk list, next 7 days, top 100", rows, paths),
        _shares("MoRTH blackspot list (500 m)", spots, paths),
        "",
        "The same world with its km markers removed (release 1's units, one ranking of every "
        "unit by expected crashes): {} of the top 100 rows, {} of the top 10, were whole roads in "
        "a station area.".format(*_release1_wide_rows(work, world.accidents_path, end)),
    ]


def _shares(name: str, rows: pl.DataFrame, paths: dict) -> str:
    small = (pl.col("km_to") - pl.col("km_from")) <= 1.0 + 1e-9
    locate = rows.filter(pl.col("h3_cell").is_not_null() | small).height
    mapped = rows.filter(
        pl.col("h3_cell").is_not_null()
        | pl.col("latitude").is_not_null()
        | pl.col("unit_id").is_in(list(paths))
    ).height
    wide = rows.filter(pl.col("h3_cell").is_null() & pl.col("km_from").is_null()).height
    n = max(rows.height, 1)
    return f"| {name} | {rows.height} | {locate / n:.1%} | {mapped / n:.1%} | {wide} |"


def stretch_results(data_dir: Path, work: Path) -> list[str]:
    """The whole "Road stretches" section of the report."""
    log.info("road stretches: BAAC without coordinates, then the synthetic world")
    return (
        ["## Road stretches (issue 12)", ""]
        + baac_section(data_dir, work)
        + [""]
        + synthetic_section(work)
    )

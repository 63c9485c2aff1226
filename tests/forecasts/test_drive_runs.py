"""Drive jobs on a small warehouse: import, plan saved as a drive, evaluation stored with challans."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from drive_world import DRIVE_START, build

from roadsafety.forecasts.drive_runs import (
    evaluate_and_store,
    import_drives_file,
    save_plan_as_drive,
    selection_rows,
)
from roadsafety.models.drive_effect import StudyOptions
from roadsafety.sources.base import SourceError
from roadsafety.store.connection import read_connection
from roadsafety.store.drives import (
    latest_evaluation,
    read_result_months,
    read_result_places,
    read_results,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from roadsafety.forecasts.drive_checks import scratch_settings

    tmp = tmp_path_factory.mktemp("drives")
    settings = scratch_settings(tmp)
    acc, cell = build(settings, tmp)
    path = tmp / "drives.csv"
    path.write_text(
        "drive_id,name,start_date,end_date,unit_id,road_name,police_station\n"
        f"MARCH,March checks,{DRIVE_START},2022-03-31,{cell},,\n"
        "MARCH,March checks,2022-03-01,2022-03-31,PS NOWHERE | NO ROAD,,\n"
        "ROADA,PS A on NH-1,2022-01-01,2022-06-30,,nh 1,ps a\n"
    )
    imported = import_drives_file(settings, path)
    evaluation = evaluate_and_store(settings, StudyOptions(min_after_days=60))
    return settings, acc, cell, imported, evaluation


def test_import_reports_places_without_any_crash(world) -> None:
    _, _, _, imported, _ = world
    assert (imported.result.drives_new, imported.result.places) == (2, 3)
    assert imported.unmatched.select("drive_id", "source_row").rows() == [("MARCH", 2)]


def test_evaluation_is_stored_with_drive_and_pooled_rows(world) -> None:
    settings, _, _, _, evaluation = world
    with read_connection(settings.db_path) as con:
        rows = read_results(con)
        run = latest_evaluation(con)
        places = read_result_places(con, "MARCH")
        months = read_result_months(con, "ROADA")
    assert run["evaluation_id"] == evaluation.evaluation_id
    assert run["data_end"] == world[1]["occurred_at"].max().date()
    assert rows.filter(pl.col("drive_id") != "ALL")["drive_id"].to_list() == ["ROADA", "MARCH"]
    assert "" in rows.filter(pl.col("drive_id") == "ALL")["scope"].to_list()
    assert places["label"].to_list()[1] == "PS NOWHERE | NO ROAD"
    assert months["period"].unique().sort().to_list() == ["after", "before"]


def test_challans_during_the_drive_against_the_same_days_before(world) -> None:
    row = world[4].study.results.filter(pl.col("drive_id") == "MARCH").row(0, named=True)
    assert (row["challans_before"], row["challans_during"]) == (20, 60)
    pooled = world[4].study.results.filter((pl.col("drive_id") == "ALL") & (pl.col("scope") == ""))
    assert pooled["challans_during"][0] == 60  # ROADA's are unknown: no challan data before it


def test_challans_are_left_empty_when_the_data_does_not_cover_the_days_before(world) -> None:
    row = world[4].study.results.filter(pl.col("drive_id") == "ROADA").row(0, named=True)
    assert (row["challans_before"], row["challans_during"]) == (None, None)


def test_ps_road_drive_counts_every_record_of_that_station_and_road(world) -> None:
    _, acc, _, _, evaluation = world
    row = evaluation.study.results.filter(pl.col("drive_id") == "ROADA").row(0, named=True)
    at = acc.filter(
        (pl.col("police_station") == "PS A")
        & (pl.col("road_name") == "NH-1")
        & pl.col("occurred_at").dt.date().is_between(date(2022, 1, 1), date(2022, 12, 31))
    )
    assert row["crashes_after"] == at.height > 0


def test_selection_pools_only_the_chosen_drives(world) -> None:
    rows = selection_rows(world[4], ["MARCH"])
    assert rows["drive_id"].to_list() == ["MARCH", "ALL"]
    drive, pooled = rows.row(0, named=True), rows.row(1, named=True)
    assert pooled["crashes_after"] == drive["crashes_after"]
    assert pooled["change_pct"] == pytest.approx(drive["change_pct"])
    with pytest.raises(SourceError, match="no stored drive NOPE"):
        selection_rows(world[4], ["NOPE"])


def test_a_plan_is_saved_as_a_drive(world, tmp_path: Path) -> None:
    settings, _, cell, _, _ = world
    plan = pl.DataFrame(
        {
            "rank": [1],
            "unit_id": [cell],
            "h3_cell": [cell],
            "window": ["daily 08:00-11:00"],
            "window_start": [date(2022, 6, 6)],
            "window_end": [date(2022, 6, 12)],
        }
    )
    saved = save_plan_as_drive(settings, plan, "June week")
    assert (saved.result.drives_new, saved.unmatched.height) == (1, 0)
    with read_connection(settings.db_path) as con:
        got = con.execute(
            "SELECT drive_id, start_date, end_date FROM drives WHERE name = 'June week'"
        ).fetchall()
    assert got == [("JUNE-WEEK", date(2022, 6, 6), date(2022, 6, 12))]
    with pytest.raises(SourceError, match="no place"):
        save_plan_as_drive(
            settings,
            plan.with_columns(
                pl.lit(None, pl.Utf8).alias("unit_id"), pl.lit(None, pl.Utf8).alias("h3_cell")
            ),
            "Empty",
        )


def test_the_job_step_keeps_the_last_options_and_does_nothing_without_drives(
    world, tmp_store
) -> None:
    from roadsafety.config import with_db
    from roadsafety.forecasts.drive_runs import refresh_evaluation

    settings = world[0]
    evaluation_id = refresh_evaluation(settings)
    with read_connection(settings.db_path) as con:
        run = latest_evaluation(con)
    assert run["evaluation_id"] == evaluation_id != world[4].evaluation_id
    assert json.loads(run["options"])["min_after_days"] == 60
    assert refresh_evaluation(with_db(settings, tmp_store)) is None

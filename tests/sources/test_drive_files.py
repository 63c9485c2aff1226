"""Reading a drives file: place kinds, every rejection reason, XLSX, plans saved as drives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import h3
import openpyxl
import polars as pl
import pytest

from roadsafety.sources.base import SourceError
from roadsafety.sources.drives import (
    batch_from_text,
    drives_from_plan,
    read_drives,
    require_clean,
)

CELL = h3.latlng_to_cell(29.69, 76.99, 8)
HEADER = "drive_id,name,start_date,end_date,unit_id,h3_cell,road_name,km_from,km_to,police_station"


def _read(tmp_path: Path, *lines: str, header: str = HEADER):
    path = tmp_path / "drives.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return read_drives(path, h3_resolution=8)


def test_place_kinds_from_the_most_specific_columns(tmp_path: Path) -> None:
    batch = _read(
        tmp_path,
        f"D1,NH-44 nights,2025-01-01,2025-03-31,{CELL},,NH-44,1,2,PS Sadar",
        "D1,NH-44 nights,2025-01-01,2025-03-31,NH-44 | km 65-66,,,,,",
        f"D1,NH-44 nights,2025-01-01,2025-03-31,corridor:NH44:{CELL},{CELL}; {CELL.upper()},,,,",
        f"D1,NH-44 nights,2025-01-01,2025-03-31,,{CELL},,,,",
        "D1,NH-44 nights,2025-01-01,2025-03-31,,,NH 44,65.5,70,",
        "D1,NH-44 nights,2025-01-01,2025-03-31,,,NH-44,,,PS Sadar Karnal",
    )
    require_clean(batch)
    places = batch.places
    assert places["place_kind"].to_list() == [
        "unit",
        "road_km",
        "cells",
        "cells",
        "road_km",
        "ps_road",
    ]
    assert places["place_no"].to_list() == [1, 2, 3, 4, 5, 6]
    stretch = places.row(1, named=True)
    assert (stretch["road_name"], stretch["km_from"], stretch["km_to"]) == ("NH-44", 65.0, 66.0)
    assert places["h3_cell"][2] == f"{CELL};{CELL}"
    assert places["label"].to_list()[4:] == ["NH 44 | km 65.5-70", "PS Sadar Karnal | NH-44"]
    assert batch.drives.row(0) == ("D1", "NH-44 nights", date(2025, 1, 1), date(2025, 3, 31))


def test_indian_dates_optional_columns_and_header_case(tmp_path: Path) -> None:
    batch = _read(
        tmp_path,
        "H1 ,Helmet week,01/02/2025,07-02-2025,PS CITY | MALL ROAD,daily 08:00-11:00; Sat 18:00-21:00,3,No Helmet; wrong side,bring cones",
        header="Drive ID,Name,Start Date,End Date,Unit ID,Window,Teams,Offence Focus,Notes",
    )
    require_clean(batch)
    row = batch.places.row(0, named=True)
    assert (row["drive_id"], row["teams"], row["offence_focus"]) == (
        "H1",
        3,
        "no_helmet;wrong_side",
    )
    assert row["window"] == "daily 08:00-11:00; Sat 18:00-21:00" and row["notes"] == "bring cones"
    assert batch.drives["start_date"][0] == date(2025, 2, 1)
    assert batch.drives["end_date"][0] == date(2025, 2, 7)


BAD = [
    (",x,2025-01-01,2025-02-01,U1,,,,,", "drive_id", "drive_id is empty"),
    ("all,x,2025-01-01,2025-02-01,U1,,,,,", "drive_id", "reserved"),
    ("B,,2025-01-01,2025-02-01,U1,,,,,", "name", "name is empty"),
    ("B,x,2025-13-01,2025-02-01,U1,,,,,", "start_date", "not a date"),
    ("B,x,2025-01-01,someday,U1,,,,,", "end_date", "not a date"),
    ("B,x,2025-03-01,2025-02-01,U1,,,,,", "end_date", "before start_date"),
    ("B,x,2025-01-01,2025-02-01,,,NH-1,five,9,", "km_from", "not a number"),
    ("B,x,2025-01-01,2025-02-01,,,NH-1,-1,9,", "km_from", "negative"),
    ("B,x,2025-01-01,2025-02-01,,,NH-1,9,5,", "km_to", "before km_from"),
    ("B,x,2025-01-01,2025-02-01,,,NH-1,9,,", "km_to", "both km_from and km_to"),
    ("B,x,2025-01-01,2025-02-01,,zzz,,,,", "h3_cell", "not an H3 cell"),
    (
        f"B,x,2025-01-01,2025-02-01,,{h3.cell_to_children(CELL, 9)[0]},,,,",
        "h3_cell",
        "resolution 8",
    ),
    ("B,x,2025-01-01,2025-02-01,,,NH-1,,,", "unit_id", "no place"),
    ("B,x,2025-01-01,2025-02-01,,,,,,PS A", "unit_id", "no place"),
]


@pytest.mark.parametrize(("line", "column", "reason"), BAD)
def test_every_bad_row_is_rejected_with_column_and_reason(tmp_path, line, column, reason) -> None:
    batch = _read(tmp_path, "OK,fine,2025-01-01,2025-02-01,U1,,,,,", line)
    assert batch.rejected.height == 1
    bad = batch.rejected.row(0, named=True)
    assert (bad["row_number"], bad["column_name"]) == (2, column)
    assert reason in bad["reason"]
    with pytest.raises(
        SourceError, match=rf"1 of 2 rows rejected, nothing imported(.|\n)*row 2, column {column}"
    ):
        require_clean(batch)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("window", "Friday nights", "not a window"),
        ("window", "Fri-Sun 25:00-02:00", "not a window"),
        ("teams", "two", "whole number"),
        ("offence_focus", "speeding", "unknown offence"),
    ],
)
def test_optional_columns_are_checked(tmp_path, column, value, reason) -> None:
    batch = _read(
        tmp_path,
        f"B,x,2025-01-01,2025-02-01,U1,{value}",
        header=f"drive_id,name,start_date,end_date,unit_id,{column}",
    )
    assert batch.rejected["column_name"].to_list() == [column]
    assert reason in batch.rejected["reason"][0]


def test_rows_of_one_drive_must_agree_on_name_and_dates(tmp_path: Path) -> None:
    batch = _read(
        tmp_path,
        "D,Drive,2025-01-01,2025-02-01,U1,,,,,",
        "D,Drive,2025-01-01,2025-02-01,U2,,,,,",
        "D,Other name,2025-01-01,2025-02-01,U3,,,,,",
        "D,Drive,2025-01-02,2025-02-01,U4,,,,,",
    )
    assert batch.rejected.select("row_number", "column_name").rows() == [
        (3, "name"),
        (4, "start_date"),
    ]


def test_missing_columns_empty_file_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"missing columns \['end_date'\]"):
        _read(tmp_path, "D,x,2025-01-01", header="drive_id,name,start_date")
    with pytest.raises(SourceError, match="no drive places"):
        require_clean(_read(tmp_path))
    with pytest.raises(SourceError, match="file not found"):
        read_drives(tmp_path / "nope.csv")


def test_xlsx_with_date_cells(tmp_path: Path) -> None:
    path = tmp_path / "drives.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["drive_id", "name", "start_date", "end_date", "h3_cell", "teams"])
    sheet.append(["X1", "Fog nights", date(2025, 12, 15), date(2026, 1, 31), CELL, 2])
    book.save(path)
    batch = read_drives(path, h3_resolution=8)
    require_clean(batch)
    assert batch.drives.row(0)[2:] == (date(2025, 12, 15), date(2026, 1, 31))
    assert batch.places.row(0, named=True)["teams"] == 2


def test_a_plan_frame_saved_as_a_drive() -> None:
    plan = pl.DataFrame(
        {
            "rank": [1, 2, 3],
            "unit_id": [CELL, "NH-44 | km 65-66", "PS SADAR | NH-44"],
            "h3_cell": [CELL, None, None],
            "road_name": ["NH-44", "NH-44", "NH-44"],
            "km_from": [12.0, 65.0, None],
            "km_to": [13.0, 66.0, None],
            "police_station": ["PS Sadar", None, "PS Sadar"],
            "district": ["Karnal", "Karnal", "Karnal"],
            "window": ["Fri-Sun 22:00-02:00", "daily 06:00-09:00", "daily 00:00-24:00"],
            "team_hours_per_week": [6.0, 4.0, 2.0],
            "window_start": [date(2026, 1, 5)] * 3,
            "window_end": [date(2026, 1, 11)] * 3,
        }
    )
    batch = drives_from_plan(plan, "NH44 week 2", h3_resolution=8)
    require_clean(batch)
    assert batch.drives.row(0) == (
        "NH44-WEEK-2",
        "NH44 week 2",
        date(2026, 1, 5),
        date(2026, 1, 11),
    )
    assert batch.places["place_kind"].to_list() == ["unit", "road_km", "unit"]
    assert batch.places["window"].to_list() == plan["window"].to_list()
    own = drives_from_plan(
        plan.drop("window_start", "window_end"),
        "x",
        drive_id="P1",
        start=date(2026, 2, 1),
        end=date(2026, 2, 28),
    )
    assert own.drives.row(0)[0::2] == ("P1", date(2026, 2, 1))


def test_a_plan_without_dates_is_refused() -> None:
    plan = pl.DataFrame({"unit_id": [CELL]})
    batch = drives_from_plan(plan, "No dates")
    assert batch.rejected["column_name"].to_list() == ["start_date"]


def test_batch_from_text_names_the_source() -> None:
    with pytest.raises(SourceError, match="^my plan: missing columns"):
        batch_from_text(pl.DataFrame({"drive_id": ["x"]}), "my plan")


def test_every_window_the_planner_writes_is_accepted() -> None:
    """Plan rows with exactly the plan contract's columns and the planner's own window texts."""
    import numpy as np

    from roadsafety.exports.plan import PLAN_COLUMNS
    from roadsafety.models import allocation
    from roadsafety.models.profile import parse_peak_window

    rng = np.random.default_rng(4)
    masks = [np.ones(168, bool), np.zeros(168, bool)] + [
        rng.random(168) < p for p in (0.05, 0.2, 0.5)
    ]
    masks[1][[22, 23, 46, 47, 70, 71]] = True  # late evenings, three days running
    windows = [allocation.window_text(m) for m in masks]
    plan = pl.DataFrame(
        {c: [None] * len(windows) for c in PLAN_COLUMNS}, schema={c: pl.Utf8 for c in PLAN_COLUMNS}
    ).with_columns(
        pl.Series("unit_id", [CELL] * len(windows)),
        pl.Series("window", windows),
        pl.lit(date(2026, 1, 5)).alias("window_start"),
        pl.lit(date(2026, 1, 11)).alias("window_end"),
    )
    batch = drives_from_plan(plan, "Planner week")
    require_clean(batch)
    for text in batch.places["window"].to_list():
        parse_peak_window(text)  # the product's own parser reads what was stored

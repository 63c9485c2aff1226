"""The drive-place resolver: which crash records lie in a drive's places."""

from __future__ import annotations

import h3
import polars as pl

from roadsafety.features.drive_places import match_places, road_key

CELL = h3.latlng_to_cell(29.69, 76.99, 8)
OTHER_CELL = h3.latlng_to_cell(29.39, 76.96, 8)
PARENT = h3.cell_to_parent(CELL, 7)


def _crashes() -> pl.DataFrame:
    rows = [
        # row, unit_id, h3_cell, road_name, police_station, chainage_km
        (1, CELL, CELL, "NH-44", "PS Sadar Karnal", 120.0),
        (2, CELL, CELL, "NH-44", "PS Sadar Karnal", 121.0),
        (3, OTHER_CELL, OTHER_CELL, "NH 44", "PS Panipat", 95.0),
        (4, "PS SADAR KARNAL | NH-44", None, "nh-44", "PS  Sadar Karnal", 125.0),
        (5, "PS SADAR KARNAL | NH-44", None, "NH-44", "PS Sadar Karnal", None),
        (6, "PS CITY KARNAL | MALL ROAD", None, "Mall Road", "PS City Karnal", 3.0),
        (7, None, None, None, "PS City Karnal", None),
    ]
    return pl.DataFrame(
        rows,
        schema=["row", "unit_id", "h3_cell", "road_name", "police_station", "chainage_km"],
        orient="row",
    )


def _places(*rows: tuple) -> pl.DataFrame:
    cols = ["drive_id", "place_no", "place_kind", "unit_id", "h3_cell", "road_name"]
    cols += ["km_from", "km_to", "police_station"]
    return pl.DataFrame(
        [r + (None,) * (len(cols) - len(r)) for r in rows],
        schema={
            **{c: pl.Utf8 for c in cols},
            "place_no": pl.Int32,
            "km_from": pl.Float64,
            "km_to": pl.Float64,
        },
        orient="row",
    )


def _rows(found: pl.DataFrame, place_no: int | None = None) -> list[int]:
    if place_no is not None:
        found = found.filter(pl.col("place_no") == place_no)
    return sorted(found["row"].to_list())


def test_road_key_ignores_case_spaces_and_punctuation() -> None:
    keys = pl.select(
        road_key(pl.Series(["NH-44", "nh 44", " NH44 ", "NH-4", "", None]))
    ).to_series()
    assert keys.to_list() == ["NH44", "NH44", "NH44", "NH4", None, None]


def test_unit_place_matches_case_and_space_insensitively() -> None:
    places = _places(("D1", 1, "unit", "ps sadar karnal |  nh-44"), ("D1", 2, "unit", CELL.upper()))
    found = match_places(places, _crashes())
    assert _rows(found, 1) == [4, 5]
    assert _rows(found, 2) == [1, 2]


def test_cells_place_covers_listed_cells_and_children_of_a_coarser_cell() -> None:
    listed = _places(("D1", 1, "cells", None, f"{CELL}; {OTHER_CELL}"))
    assert _rows(match_places(listed, _crashes())) == [1, 2, 3]
    coarse = _places(("D1", 1, "cells", None, PARENT))
    assert _rows(match_places(coarse, _crashes())) == [1, 2]


def test_road_km_place_uses_the_road_key_and_an_inclusive_km_range() -> None:
    places = _places(("D1", 1, "road_km", None, None, "NH 44", 95.0, 121.0))
    # rows 1, 2 (120, 121) and 3 (95, written 'NH 44'); 125 is outside; no km -> not matched
    assert _rows(match_places(places, _crashes())) == [1, 2, 3]


def test_ps_road_place_takes_located_and_unlocated_records_of_that_station_and_road() -> None:
    places = _places(("D1", 1, "ps_road", None, None, "NH-44", None, None, "PS SADAR KARNAL"))
    assert _rows(match_places(places, _crashes())) == [1, 2, 4, 5]


def test_a_record_in_two_places_of_one_drive_counts_once_for_the_first() -> None:
    places = _places(
        ("D1", 1, "ps_road", None, None, "NH-44", None, None, "PS Sadar Karnal"),
        ("D1", 2, "unit", CELL),
        ("D2", 1, "unit", CELL),
    )
    found = match_places(places, _crashes())
    assert _rows(found.filter(pl.col("drive_id") == "D1")) == [1, 2, 4, 5]
    assert _rows(found.filter(pl.col("drive_id") == "D1"), 2) == []
    assert _rows(found.filter(pl.col("drive_id") == "D2")) == [1, 2]


def test_a_place_matching_nothing_returns_no_rows() -> None:
    places = _places(("D1", 1, "unit", "PS NOWHERE | NO ROAD"))
    assert match_places(places, _crashes()).is_empty()

"""Road names, km bins and stretch ids."""

from __future__ import annotations

import polars as pl
import pytest

from roadsafety.features.roads import (
    km_bin_start,
    normalise_road_name,
    normalise_road_names,
    parse_stretch_id,
    stretch_columns,
    stretch_id,
    stretch_neighbours,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NH 44", "NH-44"),
        ("NH-44", "NH-44"),
        ("National Highway 44", "NH-44"),
        ("nh44", "NH-44"),
        ("N.H. 44", "NH-44"),
        ("NH - 044", "NH-44"),
        ("National Highway No. 44", "NH-44"),
        ("NH/44", "NH-44"),
        ("nh 152d", "NH-152D"),
        ("State Highway 10", "SH-10"),
        ("sh-10a", "SH-10A"),
        ("S.H. 10A", "SH-10A"),
        ("MDR 118", "MDR-118"),
        ("Major District Road 118", "MDR-118"),
        ("odr 7", "ODR-7"),
        ("National Expressway 4", "NE-4"),
        ("M.G. Rd", "MG ROAD"),
        ("MG  Road ", "MG ROAD"),
        ("Gurugram - Faridabad Road", "GURUGRAM-FARIDABAD ROAD"),
        ("Gurugram \u2013 Faridabad Road", "GURUGRAM-FARIDABAD ROAD"),
        ("N.SUBHASH MARG", "N SUBHASH MARG"),
        ("MEHRAULI BADARPUR RD", "MEHRAULI BADARPUR ROAD"),
        ("KMP Expressway", "KMP EXPRESSWAY"),
        ("D906 (13)", "D906 (13)"),
        ("NHAI Road", "NHAI ROAD"),
        ("NH", "NH"),
        ("   ", None),
        (None, None),
    ],
)
def test_road_names_have_one_spelling(raw: str | None, expected: str | None) -> None:
    assert normalise_road_name(raw) == expected


def test_normalisation_is_idempotent_and_columnwise() -> None:
    names = pl.Series("road_name", ["nh 44", None, "M.G. Rd", "NH-44", "sh 10"])
    once = normalise_road_names(names)
    assert once.to_list() == ["NH-44", None, "MG ROAD", "NH-44", "SH-10"]
    assert normalise_road_names(once).to_list() == once.to_list()
    assert once.name == "road_name"


@pytest.mark.parametrize(
    ("km", "length", "start"),
    [
        (65.0, 1.0, 65.0),
        (65.999999, 1.0, 65.0),
        (66.0, 1.0, 66.0),
        (0.0, 1.0, 0.0),
        (65.5, 0.5, 65.5),
        (65.49, 0.5, 65.0),
        (0.3, 0.1, 0.3),
        (0.7, 0.1, 0.7),
    ],
)
def test_km_bins_at_their_edges(km: float, length: float, start: float) -> None:
    assert km_bin_start(km, length) == start


def test_stretch_ids_are_formatted_with_g_and_parse_back() -> None:
    assert stretch_id("NH-44", 65.0, 66.0) == "NH-44 | km 65-66"
    assert stretch_id("NH-44", 65.5, 66.0) == "NH-44 | km 65.5-66"
    assert parse_stretch_id("NH-44 | km 65.5-66") == ("NH-44", 65.5, 66.0)
    assert parse_stretch_id("PS SAMALKHA | NH-44") is None
    assert parse_stretch_id("PS X | KM 5 ROAD") is None
    assert parse_stretch_id(None) is None


def test_stretch_columns_bin_markers_and_leave_others_null() -> None:
    frame = pl.DataFrame(
        {
            "road_name": ["NH-44", "NH-44", "NH-44", None, "SH-10"],
            "chainage_km": [65.0, 65.999, 66.0, 12.0, None],
        }
    )
    out = stretch_columns(frame, 1.0)
    assert out["stretch_unit"].to_list() == [
        "NH-44 | km 65-66",
        "NH-44 | km 65-66",
        "NH-44 | km 66-67",
        None,
        None,
    ]
    assert out["km_from"].to_list() == [65.0, 65.0, 66.0, None, None]
    half = stretch_columns(frame, 0.5)["stretch_unit"].to_list()
    assert half[:3] == ["NH-44 | km 65-65.5", "NH-44 | km 65.5-66", "NH-44 | km 66-66.5"]
    with pytest.raises(ValueError, match="positive"):
        stretch_columns(frame, 0.0)


def test_adjacent_stretches_are_neighbours_on_the_same_road_only() -> None:
    pairs = stretch_neighbours(["NH-44 | km 0-1", "NH-44 | km 65-66", "PS A | NH-44"], 1)
    assert pairs == [
        ("NH-44 | km 0-1", "NH-44 | km 1-2"),
        ("NH-44 | km 65-66", "NH-44 | km 64-65"),
        ("NH-44 | km 65-66", "NH-44 | km 66-67"),
    ]
    assert ("NH-44 | km 65-66", "NH-44 | km 63-64") in stretch_neighbours(["NH-44 | km 65-66"], 2)

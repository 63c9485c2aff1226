"""Risk-list rows: contract columns, stable ranking, filters, corridor merging."""

from __future__ import annotations

import h3
import polars as pl
import pytest

from roadsafety.exports.risk_list import RISK_COLUMNS, ExportError, RiskListFilter, build_risk_rows
from roadsafety.store.connection import read_connection, write_connection
from roadsafety.vocabulary import BAND_ORDER


def rows_of(world, **kw) -> pl.DataFrame:
    with read_connection(world.db_path) as con:
        return build_risk_rows(con, world.run_id, RiskListFilter(**kw))


def test_columns_are_exactly_the_contract(world):
    rows = rows_of(world)
    assert tuple(rows.columns) == RISK_COLUMNS
    assert rows["rank"].to_list() == list(range(1, rows.height + 1))
    assert set(rows["model_version"]) == {"v20250101T000000"}
    assert set(rows["window_end"].cast(pl.Utf8)) == {"2025-01-07"}


@pytest.mark.parametrize("kw", [{}, {"merge": True}, {"severity": "fatal_grievous", "top": 4}])
def test_same_run_and_options_give_identical_rows(world, kw):
    first = rows_of(world, **kw)
    assert first.equals(rows_of(world, **kw))
    with write_connection(world.db_path) as con:  # physical row order must not matter
        con.execute("CREATE TABLE f2 AS SELECT * FROM forecasts ORDER BY unit_id DESC")
        con.execute("DELETE FROM forecasts")
        con.execute("INSERT INTO forecasts SELECT * FROM f2")
        con.execute("DROP TABLE f2")
    assert first.equals(rows_of(world, **kw))


def test_ranking_key_and_tie_break(world):
    rows = rows_of(world)
    assert rows["expected_crashes"].to_list() == sorted(
        rows["expected_crashes"].to_list(), reverse=True
    )
    tied = rows.filter(pl.col("expected_crashes") == 3.0)["unit_id"].to_list()
    assert tied == sorted(tied) and len(tied) == 2  # equal on both keys: unit id decides
    assert world.stretches[0] in tied  # a cell and a road stretch compare as places
    fg = rows_of(world, severity="fatal_grievous")
    assert fg["unit_id"][0] == world.lone_cell  # highest fatal+grievous, second on all crashes


def test_filters(world):
    assert set(rows_of(world, district="  panipat ")["district"]) == {"Panipat"}
    assert rows_of(world, police_station="city panipat").is_empty()  # it has road-wide units only
    assert set(rows_of(world, police_station="city panipat", road_wide=True)["unit_id"]) == {
        world.ps_unit,
        world.ps_unit_nogeo,
    }
    assert set(rows_of(world, min_band="high")["risk_band"]) <= {"high", "very_high"}
    assert rows_of(world, top=3).height == 3


def test_places_and_road_wide_units_are_never_ranked_together(world):
    places, wide = rows_of(world), rows_of(world, road_wide=True)
    assert not set(places["unit_id"]) & {world.ps_unit, world.ps_unit_nogeo}
    assert wide["unit_id"].to_list() == [world.ps_unit, world.ps_unit_nogeo]
    assert wide["rank"].to_list() == [1, 2]
    assert tuple(wide.columns) == RISK_COLUMNS


def test_stretches_carry_their_km_and_fitted_place(world):
    rows = {r["unit_id"]: r for r in rows_of(world).iter_rows(named=True)}
    mapped, unmapped = rows[world.stretches[0]], rows[world.unmapped_stretch]
    assert (mapped["road_name"], mapped["km_from"], mapped["km_to"]) == ("NH-48", 20.0, 21.0)
    assert mapped["h3_cell"] is None and mapped["latitude"] == pytest.approx(29.70)
    assert (unmapped["km_from"], unmapped["latitude"]) == (5.0, None)  # no fit: no point either
    assert rows[world.road_cells[0]]["km_from"] is None


def test_adjacent_high_stretches_merge_into_a_run(world):
    rows = {r["unit_id"]: r for r in rows_of(world, merge=True).iter_rows(named=True)}
    run = rows["corridor:NH-48 | km 20-22"]
    assert (run["km_from"], run["km_to"], run["h3_cell"]) == (20.0, 22.0, None)
    assert run["expected_crashes"] == pytest.approx(5.3)
    assert run["top_factors"].startswith("run of 2 stretches, km 20-22; night truck traffic")
    assert world.unmapped_stretch in rows  # medium: never merged


def test_unlocated_units_are_listed_as_station_and_road(world):
    rows = rows_of(world, road_wide=True).filter(pl.col("unit_id") == world.ps_unit_nogeo)
    assert rows["h3_cell"].to_list() == [None] and rows["latitude"].to_list() == [None]
    assert rows["police_station"].to_list() == ["CITY PANIPAT"] and rows["road_name"].to_list() == [
        "DELHI ROAD"
    ]


def test_unknown_h3_unit_gets_its_cell_and_centre(world):
    row = rows_of(world).filter(pl.col("unit_id") == world.ghost_cell).row(0, named=True)
    assert row["h3_cell"] == world.ghost_cell
    assert row["latitude"] == pytest.approx(h3.cell_to_latlng(world.ghost_cell)[0])
    # jurisdiction from the nearest described cell (two rings away), road not inferred
    assert (row["district"], row["police_station"], row["road_name"]) == (
        "Panipat",
        "MODEL TOWN",
        None,
    )
    assert world.ghost_cell in rows_of(world, district="Panipat")["unit_id"].to_list()


def test_adjacent_high_cells_on_one_road_merge_into_a_corridor(world):
    rows = rows_of(world, merge=True)
    top = rows.row(0, named=True)
    cells = top["h3_cell"].split(";")
    assert sorted(cells) == sorted(world.road_cells[:3])
    assert all(h3.is_valid_cell(c) and h3.get_resolution(c) == 8 for c in cells)
    assert top["unit_id"] == f"corridor:NH-44:{cells[0]}"
    assert top["expected_crashes"] == pytest.approx(4.0 + 3.0 + 2.5)
    assert top["peak_window"] == "Fri-Sun 22:00-02:00"  # the dominant cell's
    assert top["top_factors"].startswith("corridor of 3 cells, km 110.0-112.0")
    # the 6th road cell is high but not adjacent to the corridor; medium/low cells never merge
    assert world.road_cells[5] in rows["unit_id"].to_list()
    assert rows.height == rows_of(world).height - 3  # and the two NH-48 stretches are one run


def test_top_counts_rows_after_merging(world):
    rows = rows_of(world, merge=True, top=2)
    assert rows.height == 2 and ";" in rows["h3_cell"][0]


@pytest.mark.parametrize(
    ("kw", "option"),
    [
        ({"top": 0}, "--top"),
        ({"severity": "worst"}, "--severity"),
        ({"min_band": "red"}, "--min-band"),
        ({"district": "Atlantis"}, "--district"),
        ({"police_station": "Nowhere"}, "--police-station"),
    ],
)
def test_bad_options_name_the_option(world, kw, option):
    with pytest.raises(ExportError, match=option):
        rows_of(world, **kw)


def test_unknown_run_is_an_error(world):
    with read_connection(world.db_path) as con, pytest.raises(ExportError, match="does not exist"):
        build_risk_rows(con, "no-such-run", RiskListFilter())


def test_station_road_unit_without_centroid_is_placed_at_its_police_station(world):
    with write_connection(world.db_path) as con:
        con.execute("INSERT INTO police_stations VALUES ('CITY PANIPAT', 'Panipat', 29.41, 76.95)")
    rows = {r["unit_id"]: r for r in rows_of(world, road_wide=True).iter_rows(named=True)}
    assert (rows[world.ps_unit_nogeo]["latitude"], rows[world.ps_unit_nogeo]["longitude"]) == (
        29.41,
        76.95,
    )
    assert (rows[world.ps_unit]["latitude"], rows[world.ps_unit]["longitude"]) == (
        29.39,
        76.97,
    )  # own centroid kept
    assert rows[world.ps_unit_nogeo]["h3_cell"] is None


def _band_levels(rows: pl.DataFrame) -> list[int]:
    return rows["risk_band"].replace_strict(BAND_ORDER).to_list()


@pytest.mark.parametrize("severity", ["all", "fatal_grievous"])
@pytest.mark.parametrize("merge", [False, True])
@pytest.mark.parametrize("district", [None, "Karnal"])
def test_bands_never_rise_down_the_list(world, severity, merge, district):
    """The world's stored bands put the NH-48 stretches (2 x high, 5.3 crashes together) below a
    very-high cell (3.5): merged, release 1 listed a 'high' run above a 'very high' cell. Ranked by
    fatal + grievous crashes, bands must follow that order as well."""
    for road_wide in (False, True):
        rows = rows_of(
            world, severity=severity, merge=merge, district=district, road_wide=road_wide
        )
        levels = _band_levels(rows)
        assert levels == sorted(levels, reverse=True), rows.select("unit_id", "risk_band")


def test_a_corridor_takes_the_band_of_its_summed_value(world):
    rows = rows_of(world, merge=True)
    run = rows.filter(pl.col("unit_id").str.starts_with("corridor:NH-48"))
    assert run["expected_crashes"].item() == pytest.approx(5.3)
    assert run["risk_band"].item() == "very_high"  # 5.3 crashes reach the top 1% cut (3.0)
    assert rows_of(world).filter(pl.col("unit_id") == world.stretches[1])["risk_band"].item() == (
        "high"
    )


def test_bands_are_the_same_band_for_a_unit_in_every_list(world):
    statewide = rows_of(world).select("unit_id", "risk_band")
    karnal = rows_of(world, district="Karnal").select("unit_id", "risk_band")
    assert (
        karnal.join(statewide, on="unit_id", suffix="_state")
        .filter(pl.col("risk_band") != pl.col("risk_band_state"))
        .is_empty()
    )

"""BAAC adapter: hand-written rows for each quirk, plus the real five-département file."""

from __future__ import annotations

import ast
import csv
import gzip
import re
from pathlib import Path

import polars as pl
import pytest

from roadsafety.sources.base import SourceError
from roadsafety.sources.france import read_baac

HEADER = (
    "Num_Acc,an,mois,jour,hrmn,lat,long,dep,com,agg,catr,voie,adr,pr,pr1,atm,lum,usagers,vehicules"
)


def _row(
    num,
    an,
    mois,
    jour,
    hrmn,
    lat,
    lon,
    dep,
    com,
    agg,
    catr,
    voie,
    adr,
    pr,
    pr1,
    usagers,
    vehicules="\"[{u'catv': 7, u'num_veh': u'A01'}, {u'catv': 33, u'occutc': nan}]\"",
):
    return f"{num},{an},{mois},{jour},{hrmn},{lat},{lon},{dep},{com},{agg},{catr},{voie},{adr},{pr},{pr1},1.0,3,{usagers},{vehicules}"


ROWS = [
    # old encodings: 2-digit year, HMM time, scaled coordinates, 130-style dep, 3-digit commune
    _row(
        "200500000001",
        "5",
        "1",
        "30",
        "615",
        "4491600.0",
        "496800.0",
        "260",
        "64.0",
        "1",
        "3.0",
        "68.0",
        "",
        "6.0",
        "200.0",
        "\"[{u'grav': 3, u'an_nais': nan}, {u'grav': 1}]\"",
    ),
    # new encodings: decimal commas, HH:MM, 13-style dep, INSEE commune, street name in voie
    _row(
        "201900000002",
        "2019",
        "11",
        "29",
        "16:40",
        '"45,5221900"',
        '"4,8748000"',
        "38",
        "38544",
        "2",
        "4",
        "VICTOR  HUGO(RUE)",
        "",
        "(1)",
        "(1)",
        "\"[{u'grav': 4}, {u'grav': 2}, {u'grav': 2}]\"",
    ),
    # zero coordinates = missing; '4.0'/'0' pair = missing; communal road outside town → ODR
    _row(
        "200900000003",
        "9",
        "2",
        "3",
        "5",
        "4.0",
        "0",
        "450",
        "12",
        "1",
        "4.0",
        "0.0",
        '"22 bis, route de Paris"',
        "",
        "",
        "\"[{u'grav': 4}]\"",
    ),
    _row(
        "200700000004",
        "7",
        "7",
        "14",
        "2359",
        "0.0",
        "0.0",
        "670",
        "482.0",
        "1",
        "1.0",
        "35.0",
        "",
        "12.0",
        "50.0",
        "\"[{u'grav': 1}]\"",
    ),
    # invalid date (month 13) and unreadable victims → rejected
    _row(
        "200800000005",
        "8",
        "13",
        "1",
        "1200",
        "",
        "",
        "130",
        "55",
        "2",
        "2",
        "7",
        "",
        "",
        "",
        "\"[{u'grav': 4}]\"",
    ),
    _row(
        "200800000006",
        "8",
        "3",
        "1",
        "1200",
        "",
        "",
        "130",
        "55",
        "2",
        "2",
        "7",
        "",
        "",
        "",
        '"not a list"',
    ),
]


@pytest.fixture
def baac_file(tmp_path: Path) -> Path:
    path = tmp_path / "baac.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def _by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["accident_id"]: r for r in frame.iter_rows(named=True)}


def test_every_row_is_mapped_or_rejected(baac_file: Path) -> None:
    batch = read_baac(baac_file)
    assert batch.rows_read == 6
    assert batch.frame.height + batch.rejected.height == 6
    assert set(batch.frame["source_row"]).isdisjoint(set(batch.rejected["row_number"]))
    reasons = dict(zip(batch.rejected["row_number"], batch.rejected["reason"]))
    assert reasons == {
        5: "date not readable from an/mois/jour",
        6: "no victim with a readable grav in usagers",
    }


def test_old_encodings(baac_file: Path) -> None:
    row = _by_id(read_baac(baac_file).frame)["200500000001"]
    assert row["occurred_at"] == "2005-01-30 06:15"
    assert (row["latitude"], row["longitude"]) == (44.916, 4.968)
    assert (row["district"], row["police_station"]) == ("26", "26064")
    assert (row["road_name"], row["road_category"], row["chainage_km"]) == ("D68 (26)", "SH", 6.2)
    assert (row["severity"], row["killed"], row["injured"]) == ("grievous", 0, 1)
    assert row["vehicle_types"] == "car,motorcycle >125cc"
    assert (row["weather"], row["light"]) == ("normal", "night without street lighting")
    assert '"pr1":"200.0"' in row["raw"] and '"grav":"3,1"' in row["raw"]


def test_new_encodings(baac_file: Path) -> None:
    row = _by_id(read_baac(baac_file).frame)["201900000002"]
    assert row["occurred_at"] == "2019-11-29 16:40"
    assert (row["latitude"], row["longitude"]) == (45.52219, 4.8748)
    assert (row["district"], row["police_station"]) == ("38", "38544")
    assert (row["road_name"], row["road_category"], row["chainage_km"]) == (
        "RUE VICTOR HUGO",
        "urban",
        None,
    )
    assert (row["severity"], row["killed"], row["injured"]) == ("fatal", 2, 1)


def test_missing_coordinates_and_address_road(baac_file: Path) -> None:
    rows = _by_id(read_baac(baac_file).frame)
    communal = rows["200900000003"]
    assert communal["latitude"] is None and communal["longitude"] is None
    assert communal["occurred_at"] == "2009-02-03 00:05"
    assert (communal["road_name"], communal["road_category"]) == ("ROUTE PARIS", "ODR")
    assert communal["police_station"] == "45012"
    motorway = rows["200700000004"]
    assert motorway["latitude"] is None
    assert (motorway["road_name"], motorway["road_category"], motorway["chainage_km"]) == (
        "A35 (67)",
        "expressway",
        12.05,
    )
    assert (motorway["severity"], motorway["killed"], motorway["injured"]) == ("non_injury", 0, 0)
    assert motorway["occurred_at"] == "2007-07-14 23:59"


def test_not_a_baac_file(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="missing columns"):
        read_baac(path)
    with pytest.raises(SourceError, match="not found"):
        read_baac(tmp_path / "absent.csv")


# --- real file ------------------------------------------------------------------------------------


def _independent_severity(path: Path) -> dict[str, int]:
    """Worst grav per accident, computed with the csv module and ast (not the adapter's regex)."""
    rank = {2: "fatal", 3: "grievous", 4: "minor", 1: "non_injury"}
    counts: dict[str, int] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            victims = ast.literal_eval(re.sub(r"\bnan\b", "None", rec["usagers"]))
            gravs = [int(v["grav"]) for v in victims if v.get("grav") in rank]
            worst = min(
                (rank[g] for g in gravs), key=["fatal", "grievous", "minor", "non_injury"].index
            )
            counts[worst] = counts.get(worst, 0) + 1
    return counts


@pytest.mark.realdata
def test_real_baac_file(real_data: Path) -> None:
    path = real_data / "baac_france_5dep.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} absent")
    batch = read_baac(path)
    assert batch.rows_read == 105_697
    assert batch.frame.height + batch.rejected.height == batch.rows_read
    got = dict(batch.frame.group_by("severity").len().iter_rows())
    assert got == _independent_severity(path)
    frame = batch.frame
    assert frame["accident_id"].n_unique() == frame.height
    assert sorted(frame["district"].unique()) == ["13", "26", "38", "45", "67"]
    assert frame["occurred_at"].min() >= "2005-01-01" and frame["occurred_at"].max() < "2021-01-01"
    first = _by_id(frame.head(1))["200500000849"]
    assert (first["occurred_at"], first["latitude"], first["longitude"]) == (
        "2005-01-16 17:00",
        44.917,
        5.028,
    )
    assert (first["road_name"], first["chainage_km"], first["severity"], first["injured"]) == (
        "D68 (26)",
        10.95,
        "grievous",
        3,
    )
    new = _by_id(frame.filter(pl.col("accident_id") == "201900000008"))["201900000008"]
    assert (new["latitude"], new["longitude"], new["police_station"]) == (45.52219, 4.8748, "38544")
    assert (new["occurred_at"], new["severity"]) == ("2019-11-29 16:40", "minor")


def test_point_outside_its_departement_is_unlocated(tmp_path: Path) -> None:
    rows = [
        _row(
            "201000000007",
            "10",
            "5",
            "5",
            "1000",
            "4330000.0",
            "537000.0",
            "130",
            "55",
            "2",
            "4.0",
            "0.0",
            "RUE X",
            "",
            "",
            "\"[{u'grav': 4}]\"",
        ),  # Marseille, in 13: kept
        _row(
            "201000000008",
            "10",
            "5",
            "5",
            "1000",
            "4330000.0",
            "537000.0",
            "450",
            "55",
            "2",
            "4.0",
            "0.0",
            "RUE X",
            "",
            "",
            "\"[{u'grav': 4}]\"",
        ),  # Marseille, but Loiret (45): dropped
    ]
    path = tmp_path / "b.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    frame = read_baac(path).frame
    assert frame["latitude"].to_list() == [43.3, None]
    assert '"lat":"4330000.0"' in frame["raw"][1]


def test_pr_zero_filler_is_unknown_and_numbered_roads_carry_the_departement() -> None:
    from roadsafety.sources.france import _chainage, _road_name

    frame = pl.DataFrame(
        {
            "catr": ["3.0", "3.0", "3.0", "4.0"],
            "voie": ["68.0", "68.0", "68.0", "5.0"],
            "pr": ["0.0", "0.0", "6.0", "2.0"],
            "pr1": ["0.0", "400.0", "0.0", "0.0"],
            "dep": ["260", "38", "26", "26"],
            "adr": pl.Series([None, None, None, None], dtype=pl.Utf8),
        }
    )
    out = frame.select(_chainage().alias("km"), _road_name().alias("road"))
    assert out["km"].to_list() == [None, 0.4, 6.0, None]
    assert out["road"].to_list() == ["D68 (26)", "D68 (38)", "D68 (26)", "C5"]

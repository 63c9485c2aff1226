"""Montgomery County citations: offence keywords, shifted and truncated rows, the real file."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from roadsafety.sources.base import SourceError
from roadsafety.sources.maryland import read_montgomery
from roadsafety.sources.offences import offence_expr

HEADER = (
    "Date Of Stop,Time Of Stop,Agency,SubAgency,Description,Location,Latitude,Longitude,Accident,"
    "Belts,Alcohol,VehicleType,Violation Type,Charge,Article,Race,Gender,Driver City"
)
ROWS = [
    (
        '11/23/2016,10:56:00,MCP,"2nd district, Bethesda",EXCEEDING THE POSTED SPEED LIMIT OF 30 MPH,355 @ 410,'
        "38.98447,-77.0941383333,No,No,No,02 - Automobile,Citation,21-801.1,Transportation Article,WHITE,M,ROCKVILLE"
    ),
    (
        '11/23/2016,10:56:00,MCP,"2nd district, Bethesda",EXCEEDING THE POSTED SPEED LIMIT OF 30 MPH,355 @ 410,'
        "38.98447,-77.0941383333,No,No,No,02 - Automobile,Citation,21-801.1,Transportation Article,WHITE,M,ROCKVILLE"
    ),
    (
        '06/01/2016,23:10:00,MCP,"4th district, Wheaton",DRIVING VEHICLE WHILE UNDER THE INFLUENCE OF ALCOHOL,'
        "GEORGIA AVE,0,0,No,No,Yes,02 - Automobile,ESERO,21-902(a1),Transportation Article,BLACK,F,WHEATON"
    ),
    # shifted: unquoted comma in Location pushes every later column one to the right
    (
        '06/07/2016,08:17:00,MCP,"4th district, Wheaton",FAILURE TO DISPLAY REGISTRATION CARD,SHERWOOD DR / RANDOL,'
        "PH RD,,,No,No,No,MD,BLACK,Warning,13-409(b),Transportation Article,BLACK"
    ),
    # truncated last row
    '06/27/2016,09:23:00,MCP,"4th district, Wheaton",DRIVING ON SUSPENDED LICENSE,16800 GEORGIA AVE,,,No,,,,,,,,,',
]


@pytest.fixture
def citations(tmp_path: Path) -> Path:
    path = tmp_path / "mc.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "offence"),
    [
        ("DRIVING WHILE IMPAIRED BY ALCOHOL", "drunk_driving"),
        (
            "DRIVER USING HANDS TO USE HANDHELD TELEPHONE WHILEMOTOR VEHICLE IS IN MOTION",
            "mobile_phone",
        ),
        ("DRIVER FAILURE TO STOP AT STEADY CIRCULAR RED SIGNAL", "red_light"),
        ("EXCEEDING MAXIMUM SPEED: 39 MPH IN A POSTED 30 MPH ZONE", "overspeeding"),
        ("OPER. MOTOR VEH. WITH OPERATOR NOT RESTRAINED BY SEAT BELT", "no_seatbelt"),
        ("DRIVING WRONG WAY--ONE WAY STREET", "wrong_side"),
        ("DRIVER CHANGING LANES WHEN UNSAFE", "lane_violation"),
        ("RECKLESS DRIVING VEHICLE IN WANTON AND WILLFUL DISREGARD", "dangerous_driving"),
        ("KNOWINGLY DRIVING UNINSURED VEHICLE", "no_documents"),
        ("POSSESSING SUSPENDED LIC.", "no_documents"),
        ("STOP LIGHTS (*)", "other"),
        ("riding without helmet", "no_helmet"),
        ("Over Speeding (LMV)", "overspeeding"),
        ("Jumping Red Light", "red_light"),
    ],
)
def test_offence_keywords(text: str, offence: str) -> None:
    got = pl.select(offence_expr(pl.lit(text))).item()
    assert got == offence


def test_citations(citations: Path) -> None:
    batch = read_montgomery(citations)
    assert batch.rows_read == 5
    frame = batch.frame
    assert frame.height == 3
    assert frame["challan_id"].n_unique() == 3  # identical charges in one stop stay two tickets
    assert frame["challan_id"].to_list()[0].endswith("-1") and frame["challan_id"].to_list()[
        1
    ].endswith("-2")
    first = frame.row(0, named=True)
    assert (first["issued_at"], first["offence"], first["challan_type"]) == (
        "2016-11-23 10:56:00",
        "overspeeding",
        "citation",
    )
    assert (first["latitude"], first["longitude"]) == (38.98447, -77.0941383333)
    assert (first["police_station"], first["road_name"], first["vehicle_class"]) == (
        "2ND DISTRICT, BETHESDA",
        "355 @ 410",
        "Automobile",
    )
    assert first["vehicle_reg"] is None
    assert "WHITE" not in first["raw"] and "ROCKVILLE" not in first["raw"]  # no driver data kept
    drunk = frame.row(2, named=True)
    assert (drunk["offence"], drunk["challan_type"], drunk["latitude"]) == (
        "drunk_driving",
        "esero",
        None,
    )
    assert drunk["offence_raw"] == "DRIVING VEHICLE WHILE UNDER THE INFLUENCE OF ALCOHOL"
    rejected = {r["row_number"]: r["reason"] for r in batch.rejected.iter_rows(named=True)}
    assert rejected[4].startswith("columns shifted")
    assert rejected[5].startswith("row truncated")


def test_challan_ids_are_stable(citations: Path) -> None:
    assert (
        read_montgomery(citations).frame["challan_id"].to_list()
        == read_montgomery(citations).frame["challan_id"].to_list()
    )


def test_not_a_citations_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match="missing columns"):
        read_montgomery(path)


@pytest.mark.realdata
def test_real_citations(real_data: Path) -> None:
    path = real_data / "montgomery_traffic_violations_2016.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    good = [r for r in records if r["Violation Type"] in ("Citation", "Warning", "ESERO")]
    batch = read_montgomery(path)
    assert batch.rows_read == len(records) == 11_983
    assert batch.frame.height == len(good) == 11_964
    reasons = batch.rejected.group_by("reason").len().sort("reason")["len"].to_list()
    assert sorted(reasons) == [1, 18]
    assert batch.rejected["row_number"].max() == 11_983  # the truncated last row
    expected_types = {}
    for r in good:
        expected_types[r["Violation Type"].lower()] = (
            expected_types.get(r["Violation Type"].lower(), 0) + 1
        )
    assert dict(batch.frame.group_by("challan_type").len().iter_rows()) == expected_types
    assert batch.frame["challan_id"].n_unique() == batch.frame.height
    first = batch.frame.row(0, named=True)
    assert (first["issued_at"], first["offence"], first["challan_type"]) == (
        "2016-11-23 10:56:00",
        "no_documents",
        "citation",
    )
    located = batch.frame.filter(pl.col("latitude").is_not_null())
    assert located["latitude"].is_between(38.5, 39.8).all()

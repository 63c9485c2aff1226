"""Delhi FIR register and fatal-crash forms: small hand-written files, plus the real files."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from roadsafety.sources.base import SourceError
from roadsafety.sources.delhi import read_delhi_fir
from roadsafety.sources.delhi_fatal import read_delhi_fatal
from roadsafety.sources.sections import split_sections, worst_severity

FIR_HEADER = "SL NO. ,FIRNO,POLICE STATION ,U/S ,DATE ,OFFENDING VEHICLE ,VICTIMS ,PLACE OF OCCURANCE,ROAD NAME,YEAR"
FIR_ROWS = [
    "1,1,KAROL  BAGH,279/337 IPC,01-Jan-20,PVT CAR,PED,NR HOSPITAL PUSA RD,pusa road,2020",
    "2,12,DWARKA,279/304 A IPC,15-Aug-19,HTV/GDS,TWW,SEC 19,NH-8,2019",
    "3,13,DWARKA,279/337/338 IPC,16-Aug-19,TSR,PED,SEC 20,MINOR ROADS,2019",
    "4,14,DWARKA,279/427 IPC,17-Aug-19,TSR,SLF,SEC 21,MINOR ROADS,2019",
    "5,15,DWARKA,420 IPC,18-Aug-19,TSR,SLF,SEC 22,MINOR ROADS,2019",
    "6,16,DWARKA,279/337 IPC,31-Feb-19,TSR,SLF,SEC 22,MINOR ROADS,2019",
    "7,3,SADAR,281/106(1) BNS,02-Aug-24,CAR,PED,X,NH-44,2024",
    "8,4,SADAR,281/125(b),03-Aug-24,CAR,PED,X,NH-44,2024",
]


@pytest.fixture
def fir_file(tmp_path: Path) -> Path:
    path = tmp_path / "fir.csv"
    path.write_bytes(("\n".join([FIR_HEADER, *FIR_ROWS]) + "\n").encode("latin1"))
    return path


@pytest.mark.parametrize(
    ("text", "bns", "expected"),
    [
        ("279/337 IPC", False, "minor"),
        ("279/304 A IPC", False, "fatal"),
        ("279/337/338 IPC", False, "grievous"),
        ("279/427 IPC", False, "minor"),
        ("281/106(2) BNS", False, "fatal"),
        ("281/125(a) BNS", False, "minor"),
        ("281/125(b)", True, "grievous"),
        ("420 IPC", False, None),
        ("", False, None),
    ],
)
def test_sections_to_severity(text: str, bns: bool, expected: str | None) -> None:
    assert worst_severity(text, bns) == expected


def test_split_sections_normalises_tokens() -> None:
    assert split_sections("279/337/304 A IPC") == ["279", "337", "304A"]
    assert split_sections("281, 125(B) BNS") == ["281", "125(b)"]


def test_fir_register(fir_file: Path) -> None:
    batch = read_delhi_fir(fir_file)
    assert batch.rows_read == 8
    rows = {r["accident_id"]: r for r in batch.frame.iter_rows(named=True)}
    assert set(rows) == {
        "KAROL BAGH/1/2020",
        "DWARKA/12/2019",
        "DWARKA/13/2019",
        "DWARKA/14/2019",
        "SADAR/3/2024",
        "SADAR/4/2024",
    }
    first = rows["KAROL BAGH/1/2020"]
    assert (first["occurred_at"], first["severity"], first["road_name"]) == (
        "2020-01-01",
        "minor",
        "PUSA ROAD",
    )
    assert (first["police_station"], first["road_category"], first["latitude"]) == (
        "KAROL BAGH",
        "urban",
        None,
    )
    assert '"U/S":"279/337 IPC"' in first["raw"] and '"VICTIMS":"PED"' in first["raw"]
    assert (rows["DWARKA/12/2019"]["severity"], rows["DWARKA/12/2019"]["road_category"]) == (
        "fatal",
        "NH",
    )
    assert rows["DWARKA/13/2019"]["severity"] == "grievous"
    assert rows["SADAR/3/2024"]["severity"] == "fatal"
    assert rows["SADAR/4/2024"]["severity"] == "grievous"
    rejected = {r["row_number"]: r for r in batch.rejected.iter_rows(named=True)}
    assert rejected[5]["reason"] == "no legal section maps to a severity"
    assert rejected[5]["raw_value"] == "420 IPC"
    assert rejected[6]["column_name"] == "DATE"


def test_fir_register_not_a_register(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match="missing columns"):
        read_delhi_fir(path)


# --- fatal forms ----------------------------------------------------------------------------------

FORM_HEADER = (
    "Form_No,FIR_No,Police_Station,Time_Of_Crash,Date_Of_Crash,Collision_Type,No_Of_ Fatalities,"
    "No_Of_ Injured,Road_1,Road_2,Road_3,GPS_Lat,GPS_Long"
)


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="latin1")


@pytest.fixture
def fatal_folder(tmp_path: Path) -> Path:
    root = tmp_path / "delhi_fatal_forms"
    _write(
        root / "2019" / "1_Crash_Form_1.csv",
        [
            FORM_HEADER,
            "190014,0014,1,22:30,19-01-2019,Hit Pedestrian,1,0,Azadpur Chowk,Minor Roads,,28.708207,77.178036",
            '190015,"0015\n0015",2,,20-01-2019,Unknown,2,1,Ring Road,,,77.2,28.6',
            "190016,0016,9,10:00,21-01-2019,Unknown,1,0,X,,,28.6,77.2",
            "190017,0017,1,10:00,21-01-2022,Unknown,1,0,X,,,28.6,77.2",
        ],
    )
    _write(
        root / "2019" / "1_Crash_Form_2.csv",
        [
            FORM_HEADER,
            "190014,0014,1,22:30,19-01-2019,Hit Pedestrian,1,0,Azadpur,,,28.708207,77.178036",
        ],
    )
    for n in ("1", "2"):
        _write(
            root / "2019" / f"Usys1_2_PSDetail_{n}.csv",
            [
                "PS_ID,PS_Name,PS_State,PS_Dist",
                "1,Adarsh Nagar,Delhi,Delhi",
                "2,Ali Pur,Delhi,Delhi",
            ],
        )
    _write(
        root / "2021" / "1_Crash_Table_1.csv",
        [
            FORM_HEADER,
            "210050,0050,1,20:30,23-01-2021,Hit Pedestrian,1,0,near shop,,,29,77",
            "210051,0051,1,00:00,24-01-2021,Unknown,1,0,far,,,0,0",
        ],
    )
    _write(
        root / "2021" / "PS_lookup.csv",
        ["PS_ID,PS_Name,PS_State,PS_Dist", "1,Adarsh Nagar,Delhi,Delhi"],
    )
    _write(
        root / "2021" / "2021 FIR Delhi geocoded.csv",
        ["FIR_No,PS_Name,Latitude,Longitude", "50,ADARSHNAGR,28.71101,77.17322"],
    )
    _write(root / "2021" / "ps_name_change.csv", ["wrong,correct", "ADARSHNAGR,ADARSHNAGAR"])
    _write(
        root / "2020" / "Fatal crash data 2020_corrected.csv",
        [
            (
                "S. no.,FIR No.,Police station,Date of crash ,Time of crash (24 hr format),Responsible road user,"
                "Place of occurrence,Road name,Geocordinates (Latitude),Geocordinates (longitude),Total injured,Total killed"
            ),
            "1,20,DARYA GANJ,17-Jan-20,01:20,Motorised two wheeler,DELHI GATE,N.SUBHASH MARG,28.644259,77.240461,2,1",
            "2,21,DARYA GANJ,18-Jan-20,Unknown,Heavy vehicles,ITO,RING ROAD,28.64,77.25,#VALUE!,1",
        ],
    )
    return root


def test_fatal_forms_folder(fatal_folder: Path) -> None:
    batch = read_delhi_fatal(fatal_folder)
    assert batch.rows_read == 9
    assert batch.frame.height + batch.rejected.height == 9
    rows = {r["accident_id"]: r for r in batch.frame.iter_rows(named=True)}
    assert set(rows) == {
        "ADARSH NAGAR/14/2019",
        "ALI PUR/15/2019",
        "DARYA GANJ/20/2020",
        "DARYA GANJ/21/2020",
        "ADARSH NAGAR/50/2021",
        "ADARSH NAGAR/51/2021",
    }
    assert set(batch.frame["severity"]) == {"fatal"}
    first = rows["ADARSH NAGAR/14/2019"]
    assert (first["occurred_at"], first["latitude"], first["longitude"]) == (
        "2019-01-19 22:30",
        28.708207,
        77.178036,
    )
    swapped = rows["ALI PUR/15/2019"]
    assert (swapped["occurred_at"], swapped["latitude"], swapped["longitude"]) == (
        "2019-01-20",
        28.6,
        77.2,
    )
    assert (swapped["killed"], swapped["injured"]) == (2, 1)
    geocoded = rows["ADARSH NAGAR/50/2021"]
    assert (geocoded["latitude"], geocoded["longitude"]) == (28.71101, 77.17322)
    assert rows["ADARSH NAGAR/51/2021"]["latitude"] is None
    assert rows["ADARSH NAGAR/51/2021"]["occurred_at"] == "2021-01-24"
    assert rows["DARYA GANJ/21/2020"]["occurred_at"] == "2020-01-18"
    assert rows["DARYA GANJ/21/2020"]["injured"] is None
    reasons = sorted(batch.rejected["reason"])
    assert reasons == [
        "crash date outside the folder's year",
        "police station missing or not in the lookup",
        "same crash (station/FIR/year) entered twice; other entry kept",
    ]


def test_fatal_forms_one_year_and_bad_paths(fatal_folder: Path) -> None:
    assert read_delhi_fatal(fatal_folder / "2020").rows_read == 2
    with pytest.raises(SourceError, match="expected the delhi_fatal_forms folder"):
        read_delhi_fatal(fatal_folder / "2020" / "Fatal crash data 2020_corrected.csv")
    empty = fatal_folder / "2022"
    empty.mkdir()
    with pytest.raises(SourceError, match="no crash forms"):
        read_delhi_fatal(empty)


# --- real files -----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_fir_register(real_data: Path) -> None:
    path = real_data / "delhi_fir_crashes_2016_2020.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    expected: dict[str, int] = {}
    with path.open(encoding="latin1", newline="") as fh:
        for rec in csv.reader(fh):
            section = rec[3]
            if section.strip() == "U/S":
                continue
            sev = "fatal" if "304" in section else "grievous" if "338" in section else "minor"
            expected[sev] = expected.get(sev, 0) + 1
    batch = read_delhi_fir(path)
    assert batch.rows_read == 30_351 == sum(expected.values())
    assert batch.rejected.height == 0
    assert dict(batch.frame.group_by("severity").len().iter_rows()) == expected
    assert batch.frame["accident_id"].n_unique() == batch.frame.height
    rows = {r["accident_id"]: r for r in batch.frame.head(5).iter_rows(named=True)}
    assert (rows["KAROL BAGH/1/2020"]["occurred_at"], rows["KAROL BAGH/1/2020"]["road_name"]) == (
        "2020-01-01",
        "PUSA ROAD",
    )
    assert (rows["DELHI CANNT/1/2017"]["severity"], rows["DELHI CANNT/1/2017"]["road_name"]) == (
        "fatal",
        "201 NO.ROAD",
    )
    assert (batch.frame["occurred_at"].min(), batch.frame["occurred_at"].max()) == (
        "2016-01-01",
        "2020-12-31",
    )


@pytest.mark.realdata
def test_real_fatal_forms(real_data: Path) -> None:
    path = real_data / "delhi_fatal_forms"
    if not path.is_dir():
        pytest.skip(f"{path} absent")
    files = sorted(path.glob("20*/1_Crash_*.csv")) + [
        path / "2020" / "Fatal crash data 2020_corrected.csv"
    ]
    expected = 0
    for f in files:
        with f.open(encoding="latin1", newline="") as fh:
            expected += sum(1 for _ in csv.reader(fh)) - 1
    batch = read_delhi_fatal(path)
    assert batch.rows_read == expected == 3_799
    assert batch.frame.height + batch.rejected.height == expected
    assert batch.frame["accident_id"].n_unique() == batch.frame.height
    by_year = dict(batch.frame.group_by(pl.col("occurred_at").str.slice(0, 4)).len().iter_rows())
    assert all(1_100 <= n <= 1_450 for n in by_year.values()) and sorted(by_year) == [
        "2019",
        "2020",
        "2021",
    ]
    located = batch.frame.filter(pl.col("latitude").is_not_null())
    assert located.height > 0.95 * batch.frame.height
    assert (
        located["latitude"].is_between(28.3, 29.0).all()
        and located["longitude"].is_between(76.8, 78.0).all()
    )
    row = batch.frame.filter(pl.col("accident_id") == "ADARSH NAGAR/14/2019").row(0, named=True)
    assert (row["occurred_at"], row["latitude"], row["longitude"]) == (
        "2019-01-19 22:30",
        28.708207,
        77.178036,
    )
    row = batch.frame.filter(pl.col("accident_id") == "ADARSH NAGAR/50/2021").row(0, named=True)
    assert (row["occurred_at"], row["latitude"], row["longitude"]) == (
        "2021-01-23 20:30",
        28.71101,
        77.17322,
    )

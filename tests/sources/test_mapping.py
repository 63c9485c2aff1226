"""TOML mapping files and the registry: a made-up iRAD-like export loads without code."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadsafety.sources import france, maryland
from roadsafety.sources.base import SourceError
from roadsafety.sources.mapping import load_mapping, read_mapped
from roadsafety.sources.registry import formats, get_reader

HERE = Path(__file__).parent
REPO = HERE.parents[1]
EXAMPLE = REPO / "docs" / "examples" / "irad_like.toml"
EXPORT = HERE / "data" / "irad_like.csv"


def test_worked_example_loads() -> None:
    batch = get_reader("accidents", "mapping", mapping=EXAMPLE)(EXPORT).collect()
    assert (batch.rows_read, batch.source) == (7, "karnal_irad")
    rows = {r["accident_id"]: r for r in batch.frame.iter_rows(named=True)}
    assert set(rows) == {
        "SADAR KARNAL/101/2023",
        "MADHUBAN/7/2023",
        "MADHUBAN/8/2023",
        "GHARAUNDA/55/2024",
    }
    first = rows["SADAR KARNAL/101/2023"]
    assert (first["occurred_at"], first["latitude"], first["longitude"]) == (
        "2023-03-14 19:45:00",
        29.6857,
        76.9905,
    )
    assert (first["severity"], first["killed"], first["injured"]) == ("fatal", 1, 2)
    assert (first["road_category"], first["police_station"]) == ("NH", "Sadar Karnal")
    assert '"Sr No":"1"' in first["raw"] and '"Under Section":"279/304A IPC"' in first["raw"]
    assert rows["MADHUBAN/7/2023"]["severity"] == "grievous"  # blank severity: sections decide
    assert rows["MADHUBAN/8/2023"]["occurred_at"] == "2023-04-05"  # no time given
    assert rows["GHARAUNDA/55/2024"]["severity"] == "fatal"  # BNS 106(1)
    rejected = {
        r["row_number"]: (r["column_name"], r["raw_value"])
        for r in batch.rejected.iter_rows(named=True)
    }
    assert rejected == {
        5: ("Date of Accident", "31/02/2024"),
        6: ("Latitude", "abc"),
        7: ("Accident Severity", "Unknown Type"),
    }


def test_format_flag_is_optional_with_a_mapping() -> None:
    assert get_reader("accidents", "canonical", mapping=EXAMPLE)(EXPORT).collect().rows_read == 7


def _write(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('kind = "challans"\n[columns]\nissued_at = "d"\nchallan_id = "i"\n', "is for challans"),
        (
            '[columns]\noccurred_at = "d"\naccident_id = "i"\nspeed = "s"\n',
            "not canonical accidents columns",
        ),
        ('[columns]\naccident_id = "i"\n', "must map occurred_at"),
        ('[columns]\noccurred_at = "d"\n', "give \\[id\\] columns"),
        (
            '[columns]\noccurred_at = "d"\naccident_id = "i"\n[values.severity]\nKilled = "dead"\n',
            "not in",
        ),
        ('colour = "red"\n', "unknown keys"),
        ("[columns\n", "not valid TOML"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        load_mapping(_write(tmp_path, toml), "accidents")


def test_missing_mapping_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        load_mapping(tmp_path / "absent.toml", "accidents")
    spec = load_mapping(
        _write(tmp_path, '[columns]\noccurred_at = "Date"\naccident_id = "Id"\n'), "accidents"
    )
    data = _write(tmp_path, "Id,When\n1,2024-01-01\n", "x.csv")
    with pytest.raises(SourceError, match=r"\['Date'\].*not in the file"):
        read_mapped(data, spec)


def test_challans_latin1_tab_separated_with_keywords(tmp_path: Path) -> None:
    spec = load_mapping(
        _write(
            tmp_path,
            """
kind = "challans"
encoding = "latin1"
delimiter = "\\t"
[columns]
challan_id = "Challan No"
issued_at = "Issued"
offence = "Offence"
vehicle_reg = "Vehicle No"
fine_amount = "Fine"
[dates]
formats = ["%d.%m.%Y %H:%M"]
[values.offence]
"Sec 194B" = "no_seatbelt"
""",
        ),
        "challans",
    )
    data = tmp_path / "c.tsv"
    data.write_bytes(
        "Challan No\tIssued\tOffence\tVehicle No\tFine\n"
        "HR1\t05.03.2024 21:15\tSec 194B\tHR26AB1234\t1000\n"
        "HR2\t05.03.2024 22:00\tOverspeeding on NH-44 (caf\xe9)\tHR26AB9999\t2000\n"
        "HR3\t05.03.2024 22:00\tParking\t\tx\n".encode("latin1")
    )
    batch = read_mapped(data, spec)
    rows = {r["challan_id"]: r for r in batch.frame.iter_rows(named=True)}
    assert rows["HR1"]["offence"] == "no_seatbelt" and rows["HR1"]["offence_raw"] == "Sec 194B"
    assert rows["HR2"]["offence"] == "overspeeding" and rows["HR2"]["offence_raw"].endswith(
        "(café)"
    )
    assert (rows["HR1"]["issued_at"], rows["HR1"]["fine_amount"]) == ("2024-03-05 21:15:00", 1000.0)
    assert rows["HR1"]["vehicle_reg"] == "HR26AB1234"  # hashed by ingest, never stored in clear
    assert batch.rejected.row(0, named=True)["reason"] == "not a number"


def test_custom_section_table(tmp_path: Path) -> None:
    spec = load_mapping(
        _write(
            tmp_path,
            """
[columns]
accident_id = "Id"
occurred_at = "Date"
[sections]
column = "Sections"
[sections.map]
"304 A" = "fatal"
"337" = "minor"
""",
        ),
        "accidents",
    )
    data = _write(
        tmp_path,
        "Id,Date,Sections\n1,2024-01-01,279/304A\n2,2024-01-02,337\n3,2024-01-03,338\n",
        "a.csv",
    )
    batch = read_mapped(data, spec)
    assert batch.frame["severity"].to_list() == ["fatal", "minor"]
    assert batch.rejected["row_number"].to_list() == [3]


def test_registry_formats() -> None:
    assert get_reader("accidents", "baac") is france.read_baac
    assert get_reader("challans", "montgomery") is maryland.read_montgomery
    assert {"baac", "delhi-fir", "delhi-fatal", "canonical", "mapping"} <= set(formats("accidents"))
    with pytest.raises(SourceError, match="available: .*baac"):
        get_reader("accidents", "nope")
    with pytest.raises(SourceError, match="needs a mapping file"):
        get_reader("accidents", "mapping")
    with pytest.raises(SourceError, match="no challans adapter"):
        get_reader("challans", "baac")


def test_cli_ingest_with_mapping_and_errors(cli_env: dict[str, str], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from roadsafety.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", "accidents", str(EXPORT), "--mapping", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert "rows read 7 = loaded 4" in ok.output and "quarantined 3" in ok.output
    bad = _write(tmp_path, '[columns]\naccident_id = "x"\n')
    failed = runner.invoke(app, ["ingest", "accidents", str(EXPORT), "--mapping", str(bad)])
    assert failed.exit_code == 2 and "must map occurred_at" in failed.output
    unknown = runner.invoke(app, ["ingest", "accidents", str(EXPORT), "--format", "nope"])
    assert unknown.exit_code == 2 and "delhi-fir" in unknown.output

"""No personal value of any ingest path (canonical, mapping, adapter) is stored in clear.

Each test plants unique personal values (registrations, names, phones, addresses) in a source file,
ingests it, and searches the DuckDB file's bytes and every text column of every table for them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from roadsafety.config import DEFAULT_PERSONAL_FIELDS, load_settings
from roadsafety.sources.canonical import read_canonical_accidents, read_canonical_challans
from roadsafety.sources.mapping import load_mapping, read_mapped
from roadsafety.sources.maryland import read_montgomery
from roadsafety.store.connection import read_connection
from roadsafety.store.ingest import ingest_batch
from roadsafety.store.privacy import is_personal

PERSONAL = {
    "reg": "HR26QZ4711",
    "name": "Zebulon Quixtrot",
    "phone": "9812300477",
    "address": "17 Hidden Lantern Lane",
    "licence": "HR0619990047711",
}


def _file(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _leaks(db: Path, values: list[str]) -> list[str]:
    """Values found in the file's bytes or in any VARCHAR column of any table."""
    blob = db.read_bytes()
    found = [v for v in values if v.encode() in blob or v.upper().encode() in blob]
    with read_connection(db) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in columns:
            for v in values:
                hit = con.execute(
                    f'SELECT count(*) FROM "{table}" WHERE upper("{column}") LIKE ?',
                    [f"%{v.upper()}%"],
                ).fetchone()[0]
                if hit:
                    found.append(f"{v} in {table}.{column}")
    return found


def test_canonical_extras_and_registrations_are_not_stored(tmp_settings, tmp_path: Path) -> None:
    p = PERSONAL
    challans = _file(
        tmp_path / "c.csv",
        "challan_id,issued_at,offence,vehicle_reg,owner_name,Owner Phone,owner_address,beat",
        f"C1,2024-01-01 10:00,no_helmet,{p['reg']},{p['name']},{p['phone']},{p['address']},B7",
        # a registration carrying a NUL byte is quarantined: its value is withheld there too
        f"C2,2024-01-01 11:00,no_helmet,HR26\x00QZ9911,{p['name']},{p['phone']},x,B7",
    )
    accidents = _file(
        tmp_path / "a.csv",
        "accident_id,occurred_at,severity,road_name,vehicle_reg,driver_name,dl_no,victim_phone",
        f"A1,2024-01-01 10:00,fatal,NH-44,{p['reg']},{p['name']},{p['licence']},{p['phone']}",
    )
    first = ingest_batch(tmp_settings, read_canonical_challans(challans))
    ingest_batch(tmp_settings, read_canonical_accidents(accidents))
    assert (first.loaded, first.quarantined) == (1, 1)
    assert _leaks(tmp_settings.db_path, [*PERSONAL.values(), "QZ9911"]) == []
    with read_connection(tmp_settings.db_path) as con:
        raw = con.execute("SELECT raw FROM challans").fetchone()[0]
        reason = con.execute("SELECT raw_value FROM quarantine").fetchone()[0]
    assert raw == '{"beat":"B7"}'  # the non-personal extra column is kept
    assert reason == "(personal data withheld)"


def test_mapped_registration_and_raw_columns_are_not_stored(tmp_settings, tmp_path: Path) -> None:
    row = f"7;01/02/2024;Riding without helmet;{PERSONAL['reg']};{PERSONAL['name']};"
    export = _file(
        tmp_path / "district.csv",
        "Challan No;Date;Offence;Vehicle No;Owner Name;Mobile;Place",
        row + f"{PERSONAL['phone']};Karnal bypass",
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        textwrap.dedent(
            """\
            kind = "challans"
            source = "district_echallan"
            delimiter = ";"
            raw_columns = ["Owner Name", "Mobile", "Place"]
            [columns]
            challan_id = "Challan No"
            issued_at = "Date"
            offence = "Offence"
            vehicle_reg = "Vehicle No"
            [dates]
            formats = ["%d/%m/%Y"]
            [values.offence]
            "Riding without helmet" = "no_helmet"
            """
        )
    )
    result = ingest_batch(tmp_settings, read_mapped(export, load_mapping(mapping, "challans")))
    assert result.loaded == 1
    assert _leaks(tmp_settings.db_path, list(PERSONAL.values())) == []
    with read_connection(tmp_settings.db_path) as con:
        raw, digest = con.execute("SELECT raw, vehicle_reg_hash FROM challans").fetchone()
    assert "Karnal bypass" in raw and len(digest) == 64  # kept: the place; hashed: the plate


def test_adapter_rows_keep_no_personal_column(tmp_settings, tmp_path: Path) -> None:
    p = PERSONAL
    citations = tmp_path / "mc.csv"
    citations.write_text(
        "Date Of Stop,Time Of Stop,Agency,SubAgency,Description,Location,Latitude,Longitude,"
        "Accident,Belts,Alcohol,VehicleType,Violation Type,Charge,Article,Driver Name,"
        "Driver Phone,Driver Address\n"
        '11/23/2016,10:56:00,MCP,"2nd district, Bethesda",EXCEEDING THE POSTED SPEED LIMIT,'
        "355 @ 410,38.98447,-77.0941,No,No,No,02 - Automobile,Citation,21-801.1,"
        f"Transportation Article,{p['name']},{p['phone']},{p['address']}\n"
    )
    result = ingest_batch(tmp_settings, read_montgomery(citations))
    assert result.loaded == 1
    assert _leaks(tmp_settings.db_path, list(PERSONAL.values())) == []


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("Vehicle No", True),
        ("OwnerName", True),
        ("Aadhaar No", True),
        ("DL Number", True),
        ("Mobile", True),
        ("road_name", False),
        ("Police Station Name", False),
        ("vehicle_types", False),
    ],
)
def test_personal_field_names(name: str, personal: bool) -> None:
    assert is_personal(name, DEFAULT_PERSONAL_FIELDS) is personal


def test_personal_fields_are_configurable(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[privacy]\nextra_personal_fields = ["(^|_)badge($|_)"]\n')
    fields = load_settings(config_path=config).privacy.personal_fields
    assert is_personal("Officer Badge", fields) and is_personal("Owner Name", fields)
    config.write_text('[privacy]\npersonal_fields = ["(^|_)badge($|_)"]\n')
    only = load_settings(config_path=config).privacy.personal_fields
    assert is_personal("Officer Badge", only) and not is_personal("Owner Name", only)

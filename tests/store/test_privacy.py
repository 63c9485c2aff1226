"""Registrations are stored only as keyed hashes that reveal nothing without the key."""

from __future__ import annotations

import stat

import polars as pl

from roadsafety.sources.canonical import read_canonical_challans
from roadsafety.store import privacy
from roadsafety.store.ingest import ingest_batch

REGS = ["HR-26-AB-1234", "HR-55-Z-0007", "DL-3C-XY-9876"]


def test_key_created_once_with_private_mode(tmp_path):
    key_path = tmp_path / "k" / "pii.key"
    key = privacy.load_or_create_key(key_path)
    assert privacy.load_or_create_key(key_path) == key and len(key) == 32
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_hash_is_keyed_normalised_and_not_plain_sha(tmp_path):
    k1, k2 = b"k" * 32, b"j" * 32
    assert privacy.hash_value("HR-26-AB-1234", k1) == privacy.hash_value("hr 26 ab 1234", k1)
    assert privacy.hash_value("HR-26-AB-1234", k1) != privacy.hash_value("HR-26-AB-1234", k2)
    import hashlib

    plain = hashlib.sha256(b"HR26AB1234").hexdigest()
    assert privacy.hash_value("HR-26-AB-1234", k1) != plain


def test_registration_never_reaches_the_warehouse_file(tmp_settings, tmp_path):
    path = tmp_path / "c.csv"
    lines = ["challan_id,issued_at,offence,vehicle_reg"]
    lines += [f"C{i},2024-01-01 10:00,no_helmet,{REGS[i % 3]}" for i in range(30)]
    path.write_text("\n".join(lines) + "\n")
    ingest_batch(tmp_settings, read_canonical_challans(path))
    blob = tmp_settings.db_path.read_bytes()
    for reg in REGS:
        for form in (reg, reg.replace("-", ""), reg.lower()):
            assert form.encode() not in blob
    from roadsafety.store.connection import read_connection

    with read_connection(tmp_settings.db_path) as con:
        counts = con.execute(
            "SELECT count(*) FROM challans GROUP BY vehicle_reg_hash ORDER BY 1"
        ).fetchall()
    assert [c[0] for c in counts] == [10, 10, 10]  # repeat offenders still countable
    assert not tmp_settings.privacy.key_path.is_relative_to(
        tmp_settings.db_path.parent / "wh.duckdb"
    )


def test_hash_column_handles_blanks(tmp_path):
    frame = pl.DataFrame({"vehicle_reg": ["HR-26-AB-1234", None, "  ", "hr26ab1234"]})
    out = privacy.hash_column(frame, "vehicle_reg", b"x" * 32)
    h = out["vehicle_reg_hash"].to_list()
    assert h[1] is None and h[2] is None and h[0] == h[3]
    assert out.columns == ["vehicle_reg_hash"]


def test_sql_hmac_matches_python_hmac():
    import duckdb

    key = b"0123456789abcdef" * 2
    values = ["HR26AB1234", "DL3CXY9876", "X"]
    con = duckdb.connect()
    con.register("v", pl.DataFrame({"m": values + [None]}).to_arrow())
    got = [r[0] for r in con.execute(f"SELECT {privacy.hmac_sql('m', key)} FROM v").fetchall()]
    assert got == [privacy.hash_value(v, key) for v in values] + [None]


def test_vectorised_hmac_matches_python_hmac():
    import hashlib
    import hmac

    values = ["HR26AB1234", None, "DL3CXY9876", "X", "महाराष्ट्र12", "A" * 300]
    for key in (b"0123456789abcdef" * 2, bytes(range(256)) * 2):  # a short and a long key
        got = privacy.hmac_series(pl.Series("m", values), key).to_list()
        want = [v and hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
        assert got == want and got[0] == privacy.hash_value("hr-26-ab-1234", key)

"""Challans as Parquet fact files: increments add files (never rewrite stored ones), updates retire
files without breaking readers, orphans and spill folders go, the aggregate matches the raw rows,
and a release-1 warehouse's challans table moves into files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from roadsafety import schemas
from roadsafety.config import StorageConfig
from roadsafety.sources.base import SourceError
from roadsafety.sources.canonical import read_canonical_challans
from roadsafety.store import challan_days, facts
from roadsafety.store.connection import read_connection, write_connection
from roadsafety.store.ingest import ingest_batch
from roadsafety.store.model_store import read_challan_days

HEADER = "challan_id,issued_at,offence,vehicle_reg,latitude,longitude,district,police_station,road_name,camera_id"
OFFENCES = ("no_helmet", "overspeeding", "red_light", "drunk_driving")


def challan_file(path: Path, start: date, days: int, per_day: int, prefix: str = "C") -> Path:
    lines = [HEADER]
    for d in range(days):
        day = start + timedelta(days=d)
        for i in range(per_day):
            k = d * per_day + i
            cam = f"CAM-{k % 3}" if k % 4 == 0 else ""
            lines.append(
                f"{prefix}{day:%Y%m%d}-{i},{day} {8 + i % 12:02d}:15:00,{OFFENCES[k % 4]},"
                f"HR-26-AB-{k % 50:04d},28.{450 + k % 7},77.0{20 + k % 5},Gurugram,PS Sector {k % 3},"
                f"NH-48,{cam}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


def live_files(db: Path) -> list[str]:
    with read_connection(db) as con:
        return facts.live_files(con, "challans")


def test_increment_adds_files_and_leaves_stored_files_untouched(tmp_settings, tmp_path):
    first = ingest_batch(
        tmp_settings,
        read_canonical_challans(challan_file(tmp_path / "a.csv", date(2024, 1, 1), 60, 20)),
    )
    assert first.loaded == 1200
    root = facts.facts_root(tmp_settings.db_path)
    before = {p: (root / p).stat() for p in live_files(tmp_settings.db_path)}
    assert {p.split("/")[2] for p in before} == {"month=01", "month=02"}
    day = challan_file(tmp_path / "b.csv", date(2024, 3, 1), 1, 20, prefix="D")
    assert ingest_batch(tmp_settings, read_canonical_challans(day)).inserted == 20
    after = live_files(tmp_settings.db_path)
    for (
        path,
        stat,
    ) in before.items():  # every stored file is still live, byte for byte the same inode
        assert path in after
        now = (root / path).stat()
        assert (now.st_ino, now.st_mtime_ns, now.st_size) == (
            stat.st_ino,
            stat.st_mtime_ns,
            stat.st_size,
        )
    assert [p for p in after if p not in before] == [
        p for p in after if p.startswith("challans/year=2024/month=03/")
    ]


def test_reimport_and_update_of_challans(tmp_settings, tmp_path):
    path = challan_file(tmp_path / "a.csv", date(2024, 1, 1), 3, 10)
    ingest_batch(tmp_settings, read_canonical_challans(path))
    again = ingest_batch(tmp_settings, read_canonical_challans(path))
    assert (again.loaded, again.duplicates) == (0, 30)
    files = live_files(tmp_settings.db_path)
    changed = tmp_path / "b.csv"
    changed.write_text(
        f"{HEADER}\nC20240102-3,2024-01-02 11:15:00,wrong_side,HR-26-AB-0013,,,,,,\n"
    )
    result = ingest_batch(tmp_settings, read_canonical_challans(changed))
    assert (result.inserted, result.updated) == (0, 1)
    with read_connection(tmp_settings.db_path) as con:
        rows = con.execute(
            "SELECT offence, count(*) OVER () FROM challans WHERE challan_id = 'C20240102-3'"
        ).fetchall()
        total = con.execute("SELECT count(*) FROM challans").fetchone()[0]
        history = con.execute("SELECT record_id, changed_columns FROM record_history").fetchall()
        retired = {r[0] for r in con.execute("SELECT path FROM fact_files_retired").fetchall()}
    assert rows == [("wrong_side", 1)] and total == 30
    assert history[0][0] == "C20240102-3" and "offence" in history[0][1]
    assert retired and retired <= set(files)
    root = facts.facts_root(tmp_settings.db_path)
    assert all((root / p).exists() for p in retired)  # kept for readers of the older manifest


def test_retired_files_go_after_the_grace_period(tmp_settings, tmp_path):
    path = challan_file(tmp_path / "a.csv", date(2024, 1, 1), 2, 5)
    ingest_batch(tmp_settings, read_canonical_challans(path))
    changed = tmp_path / "b.csv"
    changed.write_text(f"{HEADER}\nC20240101-1,2024-01-01 09:15:00,wrong_side,,,,,,,\n")
    ingest_batch(tmp_settings, read_canonical_challans(changed))
    root = facts.facts_root(tmp_settings.db_path)
    with read_connection(tmp_settings.db_path) as con:
        retired = [r[0] for r in con.execute("SELECT path FROM fact_files_retired").fetchall()]
    with write_connection(tmp_settings.db_path, retired_grace_s=0):
        pass
    assert retired and not any((root / p).exists() for p in retired)
    with read_connection(tmp_settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM challans").fetchone()[0] == 10


def test_in_file_repeats_of_challans(tmp_settings, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        f"{HEADER}\n"
        "C1,2024-01-01 10:00:00,no_helmet,,,,,,,\n"
        "C2,2024-01-01 10:00:00,no_helmet,,,,,,,\n"
        "C1,2024-01-01 10:00:00,no_helmet,,,,,,,\n"
        "C2,2024-02-01 10:00:00,red_light,,,,,,,\n"
    )
    result = ingest_batch(tmp_settings, read_canonical_challans(path))
    assert (result.rows_read, result.loaded, result.quarantined, result.duplicates) == (4, 1, 2, 1)
    with read_connection(tmp_settings.db_path) as con:
        assert con.execute("SELECT challan_id FROM challans").fetchall() == [("C1",)]
        q = con.execute("SELECT row_number, reason FROM quarantine ORDER BY 1").fetchall()
    assert [r for r, _ in q] == [2, 4] and all("duplicate challan_id" in w for _, w in q)


def test_aggregate_matches_the_raw_rows(tmp_settings, tmp_path):
    ingest_batch(
        tmp_settings,
        read_canonical_challans(challan_file(tmp_path / "a.csv", date(2024, 1, 30), 5, 13)),
    )
    changed = tmp_path / "b.csv"
    changed.write_text(f"{HEADER}\nC20240131-2,2024-02-02 10:15:00,drunk_driving,,,,,,,\n")
    ingest_batch(tmp_settings, read_canonical_challans(changed))
    cols = ", ".join(challan_days.COLUMNS)
    with read_connection(tmp_settings.db_path) as con:
        stored = con.execute(f"SELECT {cols} FROM challan_unit_day ORDER BY ALL").pl()
        fresh = con.execute(
            f"SELECT {cols} FROM ({challan_days.CHALLAN_UNIT_DAY_SQL}) ORDER BY ALL"
        ).pl()
        days = read_challan_days(con, date(2025, 1, 1), schemas.OFFENCES)
        raw = con.execute("SELECT count(*) FROM challans WHERE unit_id IS NOT NULL").fetchone()[0]
    assert stored.equals(fresh.cast(stored.schema))
    assert days["n"].sum() == raw and days["off_drunk_driving"].sum() >= 1


def test_aggregate_adds_new_days_and_merges_days_already_stored(tmp_settings, tmp_path):
    cols = ", ".join(challan_days.COLUMNS)

    def stored_and_fresh() -> tuple[pl.DataFrame, pl.DataFrame]:
        with read_connection(tmp_settings.db_path) as con:
            stored = con.execute(f"SELECT {cols} FROM challan_unit_day ORDER BY ALL").pl()
            fresh = con.execute(
                f"SELECT {cols} FROM ({challan_days.CHALLAN_UNIT_DAY_SQL}) ORDER BY ALL"
            ).pl()
        return stored, fresh.cast(stored.schema)

    first = challan_file(tmp_path / "a.csv", date(2024, 3, 1), 3, 12)
    ingest_batch(tmp_settings, read_canonical_challans(first), chunk_rows=5)  # days split
    stored, fresh = stored_and_fresh()
    assert stored.equals(fresh) and stored["n"].sum() == 36
    assert stored.select(challan_days.COLUMNS[:6]).is_unique().all()
    # new ids on a stored day (3 March) and on a new one: the 3 March groups are summed
    more = challan_file(tmp_path / "b.csv", date(2024, 3, 3), 2, 12, prefix="E")
    ingest_batch(tmp_settings, read_canonical_challans(more))
    stored, fresh = stored_and_fresh()
    assert stored.equals(fresh) and stored["n"].sum() == 60
    march3 = stored.filter(pl.col("issued_day") == date(2024, 3, 3))
    assert march3["n"].sum() == 24 and march3.select(challan_days.COLUMNS[:6]).is_unique().all()


def test_small_files_of_a_month_are_merged(tmp_settings, tmp_path):
    settings = tmp_settings.model_copy(update={"storage": StorageConfig(max_small_files=3)})
    for d in range(5):
        day = challan_file(tmp_path / f"d{d}.csv", date(2024, 5, 1 + d), 1, 4, prefix=f"D{d}-")
        ingest_batch(settings, read_canonical_challans(day))
    files = live_files(settings.db_path)
    assert len(files) <= 3
    with read_connection(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM challans").fetchone()[0] == 20


def test_orphans_and_spill_folders_are_removed(tmp_settings, tmp_path):
    ingest_batch(
        tmp_settings,
        read_canonical_challans(challan_file(tmp_path / "a.csv", date(2024, 1, 1), 1, 5)),
    )
    root = facts.facts_root(tmp_settings.db_path)
    orphan = root / "challans/year=2024/month=01/ing-killed-00000.parquet"
    pl.DataFrame({"x": [1]}).write_parquet(orphan)
    spill = tmp_settings.db_path.with_name(f".{tmp_settings.db_path.name}.999999999.staging.tmp")
    spill.mkdir()
    (spill / "duckdb_temp_block.bin").write_bytes(b"x")
    with write_connection(tmp_settings.db_path):
        pass
    assert not orphan.exists() and not spill.exists()
    leftovers = list(tmp_settings.db_path.parent.glob(f".{tmp_settings.db_path.name}.*"))
    assert leftovers == []


def test_failed_load_publishes_no_file(tmp_settings, tmp_path):
    path = challan_file(tmp_path / "a.csv", date(2024, 1, 1), 2, 5)
    with open(path, "ab") as fh:  # a malformed row after the good ones
        fh.write(b'C9,2024-01-03 10:00:00,no_helmet,"unclosed\n')
    with pytest.raises(SourceError, match="data row 11"):
        ingest_batch(tmp_settings, read_canonical_challans(path), chunk_rows=3)
    root = facts.facts_root(tmp_settings.db_path)
    assert not root.exists() or not list(root.rglob("*.parquet"))
    with read_connection(tmp_settings.db_path) as con:
        runs = con.execute("SELECT status FROM ingest_runs").fetchall()
    assert runs == [("failed",)]


def test_release_one_challans_table_moves_into_files(tmp_settings, tmp_path):
    db = tmp_settings.db_path
    ingest_batch(
        tmp_settings,
        read_canonical_challans(challan_file(tmp_path / "a.csv", date(2024, 1, 1), 40, 5)),
    )
    with read_connection(db) as con:
        rows = con.execute("SELECT * EXCLUDE (content_hash) FROM challans ORDER BY 1").pl()
    # turn the warehouse back into release 1's shape: a challans table, no files, no manifest rows
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW challans")
    con.register("old_rows", rows.to_arrow())
    con.execute("CREATE TABLE challans AS SELECT *, NULL::VARCHAR AS content_hash FROM old_rows")
    con.execute("DELETE FROM fact_files; DELETE FROM challan_unit_day")
    con.close()
    with write_connection(db):
        pass  # the next write moves the rows
    with read_connection(db) as con:
        back = con.execute("SELECT * EXCLUDE (content_hash) FROM challans ORDER BY 1").pl()
        agg = con.execute("SELECT sum(n) FROM challan_unit_day").fetchone()[0]
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = 'challans'"
        ).fetchone()[0]
    assert back.equals(rows) and agg == 200 and kind == "VIEW"


def test_drive_reads_take_challans_from_the_months_of_their_window(tmp_settings, tmp_path):
    from roadsafety.store import drives

    path = challan_file(tmp_path / "a.csv", date(2023, 11, 20), 80, 10)
    ingest_batch(tmp_settings, read_canonical_challans(path))
    first, last = date(2023, 12, 25), date(2024, 1, 5)
    assert challan_days.months_between(first, last) == {(2023, 12), (2024, 1)}
    with read_connection(tmp_settings.db_path) as con:
        assert drives.challan_range(con) == (date(2023, 11, 20), date(2024, 2, 7))
        relation = challan_days.raw_between(con, first, last)
        groups = drives.challan_groups(con, first, last, [], [], ["NH-48"])
        expected = con.execute(
            "SELECT count(*) FROM challans WHERE issued_at::DATE BETWEEN ? AND ?", [first, last]
        ).fetchone()[0]
    assert "month=11" not in relation and "month=02" not in relation  # other months not read
    assert "month=12" in relation and "month=01" in relation
    assert groups["challans"].sum() == expected == 12 * 10
    assert groups["day"].min() == first and groups["day"].max() == last

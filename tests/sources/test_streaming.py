"""Files cut into blocks at record boundaries read exactly as a whole-file read."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from roadsafety.sources import streaming
from roadsafety.sources.base import SourceError

ROWS = [
    'C1,"a, quoted comma",x',
    'C2,"two\nlines",y',
    'C3,"a ""quote"" inside",z',
    "C4," + "L" * 300 + ",w",  # longer than a block: read on until the record ends
    "C5,,",
    'C6,"ends with newline\n",v',
    "C7,last,u",
]


def _table(path: Path) -> streaming.TextTable:
    return streaming.TextTable(path, streaming.read_header(path, "utf-8", ",", '"', 0))


@pytest.mark.parametrize("block", [7, 64, 10_000])
def test_blocks_give_the_rows_of_a_whole_read(tmp_path: Path, block: int) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,text,tag\n" + "\n".join(ROWS) + "\n")
    whole = pl.read_csv(path, infer_schema=False)
    frames = list(streaming.csv_frames(_table(path), block_bytes=block))
    got = pl.concat(frames)
    assert got.drop("source_row").equals(whole)
    assert got["source_row"].to_list() == list(range(1, len(ROWS) + 1))
    if block == 7:
        assert len(frames) > 3


def test_bad_bytes_deep_in_a_file_name_their_place(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    good = "".join(f"C{i},ok,x\n" for i in range(50))
    path.write_bytes(b"id,text,tag\n" + good.encode() + b"C99,Ch\xe2teau,x\n")
    frames = streaming.csv_frames(_table(path), block_bytes=64)
    with pytest.raises(SourceError, match=r"not valid UTF-8 text .* at byte"):
        list(frames)


def test_latin1_text_is_decoded_block_by_block(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"id,text\n" + "".join(f"K{i},Château\n" for i in range(40)).encode("latin-1"))
    header = streaming.read_header(path, "latin-1", ",", '"', 0)
    table = streaming.TextTable(path, header, encoding="latin-1")
    got = pl.concat(streaming.csv_frames(table, block_bytes=50))
    assert got.height == 40 and set(got["text"]) == {"Château"}


def test_a_mapped_export_streams_in_chunks_like_a_whole_read(tmp_path: Path, monkeypatch) -> None:
    from roadsafety.sources.mapping import load_mapping, stream_mapped

    rows = [
        f"{i};0{1 + i % 9}/02/2024;Riding without helmet;HR26AB{i:04d};Karnal café"
        for i in range(60)
    ]
    export = tmp_path / "e.csv"
    export.write_bytes(
        ("Challan No;Date;Offence;Vehicle No;Place\n" + "\n".join(rows) + "\n").encode("cp1252")
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "challans"\nencoding = "cp1252"\ndelimiter = ";"\nraw_columns = ["Place"]\n'
        '[columns]\nchallan_id = "Challan No"\nissued_at = "Date"\noffence = "Offence"\n'
        'vehicle_reg = "Vehicle No"\n[dates]\nformats = ["%d/%m/%Y"]\n'
        '[values.offence]\n"Riding without helmet" = "no_helmet"\n'
    )
    spec = load_mapping(mapping, "challans")
    whole = stream_mapped(export, spec).collect()
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 200)
    chunks = list(stream_mapped(export, spec).chunks())
    assert len(chunks) > 3 and sum(c.rows_read for c in chunks) == 60
    assert pl.concat([c.frame for c in chunks]).equals(whole.frame)
    raw = whole.frame["raw"][0]
    assert "Karnal café" in raw and "HR26AB" not in raw and whole.rejected.is_empty()

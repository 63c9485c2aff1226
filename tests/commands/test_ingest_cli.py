"""``roadsafety ingest`` as cron and the IT team loading data meet it: exit codes, encodings, delimiters."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from roadsafety.cli import app

HEADER = "accident_id,occurred_at,severity"


def ingest(path: Path):
    return CliRunner().invoke(app, ["ingest", "accidents", str(path)])


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def test_every_row_quarantined_is_exit_2_and_says_why(cli_env, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", [HEADER, "A1,not a date,fatal", "A2,2024-01-01,deadly"])
    result = ingest(bad)
    assert result.exit_code == 2, result.output
    assert "rows read 2 = loaded 0" in result.output  # the counts are still printed
    assert "all 2 rows quarantined, nothing loaded" in result.output
    assert "bad.csv" in result.output and "occurred_at" in result.output


def test_partial_quarantine_loads_the_rest_and_exits_0(cli_env, tmp_path: Path) -> None:
    mixed = write(tmp_path / "mixed.csv", [HEADER, "A1,2024-01-01 10:00,fatal", "A2,never,minor"])
    result = ingest(mixed)
    assert result.exit_code == 0, result.output
    assert "loaded 1" in result.output and "quarantined 1" in result.output


def test_re_ingesting_a_loaded_file_is_not_a_failure(cli_env, tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", [HEADER, "A1,2024-01-01 10:00,fatal"])
    assert ingest(good).exit_code == 0
    again = ingest(good)
    assert again.exit_code == 0 and "duplicates 1" in again.output


def test_utf16_file_is_named_as_utf16_with_the_fix(cli_env, tmp_path: Path) -> None:
    for name, encoding in (("bom.csv", "utf-16"), ("nobom.csv", "utf-16-le")):
        path = write(tmp_path / name, [HEADER, "A1,2024-01-01 10:00,fatal"], encoding)
        result = ingest(path)
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert name in flat and "UTF-16" in flat and "not UTF-8" in flat
        assert "iconv -f UTF-16 -t UTF-8" in flat and 'encoding = "utf-16"' in flat
        assert "wrong header" not in flat


def test_semicolon_or_tab_file_gets_a_delimiter_hint(cli_env, tmp_path: Path) -> None:
    for name, sep, word in (("semi.csv", ";", "semicolon"), ("tabs.tsv", "\t", "tab")):
        path = write(tmp_path / name, [HEADER.replace(",", sep), "A1;2024-01-01;fatal"])
        result = ingest(path)
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert f"{name} looks {word}-separated" in flat
        assert f"delimiter = {sep!r}" in flat


def test_a_plain_wrong_header_has_no_delimiter_hint(cli_env, tmp_path: Path) -> None:
    path = write(tmp_path / "other.csv", ["id,when,how_bad", "A1,2024-01-01,fatal"])
    result = ingest(path)
    assert result.exit_code == 2 and "wrong header" in result.output
    assert "separated" not in result.output

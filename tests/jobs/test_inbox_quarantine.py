"""The job's inbox: a file whose every row is quarantined is rejected (not a silent success)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from roadsafety.forecasts.drive_checks import scratch_settings
from roadsafety.jobs.runner import JobSummary, ingest_inbox
from roadsafety.store.connection import read_connection

HEADER = "accident_id,occurred_at,severity"


def test_an_all_quarantined_file_is_rejected_with_its_reason(tmp_path: Path) -> None:
    settings = scratch_settings(tmp_path)
    inbox = settings.job_dir("inbox") / "accidents"
    inbox.mkdir(parents=True)
    (inbox / "bad.csv").write_text(f"{HEADER}\nA1,not a date,fatal\nA2,2024-01-01,deadly\n")
    (inbox / "good.csv").write_text(f"{HEADER}\nB1,2024-01-01 10:00,fatal\nB2,never,minor\n")
    summary = JobSummary(job_id="t", started_at=datetime.now())
    ingest_inbox(settings, summary)
    outcomes = {i["file"]: i["outcome"] for i in summary.inputs}
    assert outcomes == {"bad.csv": "rejected", "good.csv": "processed"}
    assert (summary.rows_loaded, summary.rows_quarantined) == (1, 3)
    reason = next((settings.job_dir("inbox") / "rejected").rglob("bad.csv.reason.txt")).read_text()
    assert "all 2 rows quarantined, nothing loaded" in reason
    assert list((settings.job_dir("inbox") / "processed").rglob("good.csv"))
    with read_connection(
        settings.db_path
    ) as con:  # the rejected file's rows are kept, with reasons
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 3

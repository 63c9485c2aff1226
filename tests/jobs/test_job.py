"""The retrain job under failure and concurrent use (real subprocesses, real SIGKILL)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from roadsafety.config import (
    CalendarConfig,
    JobConfig,
    PrivacyConfig,
    RegionConfig,
    Settings,
    load_settings,
)
from roadsafety.jobs.runner import JobBusy, JobSummary, job_lock, run_job
from roadsafety.store.connection import read_connection

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """A small seeded synthetic world ending today (shared by the tests of this module)."""
    from roadsafety.sources.synthetic import generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(out, years=3, scale=0.02, seed=11, progress=False)
    return out


def settings_at(root: Path) -> Settings:
    """Haryana region and a job config whose checks are lenient enough for a tiny world, under root."""
    return Settings(
        db_path=root / "wh.duckdb",
        privacy=PrivacyConfig(key_path=root / "keys" / "pii.key"),
        region=RegionConfig(bbox=(74.45, 27.6, 77.6, 31.0)),
        calendar=CalendarConfig(country="IN", fog_months=(12, 1), monsoon_months=(7, 8, 9)),
        job=JobConfig(volume_block=(0.01, 100.0), missing_days_block=60, standard_windows=(7,)),
    )


@pytest.fixture
def job_settings(tmp_path: Path) -> Settings:
    """Settings of a fresh job folder."""
    return settings_at(tmp_path)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, world) -> tuple[Path, JobSummary]:
    """The job's first run on the world's two files and a broken one, done once for the module."""
    root = tmp_path_factory.mktemp("first-run")
    settings = settings_at(root)
    drop(settings, world, "accidents")
    drop(settings, world, "challans")
    (settings.job_dir("inbox") / "accidents" / "broken.csv").write_text("id;when\n1;yesterday\n")
    return root, run_job(settings, today=date.today())


@pytest.fixture
def after_first_run(first_run, tmp_path: Path) -> tuple[Settings, JobSummary]:
    """A private copy of the job folder (warehouse, key, inbox, outbox, logs) after the first run."""
    root, summary = first_run
    shutil.copytree(root, tmp_path / "job")
    return settings_at(tmp_path / "job"), summary


def drop(settings, world: Path, kind: str, name: str | None = None) -> Path:
    folder = settings.job_dir("inbox") / kind
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(world / f"{kind}.csv", folder / (name or f"{kind}.csv")))


def champion(db: Path) -> tuple[str, int] | None:
    with read_connection(db) as con:
        row = con.execute(
            """SELECT c.version_id, (SELECT count(*) FROM forecasts f JOIN forecast_runs r USING (run_id)
                                     WHERE r.version_id = c.version_id) FROM champion c"""
        ).fetchone()
    return row


def env_for(settings: Settings) -> dict[str, str]:
    """The environment of a job subprocess: the same settings, through a TOML config file."""
    path = settings.db_path.with_name("job.toml")
    path.write_text(
        f"""db = "{settings.db_path}"
[privacy]
key_path = "{settings.privacy.key_path}"
[region]
bbox = {list(settings.region.bbox)}
[calendar]
country = "{settings.calendar.country}"
fog_months = {list(settings.calendar.fog_months)}
monsoon_months = {list(settings.calendar.monsoon_months)}
[job]
volume_block = {list(settings.job.volume_block)}
missing_days_block = {settings.job.missing_days_block}
standard_windows = {list(settings.job.standard_windows)}
"""
    )
    assert load_settings(config_path=path, environ={}) == settings
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ROADSAFETY_")}
    return {**inherited, "ROADSAFETY_CONFIG": str(path)}


def test_job_runs_end_to_end_and_rejects_a_bad_file_without_stopping(after_first_run):
    job_settings, summary = after_first_run
    assert summary.outcome == "warned"  # the rejected file is worth a warning, not a failure
    outcomes = {i["file"]: i["outcome"] for i in summary.inputs}
    assert outcomes == {
        "accidents.csv": "processed",
        "challans.csv": "processed",
        "broken.csv": "rejected",
    }
    rejected = list((job_settings.job_dir("inbox") / "rejected").rglob("broken.csv"))
    assert len(rejected) == 1
    reason = rejected[0].with_name("broken.csv.reason.txt").read_text()
    assert "wrong header" in reason and "broken.csv" in reason
    assert len(list((job_settings.job_dir("inbox") / "processed").rglob("*.csv"))) == 2
    assert summary.model_decision == "promoted" and champion(job_settings.db_path)[1] > 0
    assert summary.exports and all(Path(p).exists() for p in summary.exports)
    with read_connection(job_settings.db_path) as con:
        row = con.execute("SELECT outcome, rows_loaded, model_decision FROM job_runs").fetchone()
    assert row == ("warned", summary.rows_loaded, "promoted")
    logs = list(job_settings.job_dir("logs").glob("job-*.jsonl"))
    assert logs and summary.job_id in logs[0].read_text()
    again = run_job(
        job_settings, today=date.today()
    )  # nothing new: champion kept, nothing retrained
    assert again.model_decision.startswith("skipped: no new data") and again.outcome == "ok"
    strict = job_settings.model_copy(
        update={"job": replace(job_settings.job, missing_days_warn=0, missing_days_block=0)}
    )
    before = champion(job_settings.db_path)
    blocked = run_job(
        strict, force_retrain=True, today=date.today()
    )  # a blocking check keeps the champion
    assert (
        blocked.model_decision.startswith("kept champion")
        and "missing_days" in blocked.model_decision
    )
    assert blocked.outcome == "warned" and champion(job_settings.db_path)[0] == before[0]


def test_second_run_exits_cleanly_while_one_holds_the_lock(job_settings):
    with job_lock(job_settings, wait=False):
        with pytest.raises(JobBusy, match="another retrain job is running"):
            run_job(job_settings)
        proc = subprocess.run(
            [sys.executable, "-m", "roadsafety.cli", "job", "run"],
            env=env_for(job_settings),
            capture_output=True,
            text=True,
        )
    assert proc.returncode == 0 and "skipped" in proc.stderr


def _reader_loop(db: Path, stop: threading.Event, problems: list[str], reads: list[int]) -> None:
    """Query the latest published forecast like the app does; record any mixed or empty result."""
    while not stop.is_set():
        try:
            with read_connection(db) as con:
                row = con.execute(
                    """SELECT r.run_id, r.n_units, (SELECT count(*) FROM forecasts f WHERE f.run_id = r.run_id)
                       FROM forecast_runs r WHERE r.status = 'complete'
                       ORDER BY r.created_at DESC LIMIT 1"""
                ).fetchone()
        except Exception as exc:  # noqa: BLE001 - any failure to read is a finding
            problems.append(f"read failed: {exc}")
            continue
        if row is None or row[2] == 0 or row[1] != row[2]:
            problems.append(f"mixed or empty forecast: {row}")
        reads.append(1)
        time.sleep(0.1)  # a read costs ~25 ms of CPU: leave the job the cores it needs


def test_sigkill_mid_retrain_keeps_champion_and_next_run_completes(after_first_run):
    job_settings, _ = after_first_run
    before = champion(job_settings.db_path)
    stop, problems, reads = threading.Event(), [], []
    reader = threading.Thread(
        target=_reader_loop, args=(job_settings.db_path, stop, problems, reads)
    )
    reader.start()
    try:
        log_dir = job_settings.job_dir("logs")
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.retrain", "--force-retrain"],
            env=env_for(job_settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            text = "".join(p.read_text() for p in log_dir.glob("job-*.jsonl"))
            if text.count("retraining on data before") >= 2:  # the second run is inside its retrain
                break
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "the job finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert champion(job_settings.db_path) == before
        finished = subprocess.run(
            [sys.executable, "-m", "pipelines.retrain", "--force-retrain"],
            env=env_for(job_settings),
            capture_output=True,
            text=True,
        )
        assert finished.returncode == 0, finished.stderr[-2000:]
    finally:
        stop.set()
        reader.join()
    assert not problems, problems[:5]
    assert len(reads) > 10
    with read_connection(job_settings.db_path) as con:
        outcomes = [
            r[0] for r in con.execute("SELECT outcome FROM job_runs ORDER BY started_at").fetchall()
        ]
    assert outcomes[-1] in ("ok", "warned") and len(outcomes) == 2  # the killed run left no row
    assert not list(job_settings.db_path.parent.glob(".*.staging*"))


def test_job_writes_next_weeks_plan_per_district_and_a_failed_plan_fails_the_run(
    after_first_run, monkeypatch: pytest.MonkeyPatch
):
    import hashlib

    import polars as pl

    from pipelines.retrain import main
    from roadsafety.exports.plan import next_monday
    from roadsafety.jobs import outbox

    job_settings, summary = after_first_run
    monday = next_monday(date.today())
    plans = sorted(Path(p) for p in summary.exports if Path(p).name.startswith("plan-"))
    with read_connection(job_settings.db_path) as con:
        districts = {
            r[0] for r in con.execute("SELECT DISTINCT district FROM spatial_units").fetchall()
        }
    names = {outbox._slug(d) for d in districts if d}
    assert {p.name for p in plans} == {
        f"plan-{n}-{monday}.{fmt}" for n in names for fmt in ("csv", "xlsx")
    }
    for path in (p for p in plans if p.suffix == ".csv"):
        rows = pl.read_csv(path, try_parse_dates=True)
        assert rows["team_hours_per_week"].sum() <= job_settings.job.plan_team_hours
        assert set(rows["window_start"]) == {monday}
        assert set(rows["window_end"]) == {monday + timedelta(days=6)}
    folder = plans[0].parent
    before = {p.name: hashlib.sha256(p.read_bytes()).digest() for p in folder.glob("plan-*")}

    def planted(con, run_id, request):
        raise RuntimeError("planted plan failure")

    monkeypatch.setattr(outbox, "build_plan", planted)
    for name in [k for k in os.environ if k.startswith("ROADSAFETY_")]:
        monkeypatch.delenv(name)
    config = env_for(job_settings)["ROADSAFETY_CONFIG"]
    assert main(["--config", config]) == 1  # the unattended entry point exits non-zero
    after = {p.name: hashlib.sha256(p.read_bytes()).digest() for p in folder.glob("plan-*")}
    assert after == before  # last run's plans are kept as they were
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left
    with read_connection(job_settings.db_path) as con:
        outcome, message = con.execute(
            "SELECT outcome, message FROM job_runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    assert outcome == "failed" and "planted plan failure" in message

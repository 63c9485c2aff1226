"""The retrain job, one run: lock → inbox → ingest → checks → retrain/promote → forecasts → outbox
(risk lists, then each district's drive plan for next Monday to Sunday) → drives evaluated again.

Safe unattended:

* one run at a time: a second run finds the job lock held and exits cleanly (or waits with ``wait``);
* every warehouse write is copy-and-swap (``store.connection``): a run killed at any point leaves the
  champion, its forecasts and all loaded data as they were, and the app keeps serving them;
* forecasts are published by run id, so readers never see a half-written forecast;
* a rejected inbox file is moved aside with its reason and does not stop the others; a file whose
  every row was quarantined is rejected too (its rows stay in the quarantine with their reasons), so
  the run is ``warned``, never a silent ``ok``;
* the weekly plans reach the outbox all together or not at all: a failed plan fails the run (exit
  code non-zero) and leaves the outbox's files as they were;
* each run writes a summary row to ``job_runs`` and JSON-lines logs to ``logs/job-YYYY-MM-DD.jsonl``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from roadsafety.config import Settings
from roadsafety.errors import JobBusy
from roadsafety.jobs import checks as chk
from roadsafety.jobs import inbox as ib
from roadsafety.jobs.outbox import write_standard_exports, write_weekly_plans
from roadsafety.store import job_store
from roadsafety.store.connection import read_connection, write_connection

log = logging.getLogger("roadsafety.job")


@dataclass
class JobSummary:
    """What one run did (stored in job_runs)."""

    job_id: str
    started_at: datetime
    inputs: list[dict] = field(default_factory=list)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    checks: list[dict] = field(default_factory=list)
    model_version: str | None = None
    model_decision: str | None = None
    forecast_runs: list[str] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    outcome: str = "running"
    message: str | None = None

    def row(self) -> dict:
        """The job_runs row."""
        finished = datetime.now()
        return {
            "job_id": self.job_id,
            "started_at": self.started_at,
            "finished_at": finished,
            "duration_s": (finished - self.started_at).total_seconds(),
            "outcome": self.outcome,
            "inputs": self.inputs,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "checks": self.checks,
            "model_version": self.model_version,
            "model_decision": self.model_decision,
            "forecast_runs": self.forecast_runs,
            "exports": self.exports,
            "message": self.message,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }


class JsonLines(logging.Formatter):
    """One JSON object per log record, with the job id."""

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record."""
        return json.dumps(
            {
                "ts": datetime.fromtimestamp(record.created).isoformat(timespec="seconds"),
                "level": record.levelname,
                "logger": record.name,
                "job_id": self.job_id,
                "msg": record.getMessage(),
            }
        )


@contextmanager
def job_lock(settings: Settings, wait: bool) -> Iterator[None]:
    """Hold the job lock (beside the warehouse) for the whole run."""
    path = settings.db_path.with_name(settings.db_path.name + ".job.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise JobBusy(
                f"another retrain job is running ({holder}); this run exits without changes"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(
            f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now():%Y-%m-%d %H:%M:%S}"
        )
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def json_log(settings: Settings, job_id: str) -> Iterator[Path]:
    """Attach a JSON-lines handler for this run."""
    folder = settings.job_dir("logs")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"job-{date.today():%Y-%m-%d}.jsonl"
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonLines(job_id))
    root = logging.getLogger("roadsafety")
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


def ingest_inbox(settings: Settings, summary: JobSummary) -> None:
    """Ingest every waiting file; move each to processed/ or rejected/ (one failure stops nothing)."""
    from roadsafety.sources.registry import get_reader
    from roadsafety.store.ingest import ingest_batch

    inbox = settings.job_dir("inbox")
    ib.ensure_layout(inbox)
    for item in ib.pending(inbox):
        try:
            result = ingest_batch(
                settings, get_reader(item.kind, item.fmt)(item.path), fmt=item.fmt
            )
        except Exception as exc:  # noqa: BLE001 - any failure rejects this file only, with its reason
            moved = ib.mark_rejected(inbox, item, f"{type(exc).__name__}: {exc}")
            log.warning("rejected %s: %s", item.path.name, exc)
            summary.inputs.append(
                {
                    "file": item.path.name,
                    "kind": item.kind,
                    "format": item.fmt,
                    "outcome": "rejected",
                    "reason": str(exc),
                    "moved_to": str(moved),
                }
            )
            continue
        summary.rows_loaded += result.loaded
        summary.rows_quarantined += result.quarantined
        entry = {"file": item.path.name, "kind": item.kind, "format": item.fmt}
        if result.rows_read and result.quarantined == result.rows_read:  # nothing loaded: say so
            reason = (
                f"{item.path.name}: all {result.rows_read} rows quarantined, nothing loaded "
                f"(reasons in `roadsafety status`, run {result.run_id})"
            )
            moved = ib.mark_rejected(inbox, item, reason)
            log.warning("rejected %s", reason)
            entry |= {"outcome": "rejected", "reason": reason}
        else:
            moved = ib.mark_processed(inbox, item)
            entry["outcome"] = "processed"
        summary.inputs.append({**entry, **result.as_dict(), "moved_to": str(moved)})


def run_checks(settings: Settings, cutoff: date, today: date) -> list[chk.Check]:
    """Drift and freshness checks on the data before ``cutoff``."""
    cfg = settings.job
    with read_connection(settings.db_path) as con:
        volumes = job_store.district_volumes(con, cutoff, cfg.recent_days)
        mix = job_store.offence_mix(con, cutoff, cfg.recent_days)
        daily = job_store.daily_accidents(con, cutoff, cfg.recent_days)
    found = chk.volume_checks(volumes, cfg) + chk.offence_mix_check(mix, cfg)
    found += chk.missing_days_check(daily, cutoff, today, cfg)
    for c in found:
        if c.level != "ok":
            log.warning("check %s: %s — %s", c.name, c.level, c.detail)
    return found


def retrain_step(
    settings: Settings, summary: JobSummary, found: list[chk.Check], force: bool
) -> None:
    """Retrain unless nothing changed; block promotion when a check says so."""
    from roadsafety.forecasts import pipeline

    as_of = pipeline.default_as_of(settings)
    champ = pipeline.current_champion(settings)
    if champ and champ["as_of"] == as_of and not summary.rows_loaded and not force:
        summary.model_decision = (
            f"skipped: no new data since champion {champ['version_id']} (cut-off {as_of})"
        )
        log.info(summary.model_decision)
        return
    blocking = [c for c in found if c.level == "block"]
    block = "; ".join(f"{c.name}: {c.detail}" for c in blocking) or None
    log.info(
        "retraining on data before %s%s", as_of, f" (promotion blocked: {block})" if block else ""
    )
    result = pipeline.retrain(settings, as_of, block_promotion=block)
    summary.model_version = result.version_id
    summary.model_decision = "promoted" if result.promoted else f"kept champion: {result.reason}"


def publish_step(settings: Settings, summary: JobSummary, today: date) -> None:
    """Forecast the standard windows with the champion and write the outbox exports."""
    from roadsafety.forecasts import pipeline

    summary.forecast_runs = pipeline.publish_standard_forecasts(settings, today)
    outbox = settings.job_dir("outbox") / f"{today:%Y-%m-%d}"
    summary.exports = [
        str(p) for p in write_standard_exports(settings, summary.forecast_runs[0], outbox)
    ]


def plan_step(settings: Settings, summary: JobSummary, today: date) -> None:
    """Each district's drive plan for next Monday to Sunday, from the champion's forecast of that
    week (made when absent), into today's outbox (settings ``[job] plan_*``)."""
    from roadsafety.exports.plan import next_monday
    from roadsafety.forecasts import pipeline

    monday = next_monday(today)
    run_id = pipeline.ensure_forecast(settings, monday, monday + timedelta(days=6))
    summary.forecast_runs.append(run_id)
    outbox = settings.job_dir("outbox") / f"{today:%Y-%m-%d}"
    plans = write_weekly_plans(settings, run_id, outbox)
    summary.exports += [str(p) for p in plans]
    log.info("wrote %d plan files for the week from %s to %s", len(plans), monday, outbox)


def drives_step(settings: Settings) -> None:
    """Evaluate the stored enforcement drives on the new data (the app shows the stored result)."""
    from roadsafety.forecasts.drive_runs import refresh_evaluation

    evaluation = refresh_evaluation(settings)
    if evaluation:
        log.info("drives evaluated again: %s", evaluation)


def _record(settings: Settings, summary: JobSummary) -> None:
    try:
        with write_connection(settings.db_path, lock_timeout_s=120) as con:
            job_store.write_job_run(con, summary.row())
    except Exception as exc:  # noqa: BLE001 - the summary row must not hide the run's own outcome
        log.error("could not record the job summary: %s", exc)


def run_job(
    settings: Settings,
    *,
    wait: bool = False,
    force_retrain: bool = False,
    today: date | None = None,
) -> JobSummary:
    """One run of the job; raises after recording a failed summary when a step fails.

    Raises:
        JobBusy: another run holds the lock (nothing was changed).
    """
    today = today or date.today()
    summary = JobSummary(
        f"job-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", datetime.now()
    )
    with job_lock(settings, wait), json_log(settings, summary.job_id):
        began = time.monotonic()
        log.info("job %s started (warehouse %s)", summary.job_id, settings.db_path)
        try:
            ingest_inbox(settings, summary)
            from roadsafety.forecasts.pipeline import default_as_of

            found = run_checks(settings, default_as_of(settings), today)
            summary.checks = [c.as_dict() for c in found]
            retrain_step(settings, summary, found, force_retrain)
            publish_step(settings, summary, today)
            plan_step(settings, summary, today)
            drives_step(settings)
            rejected = any(i["outcome"] == "rejected" for i in summary.inputs)
            summary.outcome = "warned" if rejected or chk.worst(found) != "ok" else "ok"
        except BaseException as exc:
            summary.outcome, summary.message = "failed", f"{type(exc).__name__}: {exc}"
            log.error("job %s failed: %s", summary.job_id, summary.message)
            _record(settings, summary)
            raise
        _record(settings, summary)
        log.info(
            "job %s %s in %.0fs: %s",
            summary.job_id,
            summary.outcome,
            time.monotonic() - began,
            summary.model_decision,
        )
    return summary

"""Unattended retrain job: ``python -m pipelines.retrain [--config FILE] [--db PATH] [--wait]``.

The same as ``roadsafety job run``; see ``roadsafety.jobs.runner`` for what one run does, and the
cron / systemd examples beside this file for scheduling. Exit codes: 0 done (or skipped because
another run holds the lock), 1 the run failed (the champion and its forecasts keep serving).
"""

from __future__ import annotations

import argparse
import logging
import sys

from roadsafety.config import load_settings
from roadsafety.jobs.runner import JobBusy, run_job


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the job once, return the exit code."""
    parser = argparse.ArgumentParser(description="roadsafety retrain job (one run)")
    parser.add_argument("--config", help="TOML config file (env ROADSAFETY_CONFIG)")
    parser.add_argument("--db", help="warehouse file (env ROADSAFETY_DB)")
    parser.add_argument(
        "--wait", action="store_true", help="wait for a running job instead of exiting"
    )
    parser.add_argument(
        "--force-retrain", action="store_true", help="retrain even without new data"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings(db_path=args.db, config_path=args.config)
    try:
        summary = run_job(settings, wait=args.wait, force_retrain=args.force_retrain)
    except JobBusy as exc:
        logging.getLogger("roadsafety.job").warning("skipped: %s", exc)
        return 0
    except Exception:  # noqa: BLE001 - already logged and recorded by run_job
        return 1
    return 0 if summary.outcome in ("ok", "warned") else 1


if __name__ == "__main__":
    sys.exit(main())

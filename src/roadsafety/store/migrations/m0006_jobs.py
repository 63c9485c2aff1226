"""Run summaries of the unattended retrain job."""

VERSION = 6
NAME = "job_runs"


def statements() -> list[str]:
    """DDL for job_runs."""
    return [
        """CREATE TABLE IF NOT EXISTS job_runs (
            job_id VARCHAR PRIMARY KEY,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            duration_s DOUBLE,
            outcome VARCHAR,              -- ok | warned | failed
            inputs VARCHAR,               -- JSON: files processed / rejected with reasons
            rows_loaded BIGINT,
            rows_quarantined BIGINT,
            checks VARCHAR,               -- JSON: drift and freshness checks with levels
            model_version VARCHAR,        -- the version trained by this run (if any)
            model_decision VARCHAR,       -- promoted | kept champion: <reason> | skipped: <reason>
            forecast_runs VARCHAR,        -- JSON list of forecast run ids published
            exports VARCHAR,              -- JSON list of files written to the outbox
            message VARCHAR,
            host VARCHAR,
            pid INTEGER)""",
    ]

"""Model-health reads: champion, backtest summary against the baselines, freshness, retrains."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl


@dataclass(frozen=True)
class Health:
    """What the Model health page shows."""

    champion: dict | None
    backtest: pl.DataFrame
    versions: pl.DataFrame
    freshness: pl.DataFrame  # per kind and district (``district`` null: records without one)
    ingests: pl.DataFrame
    latest_fold: pl.DataFrame = field(default_factory=pl.DataFrame)  # the most recent backtest year


def _champion(con: duckdb.DuckDBPyConnection) -> dict | None:
    cur = con.execute(
        """SELECT c.version_id, c.promoted_at, m.as_of, m.created_at, m.score, m.status, m.message
           FROM champion c LEFT JOIN model_versions m ON m.version_id = c.version_id
           WHERE c.slot = 'default'"""
    )
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row))


def backtest_summary(con: duckdb.DuckDBPyConnection, version_id: str) -> pl.DataFrame:
    """Mean of each metric over the folds, one row per model and metric (champion's backtest)."""
    return con.execute(
        """SELECT model, level, metric, coalesce(k, '') AS k, avg(value) AS value,
                  count(DISTINCT fold) AS folds
           FROM backtest_metrics WHERE version_id = ?
           GROUP BY ALL ORDER BY level, metric, k, model""",
        [version_id],
    ).pl()


def latest_fold(con: duckdb.DuckDBPyConnection, version_id: str) -> pl.DataFrame:
    """The champion's backtest on its most recent held-out window (the year the model did not
    see that ends last): ``model, level, metric, k, value, fold_start, fold_end``."""
    return con.execute(
        """WITH last AS (SELECT max(fold_end) AS e FROM backtest_metrics WHERE version_id = ?)
           SELECT model, level, metric, coalesce(k, '') AS k, avg(value) AS value,
                  min(fold_start) AS fold_start, max(fold_end) AS fold_end
           FROM backtest_metrics, last WHERE version_id = ? AND fold_end = last.e
           GROUP BY ALL ORDER BY level, metric, k, model""",
        [version_id, version_id],
    ).pl()


def _freshness(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Records, first and latest date per kind and district (the page sums or scopes them)."""
    return con.execute(
        """SELECT 'accidents' AS records, district, count(*) AS n, min(occurred_at) AS first,
                  max(occurred_at) AS latest
           FROM accidents GROUP BY ALL
           UNION ALL
           SELECT 'challans', district, sum(n)::BIGINT, min(first_at), max(last_at)
           FROM challan_unit_day GROUP BY ALL"""
    ).pl()


def read_health(con: duckdb.DuckDBPyConnection) -> Health:
    """Champion, its backtest, the last model versions, data freshness and recent ingests."""
    champ = _champion(con)
    backtest = backtest_summary(con, champ["version_id"]) if champ else pl.DataFrame()
    versions = con.execute(
        """SELECT version_id, created_at, as_of, status, score, message
           FROM model_versions ORDER BY created_at DESC LIMIT 10"""
    ).pl()
    ingests = con.execute(
        """SELECT kind, source, format, finished_at, rows_read, loaded, quarantined, status
           FROM ingest_runs ORDER BY finished_at DESC NULLS LAST LIMIT 10"""
    ).pl()
    latest = latest_fold(con, champ["version_id"]) if champ else pl.DataFrame()
    return Health(champ, backtest, versions, _freshness(con), ingests, latest)

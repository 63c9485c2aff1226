"""Read-only summaries of the warehouse for `roadsafety status`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from roadsafety.store.connection import read_connection

FACTS_SQL = """
SELECT 'accidents' AS "table", source, count(*) AS rows, min(occurred_at)::DATE AS first,
       max(occurred_at)::DATE AS last, count(*) FILTER (WHERE located) AS located,
       count(*) FILTER (WHERE NOT located AND unit_id LIKE '% | km %') AS on_stretches,
       count(*) FILTER (WHERE unit_id IS NOT NULL AND NOT located AND unit_id NOT LIKE '% | km %') AS road_wide,
       count(*) FILTER (WHERE unit_id IS NULL) AS no_unit,
       count(*) FILTER (WHERE unit_id IS NULL AND chainage_km IS NOT NULL) AS km_but_no_road,
       count(*) FILTER (WHERE severity = 'fatal') AS fatal, count(*) FILTER (WHERE severity = 'grievous') AS grievous
FROM accidents GROUP BY source
UNION ALL
SELECT 'challans', source, sum(n)::BIGINT, min(issued_day), max(issued_day),
       coalesce(sum(n) FILTER (WHERE located), 0)::BIGINT, 0,
       coalesce(sum(n) FILTER (WHERE unit_id IS NOT NULL AND NOT located), 0)::BIGINT,
       coalesce(sum(n) FILTER (WHERE unit_id IS NULL), 0)::BIGINT, NULL, NULL, NULL
FROM challan_unit_day GROUP BY source
ORDER BY 1, 2
"""

RUNS_SQL = """
SELECT run_id, kind, format, regexp_replace(source_file, '^.*/', '') AS file, started_at::TIMESTAMP(0) AS started,
       rows_read, loaded, updated, quarantined, duplicates, status
FROM ingest_runs ORDER BY started_at DESC LIMIT ?
"""

QUARANTINE_SQL = """
SELECT regexp_replace(q.source_file, '^.*/', '') AS file, q.column_name AS "column", q.reason,
       count(*) AS rows
FROM quarantine q GROUP BY ALL ORDER BY file, rows DESC LIMIT 60
"""

RUN_REASONS_SQL = """
SELECT column_name AS "column", reason, count(*) AS rows
FROM quarantine WHERE ingest_run_id = ? GROUP BY ALL ORDER BY rows DESC, "column", reason LIMIT ?
"""

UNITS_SQL = """
SELECT kind, count(*) AS units, sum(n_accidents) AS accidents,
       count(*) FILTER (WHERE latitude IS NOT NULL) AS placed_on_map,
       count(*) FILTER (WHERE km_from IS NOT NULL) AS with_km
FROM spatial_units GROUP BY kind ORDER BY kind
"""


def file_loaded(db_path: Path, sha256: str | None) -> bool:
    """True when an ingest run that ended well loaded a file with this content (SHA-256)."""
    if sha256 is None or not Path(db_path).exists():
        return False
    with read_connection(db_path) as con:
        row = con.execute(
            "SELECT count(*) FROM ingest_runs WHERE file_sha256 = ? AND status = 'ok'", [sha256]
        ).fetchone()
    return bool(row[0])


def read_status(db_path: Path, runs: int = 10) -> dict[str, pl.DataFrame]:
    """Titled frames: facts by source, spatial units, recent ingest runs, quarantine by reason."""
    with read_connection(db_path) as con:
        report = {
            "Records by source": con.execute(FACTS_SQL).pl(),
            "Spatial units": con.execute(UNITS_SQL).pl(),
            f"Last {runs} ingest runs": con.execute(RUNS_SQL, [runs]).pl(),
            "Quarantine by reason": con.execute(QUARANTINE_SQL).pl(),
        }
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "model_versions" in tables:
            report["Model versions"] = con.execute(
                "SELECT version_id, as_of, status, round(score, 4) AS score, created_at::TIMESTAMP(0) AS created "
                "FROM model_versions ORDER BY created_at DESC LIMIT 5"
            ).pl()
    return report


def read_run_reasons(db_path: Path, run_id: str, limit: int = 3) -> list[tuple[str, str, int]]:
    """The most frequent ``(column, reason, rows)`` quarantine reasons of one ingest run."""
    with read_connection(db_path) as con:
        return [tuple(r) for r in con.execute(RUN_REASONS_SQL, [run_id, limit]).fetchall()]

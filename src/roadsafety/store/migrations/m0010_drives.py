"""Enforcement drives and their Empirical Bayes evaluation (issue 14).

``drives`` and ``drive_places`` are written by ``roadsafety drives import`` (one atomic write per
file; a re-imported drive replaces its places). ``drive_evaluations`` logs each ``drives evaluate``
run; ``drive_results``, ``drive_result_places`` and ``drive_result_months`` hold the latest run's
rows, which the app and the exports read.
"""

from roadsafety import schemas as s

VERSION = 10
NAME = "drives"


def statements() -> list[str]:
    """DDL for the drive tables."""
    return [
        s.create_table_sql("drives", s.DRIVES, ("drive_id",)),
        s.create_table_sql("drive_places", s.DRIVE_PLACES, ("drive_id", "place_no")),
        s.create_table_sql("drive_evaluations", s.DRIVE_EVALUATIONS, ("evaluation_id",)),
        s.create_table_sql("drive_results", s.DRIVE_RESULTS),
        s.create_table_sql("drive_result_places", s.DRIVE_RESULT_PLACES),
        s.create_table_sql("drive_result_months", s.DRIVE_RESULT_MONTHS),
    ]

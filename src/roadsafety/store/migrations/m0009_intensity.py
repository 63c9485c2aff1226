"""Where-and-when intensities of a forecast run: what the drive plan allocates teams on.

One row per stored unit of a run: expected crashes (all, and fatal + grievous) in each hour of the
week over the run's window (bin = dow·24 + hour, 0 = Monday 00h). A row sums to the unit's
``forecasts.expected_crashes`` (resp. ``expected_fatal_grievous``). Rows are stored for the units a
plan can reasonably use (see ``roadsafety.forecasts.where_when``), not for every unit.
"""

VERSION = 9
NAME = "unit_week_intensity"


def statements() -> list[str]:
    """DDL for unit_week_intensity."""
    return [
        """CREATE TABLE IF NOT EXISTS unit_week_intensity (
            run_id VARCHAR,
            unit_id VARCHAR,
            crashes FLOAT[168],               -- expected crashes per hour-of-week bin, whole window
            fatal_grievous FLOAT[168],        -- the same for fatal + grievous crashes
            PRIMARY KEY (run_id, unit_id))""",
    ]

"""Per-place challan figures read once per warehouse version, for the corridor detail's first view.

A place's detail shows its offence mix over the last 90 days of challan data and its newest
challans. Asked per place, both scan the whole ``challan_unit_day`` aggregate for the place's rows
(its rows are spread over every year stored), so the first view of a place grew with the
warehouse's history. :func:`read_challan_index` reads, in the snapshot's one pass (``serve``
builds it in the background after each warehouse version), per place and district:

* ``mix``: challans per offence over the last 90 days (what ``challan_days.offence_counts`` sums);
* ``days``: the place's newest challan days of the last :data:`DAYS_WINDOW` days, each place and
  district cut once its newest days hold :data:`RECENT` challans;
* ``groups``: every place and district with challans, with its first day.

:func:`newest_days` then gives a place's (or a corridor's cells') newest days exactly as the
aggregate scan would, or None when the index cannot tell (a sparse place whose challans reach back
before the window): the caller scans then, as before. The index is bounded by one year's volume of
the aggregate, not by the history. District scope is applied as in the SQL readers: rows of the
scope's district or without a district.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from roadsafety import schemas

RECENT = 25  # newest challans (and crashes) a place's detail lists
DAYS_WINDOW = 365
MIX_DAYS = 90


@dataclass(frozen=True)
class ChallanIndex:
    """Prebuilt per-place challan figures (see the module docstring)."""

    mix: pl.DataFrame  # unit_id, district, offence, challans
    days: pl.DataFrame  # unit_id, district, issued_day, n
    groups: pl.DataFrame  # unit_id, district, first_day
    since: date | None  # days holds every challan day after this one (None: no challans)
    limit: int  # each place and district's days stop once they hold this many challans


def read_challan_index(con: duckdb.DuckDBPyConnection, limit: int) -> ChallanIndex:
    """One pass over the aggregate: the per-place mix, newest days and first days."""
    hi = con.execute("SELECT max(issued_day) FROM challan_unit_day").fetchone()[0]
    since = hi - timedelta(days=DAYS_WINDOW) if hi is not None else None
    offs = ", ".join(f"off_{o}" for o in schemas.OFFENCES)
    mix = con.execute(
        f"""SELECT unit_id, district, substr(name, 5) AS offence, sum(count)::BIGINT AS challans
            FROM (UNPIVOT (SELECT unit_id, district, {offs} FROM challan_unit_day
                           WHERE issued_day > ? AND unit_id IS NOT NULL)
                  ON COLUMNS(* EXCLUDE (unit_id, district)) INTO NAME name VALUE count)
            WHERE count > 0 GROUP BY ALL""",
        [hi - timedelta(days=MIX_DAYS) if hi is not None else None],
    ).pl()
    days = con.execute(
        """SELECT unit_id, district, issued_day, n FROM (
               SELECT unit_id, district, issued_day, sum(n)::BIGINT AS n,
                      coalesce(sum(sum(n)) OVER (PARTITION BY unit_id, district
                          ORDER BY issued_day DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                          0) AS before
               FROM challan_unit_day WHERE issued_day > ? AND unit_id IS NOT NULL GROUP BY 1, 2, 3)
           WHERE before < ?""",
        [since, limit],
    ).pl()
    groups = con.execute(
        """SELECT unit_id, district, min(issued_day) AS first_day FROM challan_unit_day
           WHERE unit_id IS NOT NULL GROUP BY 1, 2"""
    ).pl()
    return ChallanIndex(mix, days, groups, since, limit)


def _of(frame: pl.DataFrame, unit_ids: tuple[str, ...], district: str | None) -> pl.DataFrame:
    """Rows of the units (of ``district`` or without one, when given)."""
    kept = frame.filter(pl.col("unit_id").is_in(list(unit_ids)))
    if district is None:
        return kept
    return kept.filter(
        pl.col("district").is_null() | (pl.col("district").str.to_lowercase() == district.lower())
    )


def offence_mix(
    index: ChallanIndex, unit_ids: tuple[str, ...], district: str | None
) -> pl.DataFrame:
    """Challans per offence of the units over the last 90 days, most first (``offence, challans``)."""
    return (
        _of(index.mix, unit_ids, district)
        .group_by("offence")
        .agg(pl.col("challans").sum())
        .sort(["challans", "offence"], descending=[True, False])
    )


def newest_days(
    index: ChallanIndex, unit_ids: tuple[str, ...], district: str | None, limit: int
) -> list[tuple[date, int]] | None:
    """The units' challan days, newest first, with the running count of challans, exact down to
    the first day whose count reaches ``limit`` (all days when none does); None when the index
    cannot tell (then the caller scans the aggregate).

    Each place and district's days are complete down to its own cut, so from the latest of those
    cuts the union's running counts are exact; the union reaches ``limit`` on or after it.
    """
    if limit > index.limit:
        return None
    if _of(index.groups, unit_ids, district).is_empty():
        return []
    days = (
        _of(index.days, unit_ids, district)
        .group_by("issued_day")
        .agg(pl.col("n").sum())
        .sort("issued_day", descending=True)
        .with_columns(pl.col("n").cum_sum().alias("running"))
    )
    out = list(zip(days["issued_day"].to_list(), days["running"].to_list(), strict=True))
    if any(running >= limit for _, running in out):
        return out
    groups = _of(index.groups, unit_ids, district)
    if index.since is not None and groups["first_day"].min() > index.since:
        return out  # every challan day of the units is in the window: the list is whole
    return None

"""Drift and freshness checks run before promotion: each warns or blocks past configured thresholds.

Pure Polars over aggregates read by ``store.job_store``:

* **volume** — accidents per district in the last ``recent_days`` against the same-length share of the
  year before (districts expecting fewer than 5 are skipped: too noisy to judge);
* **offence mix** — total-variation distance between the recent and the previous year's challan
  offence shares (skipped below 200 recent challans);
* **missing days** — days in the recent window with no accident at all where the region normally has
  three or more a day, plus the days between the newest record and yesterday.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import polars as pl

from roadsafety.config import JobConfig

LEVELS = ("ok", "warn", "block")


@dataclass(frozen=True)
class Check:
    """One check's verdict."""

    name: str
    level: str
    value: float | None
    detail: str

    def as_dict(self) -> dict:
        """Plain dict for JSON."""
        return asdict(self)


def _level(value: float, warn: tuple[float, float], block: tuple[float, float]) -> str:
    if not block[0] <= value <= block[1]:
        return "block"
    if not warn[0] <= value <= warn[1]:
        return "warn"
    return "ok"


def volume_checks(volumes: pl.DataFrame, cfg: JobConfig) -> list[Check]:
    """Per-district recent volume against the previous year's rate."""
    out = []
    scale = cfg.recent_days / 365
    for row in volumes.iter_rows(named=True):
        expected = row["history"] * scale
        if expected < 5:
            continue
        ratio = row["recent"] / expected
        level = _level(ratio, cfg.volume_warn, cfg.volume_block)
        out.append(
            Check(
                f"volume:{row['district']}",
                level,
                round(ratio, 3),
                f"{row['recent']} accidents in the last {cfg.recent_days} days vs "
                f"{expected:.1f} expected from the year before (ratio {ratio:.2f})",
            )
        )
    return out


def offence_mix_check(mix: pl.DataFrame, cfg: JobConfig) -> list[Check]:
    """Total-variation distance between recent and previous offence shares."""
    recent, history = mix.get_column("recent").sum(), mix.get_column("history").sum()
    if recent < 200 or history == 0:
        return []
    tvd = (
        0.5 * (mix.get_column("recent") / recent - mix.get_column("history") / history).abs().sum()
    )
    level = (
        "block" if tvd > cfg.offence_mix_block else "warn" if tvd > cfg.offence_mix_warn else "ok"
    )
    return [
        Check(
            "offence_mix",
            level,
            round(float(tvd), 3),
            f"offence-mix shift {tvd:.2f} (total variation) over {recent:,} recent challans",
        )
    ]


def missing_days_check(
    daily: pl.DataFrame, cutoff: date, today: date, cfg: JobConfig
) -> list[Check]:
    """Zero-accident days in the recent window (where the region expects >= 3 a day) plus stale days."""
    if daily.is_empty():
        return [Check("missing_days", "block", None, "no accidents in the year before the cut-off")]
    recent_start = cutoff - timedelta(days=cfg.recent_days)
    history = daily.filter(pl.col("day") < recent_start).get_column("n").sum()
    per_day = history / 365
    seen = set(daily.filter(pl.col("day") >= recent_start).get_column("day").to_list())
    gaps = 0
    if per_day >= 3:
        gaps = sum(
            1 for i in range(cfg.recent_days) if recent_start + timedelta(days=i) not in seen
        )
    stale = max(0, (today - cutoff).days)
    missing = gaps + stale
    level = (
        "block"
        if missing >= cfg.missing_days_block
        else "warn"
        if missing >= cfg.missing_days_warn
        else "ok"
    )
    return [
        Check(
            "missing_days",
            level,
            float(missing),
            f"{gaps} empty days in the last {cfg.recent_days} (region averages {per_day:.1f}/day); "
            f"newest record {(cutoff - timedelta(days=1))}, {stale} day(s) before today without data",
        )
    ]


def worst(checks: list[Check]) -> str:
    """The most severe level among the checks ('ok' when none)."""
    return max((c.level for c in checks), key=LEVELS.index, default="ok")

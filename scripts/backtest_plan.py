"""Where-and-when parts of docs/backtest_results.md (imported by scripts/backtest_results.py).

- :func:`truth_metrics`: on the synthetic world, the plan and the top-100 list made from the planted
  truth (each unit's planted yearly rate × its road class's hour-of-week profile, as generated);
- :func:`product_plan_notes`: ``build_plan`` on the product's own forecast run for the test year,
  scored against that year's timed crashes;
- :func:`plan_sections`: the Markdown tables (where alone, where and when, peak windows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import polars as pl

from roadsafety.config import Settings
from roadsafety.errors import ExportError
from roadsafety.exports.plan import PlanRequest, build_plan
from roadsafety.forecasts import pipeline
from roadsafety.models import metrics as unit_metrics_mod
from roadsafety.models import plan_backtest
from roadsafety.models.profile import parse_peak_window
from roadsafety.store.connection import read_connection

BUDGETS = plan_backtest.BUDGETS


def _class_profiles(year: int) -> dict[str, np.ndarray]:
    """The generator's hour-of-week crash profile per road class over ``year`` (168 shares)."""
    from roadsafety.sources.synthetic_time import accident_profile, festival_dates, hour_grid

    grid = hour_grid(date(year, 1, 1), date(year + 1, 1, 1))
    festivals = festival_dates(range(year, year + 1))
    out = {}
    for klass in ("highway", "urban", "rural"):
        weights = accident_profile(grid, klass, festivals)
        week = np.bincount(grid.dow * 24 + grid.hod, weights=weights, minlength=168)
        out[klass] = week / week.sum()
    return out


def truth_metrics(
    truth: pl.DataFrame,
    units: pl.DataFrame,
    events: pl.DataFrame,
    window: plan_backtest.Window,
    unit_metrics: pl.DataFrame,
) -> pl.DataFrame:
    """Plan coverage and where-alone closure of the planted truth (model ``truth``)."""
    from roadsafety.sources.synthetic_geo import profile_class

    year = date.fromordinal(date(1970, 1, 1).toordinal() + window.origin).year
    profiles = _class_profiles(year)
    rows = units.select("unit_idx", "unit_id").join(
        truth.select(
            "unit_id", "expected_crashes_per_year", klass=profile_class(pl.col("road_category"))
        ),
        on="unit_id",
        how="inner",
    )
    values = np.zeros((units.height, 168))
    for idx, rate, klass in rows.select(
        "unit_idx", "expected_crashes_per_year", "klass"
    ).iter_rows():
        values[idx] = rate * profiles[klass]
    plan = plan_backtest.plan_coverage({"truth": values}, events, window)
    plan = plan.filter(pl.col("model") == "truth")
    scores = pl.DataFrame({"unit_idx": np.arange(units.height), "s": values.sum(axis=1)})
    actual = (
        events.filter(
            (pl.col("day") >= window.origin) & (pl.col("day") < window.origin + window.horizon)
        )
        .group_by("unit_idx")
        .agg(y=pl.len().cast(pl.Float64))
    )
    scored = scores.join(actual, on="unit_idx", how="left").with_columns(pl.col("y").fill_null(0.0))
    total = float(actual["y"].sum())
    hits = unit_metrics_mod.ranking_metrics(scored, "s", "y", "unit_idx", total)
    closure = plan_backtest.where_closure(
        pl.concat(
            [
                unit_metrics.select("model", "metric", "k", "value"),
                hits.with_columns(model=pl.lit("truth")).select("model", "metric", "k", "value"),
            ]
        ),
        model="truth",
    )
    return pl.concat([plan, closure])


def _covered(settings: Settings, year: int, rows: pl.DataFrame, fg: bool) -> tuple[float, int]:
    """Share of the year's timed crashes (fatal+grievous with ``fg``) in the plan's places and hours."""
    bins = [
        (unit, dow, hour)
        for unit, window in rows.select("unit_id", "window").iter_rows()
        for dow, hour in parse_peak_window(window)
    ]
    plan = pl.DataFrame(
        bins, schema={"unit_id": pl.Utf8, "dow": pl.Int32, "hour": pl.Int32}, orient="row"
    )
    with read_connection(settings.db_path) as con:
        crashes = con.execute(
            """SELECT unit_id, CAST(isodow(occurred_at) - 1 AS INTEGER) AS dow,
                      CAST(hour(occurred_at) AS INTEGER) AS hour,
                      severity IN ('fatal', 'grievous') AS fg
               FROM accidents WHERE year(occurred_at) = ? AND has_time AND unit_id IS NOT NULL""",
            [year],
        ).pl()
    if fg:
        crashes = crashes.filter(pl.col("fg"))
    hit = crashes.join(plan, on=["unit_id", "dow", "hour"], how="semi").height
    return (hit / crashes.height if crashes.height else float("nan")), crashes.height


def product_plan_notes(settings: Settings, year: int) -> list[str]:
    """``build_plan`` on the product's forecast run for ``year``, scored against that year."""
    run_id = pipeline.ensure_forecast(settings, date(year, 1, 1), date(year, 12, 31))
    notes = []
    for objective in ("all", "fatal_grievous"):
        for team_hours in BUDGETS:
            try:
                with read_connection(settings.db_path) as con:
                    rows = build_plan(con, run_id, PlanRequest(team_hours, objective=objective))
            except ExportError as exc:  # no crash times: the run holds no intensities
                return [f"product path {year}: no plan ({exc})"]
            share, n = _covered(settings, year, rows, objective == "fatal_grievous")
            if not n:
                return [f"product path {year}: no timed crashes, so plans are not scored"]
            notes.append(
                f"product path {year}: `roadsafety plan --team-hours {team_hours} --objective "
                f"{objective}` ({rows.height} places, {rows['team_hours_per_week'].sum()} team-hours) "
                f"covers {share:.3f} of {n} timed crashes"
            )
    return notes


def _value(grp: pl.DataFrame, model: str, level: str, metric: str, k: str) -> float | None:
    got = grp.filter(
        (pl.col("model") == model)
        & (pl.col("level") == level)
        & (pl.col("metric") == metric)
        & (pl.col("k") == k)
    )["value"]
    return float(got[0]) if got.len() and got[0] is not None and np.isfinite(got[0]) else None


def _f(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _markdown(
    columns: list[str], metrics: pl.DataFrame, rows: Callable, text_columns: int = 0
) -> list[str]:
    """A Markdown table: ``rows(grp)`` gives the cells after dataset and year of each group (the
    first ``text_columns`` of them left-aligned, the numbers right-aligned)."""
    align = ["---" if i < text_columns else "---:" for i in range(len(columns))]
    lines = [
        "| dataset | test year | " + " | ".join(columns) + " |",
        "| --- | --- | " + " | ".join(align) + " |",
    ]
    for (ds, year), grp in metrics.group_by("dataset", "year", maintain_order=True):
        lines += [f"| {ds} | {year} | " + " | ".join(cells) + " |" for cells in rows(grp)]
    return lines


def _where_alone_row(grp: pl.DataFrame) -> list[list[str]]:
    own = _value(grp, "lightgbm", "unit", "hit_rate", "budget100")
    pei = _value(grp, "lightgbm", "unit", "pei_star", "budget100")
    naive = [_value(grp, m, "unit", "hit_rate", "budget100") for m in ("naive_1y", "naive_3y")]
    best = max((v for v in naive if v is not None), default=None)
    ceiling = own / pei if own is not None and pei else None
    closure = _value(grp, "lightgbm", "unit", "closure", "budget100")
    truth = _value(grp, "truth", "unit", "closure", "budget100")
    return [[_f(own), _f(best), _f(ceiling), _f(closure, 2), _f(truth, 2)]]


PLAN_COLUMNS = (
    "intensity",
    "intensity_naive3y",
    "truth",
    "naive_blocks",
    "naive_blocks_ranked",
    "hindsight",
)
PLAN_RATIOS = (
    ("intensity", "naive_blocks"),
    ("intensity", "naive_blocks_ranked"),
    ("hindsight", "naive_blocks"),
    ("hindsight", "naive_blocks_ranked"),
)
OBJECTIVES = (("plan", "all injury"), ("plan_fatal_grievous", "fatal+grievous"))
TIE_METRICS = ("tie_count", "tie_above", "tie_group")


def _ratio(a: float | None, b: float | None) -> str:
    return _f(a / b if a is not None and b else None, 2)


def _where_when_rows(grp: pl.DataFrame) -> list[list[str]]:
    out = []
    for level, objective in OBJECTIVES:
        for k in map(str, BUDGETS):
            got = {m: _value(grp, m, level, "coverage", k) for m in PLAN_COLUMNS}
            if not got["naive_blocks"]:
                continue
            ratios = [_ratio(got[a], got[b]) for a, b in PLAN_RATIOS]
            out.append([objective, k, *[_f(got[m]) for m in PLAN_COLUMNS], *ratios])
    return out


def _tie_rows(grp: pl.DataFrame) -> list[list[str]]:
    out = []
    for level, objective in OBJECTIVES:
        for k in map(str, BUDGETS):
            ties = [_value(grp, "naive_blocks", level, m, k) for m in TIE_METRICS]
            if ties[0] is None:
                continue
            count, above, group = ties
            taken = int(k) // 3 - above
            out.append([objective, k, str(int(k) // 3), _f(count, 0), _f(above, 0), _f(group, 0)])
            out[-1].append(f"{taken:.0f} of {group:.0f} ({taken / group:.1%})")
    return out


def _peak_window_rows(grp: pl.DataFrame) -> list[list[str]]:
    peak = _value(grp, "risk_list", "peak_window", "coverage", "top100")
    if peak is None:
        return []
    hours = _value(grp, "risk_list", "peak_window", "cell_hours", "top100")
    naive, ranked, own = (
        _value(grp, m, "peak_window", "coverage", "top100")
        for m in ("naive_blocks", "naive_blocks_ranked", "naive_windows")
    )
    return [
        [
            _f(hours, 0),
            _f(peak),
            _f(naive),
            _ratio(peak, naive),
            _f(ranked),
            _ratio(peak, ranked),
            _f(own),
            _ratio(peak, own),
        ]
    ]


def plan_sections(metrics: pl.DataFrame) -> list[str]:
    """The Markdown sections of the where-alone and where-and-when results."""
    return [
        "",
        "## Where alone: how much of the gap to hindsight the year-ahead top 100 closes",
        "",
        "closure = (LightGBM − best naive) / (hindsight − best naive), hit rates at 100 units; best",
        "naive = the better of last year's and the last 3 years' counts; hindsight = the best 100",
        "units of the test year. *truth closure* (synthetic world only) is the same for a list made",
        "from the planted rates themselves.",
        "",
        *_markdown(
            ["LightGBM hit@100", "best naive", "hindsight", "closure", "truth closure"],
            metrics,
            _where_alone_row,
        ),
        "",
        "## Where and when: the drive plan against naive blocks and hindsight",
        "",
        "Share of the test year's timed crashes (all injury crashes; or fatal + grievous with the",
        "fatal_grievous objective) that fall in the plan's places during the plan's hours, 3-hour",
        "shifts, the same weekly team-hours for every column. *plan* = the where-and-when model with",
        "LightGBM's unit forecasts (the product); *plan (3-year where)* = the same with each unit's",
        "3-year count; *truth* (synthetic only) = the plan made from the planted intensities;",
        "*naive blocks* = the (unit, 3-hour block of the week) cells with most crashes in the last 3",
        "years, equal counts in arbitrary order (a pivot table sorted by count), scored at its exact",
        "expected value under a random order of the ties: the targets are measured against it;",
        "*naive ranked* = the same count with ties broken by the unit's 3-year total, then the",
        "block's regional count — itself a where model, so a stronger baseline, shown so that no",
        "ratio is read against the weaker one alone; *hindsight* = the best plan given the test",
        "year's crashes (it fits that year's noise).",
        "",
        *_markdown(
            [
                "objective",
                "team-hours/week",
                "plan",
                "plan (3-year where)",
                "truth",
                "naive blocks",
                "naive ranked",
                "hindsight",
                "plan ÷ naive",
                "plan ÷ ranked",
                "hindsight ÷ naive",
                "hindsight ÷ ranked",
            ],
            metrics,
            _where_when_rows,
            text_columns=1,
        ),
        "",
        "### Where the naive cut falls",
        "",
        "The naive plan takes budget ÷ 3 (unit, 3-hour block) cells. *cut-off count* = past crashes",
        "of the last cell taken; *above* = cells with more; *tied* = cells with exactly the cut-off",
        "count, of which the rest of the budget takes an arbitrary few.",
        "",
        *_markdown(
            [
                "objective",
                "team-hours/week",
                "blocks",
                "cut-off count",
                "above",
                "tied",
                "taken from the tie",
            ],
            metrics,
            _tie_rows,
            text_columns=1,
        ),
        "",
        "## Peak windows of the risk list",
        "",
        "The top 100 of the year-ahead list, each during its `peak_window`, against naive blocks with",
        "the same cell-hours anywhere (ties in random order, and ranked), and against the same 100",
        "places each during its busiest past 3-hour blocks (same hours per place, ties in random",
        "order).",
        "",
        *_markdown(
            [
                "cell-hours/week",
                "peak windows",
                "naive blocks",
                "ratio",
                "naive ranked",
                "ratio",
                "same places, busiest past blocks",
                "ratio",
            ],
            metrics,
            _peak_window_rows,
        ),
    ]

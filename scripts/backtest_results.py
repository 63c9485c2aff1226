"""Regenerate docs/backtest_results.md: held-out test years on the real public crash files.

For each dataset the script ingests the real file into a fresh temporary warehouse (nothing is
written into the repository but the Markdown table), runs ``retrain --as-of`` at the start of the
first test year (so no model sees the test years), then scores a year-ahead list made at the start
of each test year (features from the data before that day; the model stays the one trained before
the first test year) against the crashes that happened. Baselines are computed at the same origins.
It also scores the product's own path: ``ensure_forecast`` for the test year and the top 100 by the
``forecasts.rank`` the risk-list export uses, and ``build_plan`` (what ``roadsafety plan`` writes) at
300 and 1,200 team-hours a week.

Where and when (datasets with crash times): the drive plan's share of the test year's timed crashes
in its places during its hours, beside naive (unit, 3-hour block) counts of the last 3 years with
the same budget and the hindsight plan (:mod:`roadsafety.models.plan_backtest`); the risk list's
peak windows at their own cell-hours; and, on the synthetic world whose truth is known, the plan
made from the planted intensities themselves (the best any model could do in expectation).

    .venv/bin/python scripts/backtest_results.py [--data ../shared/data] [--out docs/backtest_results.md]
        [--skip-stretches]

The last section, road stretches (issue 12), is made by ``scripts/stretch_results.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from backtest_plan import plan_sections, product_plan_notes, truth_metrics
from stretch_results import stretch_results

from roadsafety.config import CalendarConfig, PrivacyConfig, RegionConfig, Settings
from roadsafety.forecasts import pipeline
from roadsafety.models import backtest, plan_backtest, registry
from roadsafety.sources.registry import get_reader
from roadsafety.store import model_store
from roadsafety.store.connection import read_connection
from roadsafety.store.ingest import ingest_batch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import drive_placebo_results  # noqa: E402 - the drive placebo section, a script beside this one

log = logging.getLogger("backtest_results")
MODELS = ("lightgbm", "empirical_bayes", "naive_3y", "naive_1y", "seasonal_naive", "morth_rule")
BASELINES = ("empirical_bayes", "naive_3y", "naive_1y", "seasonal_naive", "morth_rule")


@dataclass(frozen=True)
class Dataset:
    """One real file and its held-out design."""

    name: str
    file: str
    fmt: str
    as_of: date
    test_years: tuple[int, ...]
    calendar: CalendarConfig
    synthetic: bool = False


DATASETS = (
    Dataset(
        "BAAC France (5 départements), H3 res 8",
        "baac_france_5dep.csv.gz",
        "baac",
        date(2018, 1, 1),
        (2018, 2019),
        CalendarConfig(country="FR"),
    ),
    Dataset(
        "Delhi FIR register, police station + road",
        "delhi_fir_crashes_2016_2020.csv",
        "delhi-fir",
        date(2019, 1, 1),
        (2019,),
        CalendarConfig(country="IN", fog_months=(12, 1)),
    ),
    Dataset(
        "Delhi fatal-crash forms, H3 res 8",
        "delhi_fatal_forms",
        "delhi-fatal",
        date(2021, 1, 1),
        (2021,),
        CalendarConfig(country="IN", fog_months=(12, 1)),
    ),
    Dataset(
        "Synthetic Haryana (seed 7, 2019-2024, accidents only)",
        "",
        "canonical",
        date(2023, 1, 1),
        (2023, 2024),
        CalendarConfig(
            country="IN", subdivision="HR", fog_months=(12, 1), monsoon_months=(7, 8, 9)
        ),
        synthetic=True,
    ),
)
SYNTH_END = date(2025, 1, 1)


def score_year(
    settings: Settings, champ: dict, year: int, ds: Dataset, ds_truth: pl.DataFrame | None
) -> pl.DataFrame:
    """Unit-level and where-and-when metrics for a list and a plan made on 1 January of ``year``."""
    origin, end = date(year, 1, 1), date(year + 1, 1, 1)
    prep = pipeline.prepare(settings, end)
    pair, meta = registry.read_artifacts(Path(champ["artifact_dir"]))
    cfg = pipeline.panel.PanelConfig(**_panel_kwargs(meta["panel"]))
    fold = backtest.Fold(fold=0, origin=pipeline.panel.to_day(origin), horizon=(end - origin).days)
    units = backtest.scored_units(prep.eligible, fold.origin)
    frame = backtest.fold_frame(prep.ctx, pair, fold, units, cfg)
    total = pipeline._window_total(prep, fold)
    metrics = backtest.unit_metrics(frame, total, pair.crashes.alpha if pair.crashes else 0.5)
    window = plan_backtest.Window(fold.origin, fold.horizon)
    events, universe = prep.ctx.inputs.events, prep.ctx.inputs.units
    extra = [
        plan_backtest.fold_plan_metrics(frame, events, universe, window),
        plan_backtest.where_closure(metrics),
    ]
    if ds.synthetic:
        extra.append(truth_metrics(ds_truth, universe, events, window, metrics))
    metrics = pl.concat([metrics.with_columns(level=pl.lit("unit"))] + extra, how="diagonal")
    return metrics.with_columns(
        year=pl.lit(year), n_units=pl.lit(units.height), total=pl.lit(total)
    )


def _panel_kwargs(doc: dict) -> dict:
    return {
        k: tuple(map(tuple, v)) if k == "horizon_mix" else (tuple(v) if isinstance(v, list) else v)
        for k, v in doc.items()
    }


def product_list_hits(settings: Settings, year: int, top: int = 100) -> tuple[float, int]:
    """Hit rate of the top ``top`` units by ``forecasts.rank`` for the year (the export's path)."""
    run_id = pipeline.ensure_forecast(settings, date(year, 1, 1), date(year, 12, 31))
    with read_connection(settings.db_path) as con:
        got = con.execute(
            """WITH listed AS (SELECT unit_id FROM forecasts WHERE run_id = ? AND rank <= ?)
               SELECT count(*) FILTER (WHERE unit_id IN (SELECT unit_id FROM listed)), count(*)
               FROM accidents WHERE year(occurred_at) = ? AND unit_id IS NOT NULL""",
            [run_id, top, year],
        ).fetchone()
    return (got[0] / got[1] if got[1] else float("nan")), int(got[1])


def run_dataset(ds: Dataset, data_dir: Path, work: Path) -> tuple[pl.DataFrame, list[str]]:
    """Ingest, retrain before the test years, score each test year."""
    settings = Settings(
        db_path=work / "wh.duckdb",
        region=RegionConfig(bbox=None, h3_resolution=8),
        calendar=ds.calendar,
        privacy=PrivacyConfig(key_path=work / "pii.key"),
    )
    truth = None
    source = data_dir / ds.file
    if ds.synthetic:
        from roadsafety.sources.synthetic import generate_world

        generate_world(
            work / "synth", years=6, seed=7, end=SYNTH_END, fmt="parquet", progress=False
        )
        source, truth = (
            work / "synth" / "accidents.parquet",
            pl.read_csv(work / "synth" / "truth.csv"),
        )
    res = ingest_batch(settings, get_reader("accidents", ds.fmt)(source), ds.fmt)
    log.info("%s: loaded %d rows", ds.name, res.loaded)
    result = pipeline.retrain(settings, ds.as_of)
    with read_connection(settings.db_path) as con:
        champ = model_store.champion(con)
    score = result.score if result.score is None else round(result.score, 3)
    frames, notes = (
        [],
        [
            (
                f"retrain --as-of {ds.as_of}: {result.n_units} units, "
                f"{result.n_train_rows} training rows, {result.seconds:.0f}s; validation score "
                f"(LightGBM year-ahead hit rate @100, folds before the test years) {score}"
            )
        ],
    )
    for year in ds.test_years:
        frames.append(score_year(settings, champ, year, ds, truth))
        if year == ds.as_of.year:
            hit, n = product_list_hits(settings, year)
            notes.append(
                f"product path {year}: top 100 by forecasts.rank (risk-list order) "
                f"captures {hit:.3f} of {n} crashes"
            )
            notes += product_plan_notes(settings, year)
    return pl.concat(frames).with_columns(dataset=pl.lit(ds.name)), notes


def _table(metrics: pl.DataFrame) -> list[str]:
    want = {
        ("hit_rate", "top1pct"): "hit@1%",
        ("hit_rate", "budget100"): "hit@100",
        ("pai", "top1pct"): "PAI@1%",
        ("pei_star", "budget100"): "PEI*@100",
    }
    lines = [
        "| dataset | test year | units | crashes | model | " + " | ".join(want.values()) + " |",
        "| --- | --- | ---: | ---: | --- | " + " | ".join("---:" for _ in want) + " |",
    ]
    for (ds, year), grp in metrics.group_by("dataset", "year", maintain_order=True):
        for model in [m for m in MODELS if m in set(grp["model"])]:
            g = grp.filter(pl.col("model") == model)
            vals = [
                g.filter((pl.col("metric") == m) & (pl.col("k") == k))["value"] for m, k in want
            ]
            cells = [f"{v[0]:.3f}" if v.len() else "" for v in vals]
            lines.append(
                f"| {ds} | {year} | {g['n_units'][0]} | {int(g['total'][0])} | {model} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def _gains(metrics: pl.DataFrame) -> list[str]:
    out = []
    for (ds, year), grp in metrics.group_by("dataset", "year", maintain_order=True):
        for k in ("top1pct", "budget100"):
            hit = grp.filter((pl.col("metric") == "hit_rate") & (pl.col("k") == k))
            lgb = hit.filter(pl.col("model") == "lightgbm")["value"]
            base = hit.filter(pl.col("model").is_in(BASELINES)).sort("value", descending=True)
            pei = grp.filter(
                (pl.col("metric") == "pei_star")
                & (pl.col("k") == k)
                & (pl.col("model") == "lightgbm")
            )["value"]
            if lgb.len() and base.height:
                best, name = base["value"][0], base["model"][0]
                rel = (lgb[0] / best - 1) * 100 if best > 0 else float("nan")
                oracle = lgb[0] / pei[0] if pei.len() and pei[0] > 0 else float("nan")
                out.append(
                    f"- {ds}, {year}, {k}: LightGBM {lgb[0]:.3f} vs best baseline {name} "
                    f"{best:.3f} → {rel:+.1f}% relative; the best possible list (hindsight) "
                    f"{oracle:.3f}, i.e. at most {(oracle / best - 1) * 100:+.1f}% over that baseline"
                )
    return out


def main() -> None:
    """Run every dataset whose file is present and write the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(
            os.environ.get(
                "ROADSAFETY_REAL_DATA",
                Path(__file__).resolve().parents[1].parent / "shared" / "data",
            )
        ),
    )
    parser.add_argument("--out", type=Path, default=Path("docs/backtest_results.md"))
    parser.add_argument(
        "--skip-stretches", action="store_true", help="Leave out the road-stretch section."
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parts, notes = [], []
    for ds in DATASETS:
        if not ds.synthetic and not (args.data / ds.file).exists():
            notes.append(f"{ds.name}: {ds.file} not found in {args.data}, skipped")
            continue
        with tempfile.TemporaryDirectory(prefix="rs_bt_") as tmp:
            metrics, ds_notes = run_dataset(ds, args.data, Path(tmp))
        parts.append(metrics)
        notes += [f"{ds.name}: {n}" for n in ds_notes]
    metrics = pl.concat(parts) if parts else pl.DataFrame()
    doc = [
        "# Backtest results on real crash records (generated)",
        "",
        "Generated by `scripts/backtest_results.py`; do not edit by hand. Test years are held out:",
        "the model is trained on records before the first test year; each list is made on 1 January",
        "of its year from the records before that day and scored against that year's crashes.",
        "hit@k = share of all the year's crashes (with a unit) in the k listed units; 1% = ceil(1% of",
        "the units known before the year); PAI = hit rate ÷ share of units listed; PEI* = captured ÷",
        "the most any list of that size could capture.",
        "",
    ]
    if parts:
        unit = metrics.filter(pl.col("level") == "unit")
        doc += _table(unit) + ["", "## LightGBM vs the best baseline", ""] + _gains(unit)
        doc += plan_sections(metrics)
    doc += [""] + drive_placebo_results.section_lines(args.data)
    doc += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(doc) + "\n")  # kept if the stretch section fails
    if not args.skip_stretches:
        with tempfile.TemporaryDirectory(prefix="rs_stretch_") as tmp:
            doc += [""] + stretch_results(args.data, Path(tmp))
        args.out.write_text("\n".join(doc) + "\n")
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()

"""Issue 14's targets over many seeded synthetic worlds: the table in docs/drives.md.

Each world (4 years) has 40 placebo drives at last year's highest-crash places and 10 drives of 4
places whose crashes were cut by 30% (``roadsafety synth --plant-drives``); both kinds are evaluated
through the product's path and pooled apart, with the fitted prior (default) and the HSM gamma
prior. The test suite checks the fitted prior over the same seeds 1-8.

    .venv/bin/python scripts/drive_study_check.py [--seeds 1-8] [--scale 0.5] [--write docs/drives.md]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import polars as pl

from roadsafety.forecasts.drive_checks import planted_world_check, scratch_settings
from roadsafety.forecasts.drive_runs import evaluate_and_store, selection_rows
from roadsafety.models.drive_effect import StudyOptions

log = logging.getLogger("drive_study_check")
START, END = "<!-- drive-study-check:start -->", "<!-- drive-study-check:end -->"


def one_world(seed: int, scale: float) -> list[dict]:
    """Placebo and effect pools of one world, for both priors."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="rs_drives_") as tmp:
        folder = Path(tmp)
        fitted = planted_world_check(folder, seed=seed, scale=scale)
        truth = pl.read_csv(folder / "drive_truth.csv")
        gamma = evaluate_and_store(scratch_settings(folder), StudyOptions(prior="gamma"))
        for kind, result in fitted.items():
            ids = truth.filter(pl.col("kind") == kind)["drive_id"].to_list()
            g = selection_rows(gamma, ids)
            g_pool = g.filter(pl.col("drive_id") == "ALL").row(0, named=True)
            g_claims = int(
                g.filter(pl.col("drive_id") != "ALL")["verdict"]
                .str.starts_with("crashes fell")
                .sum()
            )
            rows.append(
                _row(seed, kind, "fitted", result.pooled, result.fall_claims, result.drives.height)
            )
            rows.append(_row(seed, kind, "gamma", g_pool, g_claims, len(ids)))
    return rows


def _row(seed: int, kind: str, prior: str, pooled: dict, claims: int, drives: int) -> dict:
    keys = ("change_pct", "ci_low_pct", "ci_high_pct", "naive_change_pct")
    return {"seed": seed, "kind": kind, "prior": prior, "claims": claims, "drives": drives} | {
        k: pooled[k] for k in keys
    }


def table(rows: pl.DataFrame) -> list[str]:
    """Per seed rows, then a summary per kind and prior."""
    lines = [
        "| seed | drives | prior | naive | EB change (90%) | single 'fell' |",
        "| ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for r in rows.sort("kind", "prior", "seed", descending=[True, False, False]).iter_rows(
        named=True
    ):
        lines.append(
            f"| {r['seed']} | {r['kind']} | {r['prior']} | {r['naive_change_pct']:+.1f}% | "
            f"{r['change_pct']:+.1f}% ({r['ci_low_pct']:+.1f} to {r['ci_high_pct']:+.1f}) | "
            f"{r['claims']}/{r['drives']} |"
        )
    return lines + [""] + summary(rows)


def summary(rows: pl.DataFrame) -> list[str]:
    """One sentence per kind and prior: mean, spread, interval hits, claims."""
    out = []
    for (kind, prior), g in rows.group_by("kind", "prior", maintain_order=True):
        truth = 0.0 if kind == "placebo" else -30.0
        covers = ((g["ci_low_pct"] <= truth) & (g["ci_high_pct"] >= truth)).sum()
        within = ((g["change_pct"] - truth).abs() <= 10).sum()
        out.append(
            f"- {kind}, {prior} prior, {g.height} worlds: mean {g['change_pct'].mean():+.1f}% "
            f"(sd {g['change_pct'].std():.1f}) against a planted {truth:+.0f}%; interval covers it in "
            f"{covers}/{g.height}; within 10 points in {within}/{g.height}; naive mean "
            f"{g['naive_change_pct'].mean():+.1f}%; single drives claiming a fall "
            f"{g['claims'].sum()}/{g['drives'].sum()}"
        )
    return out


def _seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    """Run the worlds and print (or write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-8")
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = pl.DataFrame([r for seed in _seeds(args.seeds) for r in one_world(seed, args.scale)])
    lines = [
        f"Scale {args.scale:g}, 4 years, seeds {args.seeds} (`scripts/drive_study_check.py`).",
        "",
    ]
    lines += table(rows)
    if args.write is None:
        sys.stdout.write("\n".join(lines) + "\n")
        return
    text = args.write.read_text()
    head, rest = text.split(START, 1)
    args.write.write_text(
        head + START + "\n" + "\n".join(lines) + "\n" + END + rest.split(END, 1)[1]
    )


if __name__ == "__main__":
    main()

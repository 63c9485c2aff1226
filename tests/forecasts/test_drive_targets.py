"""Issue 14's targets on planted synthetic worlds, through the product's own path.

``roadsafety synth``'s drives (40 placebo drives at last year's highest-crash places, 10 drives of
4 places with crashes cut by 30%) are ingested, imported and evaluated as an SP would; each kind is
pooled on its own. The targets are rates, so they are checked over the eight worlds that
docs/drives.md reports (seeds 1-8, scale 0.5; ``scripts/drive_study_check.py`` prints the table):

- No false wins: at most 10% of all single placebo drives say "crashes fell"; the pooled placebo
  estimate is centred on 0 and its 90% interval covers 0 as often as a 90% interval should (at
  least 6 worlds of 8: a calibrated interval fails that with probability 0.04); a plain
  before/after count claims a fall in every world.
- Real effects found: the planted -30% is estimated within 5 points on average and within 12 in
  every world, its interval excluding 0 in every world.

One world checked alone swings too much for a rate (seed 42 gave 6 false falls of 40 on one
version, 2 of 40 for seed 1 on the same code), which is why no single seed is asserted.
"""

from __future__ import annotations

import polars as pl
import pytest

from roadsafety.forecasts.drive_checks import KindResult, planted_world_check

pytestmark = pytest.mark.slow

SEEDS = range(1, 9)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> list[dict[str, KindResult]]:
    return [
        planted_world_check(tmp_path_factory.mktemp(f"world{seed}"), seed=seed, scale=0.5)
        for seed in SEEDS
    ]


def _pooled(worlds: list[dict[str, KindResult]], kind: str) -> pl.DataFrame:
    return pl.DataFrame([w[kind].pooled for w in worlds])


def test_no_false_wins_at_last_years_worst_places(worlds) -> None:
    placebo = [w["placebo"] for w in worlds]
    assert all(p.drives.height == 40 for p in placebo)
    falls = sum(p.fall_claims for p in placebo)
    assert falls <= 0.10 * 40 * len(placebo)
    pooled = _pooled(worlds, "placebo")
    covers = ((pooled["ci_low_pct"] <= 0) & (pooled["ci_high_pct"] >= 0)).sum()
    assert covers >= 6
    assert abs(pooled["change_pct"].mean()) <= 5
    assert (pooled["naive_change_pct"] < 0).all()  # the plain count claims a fall every time
    assert (pooled["naive_change_pct"] < pooled["change_pct"]).all()


def test_a_planted_30_percent_cut_is_found(worlds) -> None:
    assert all(w["effect"].drives.height == 10 for w in worlds)
    pooled = _pooled(worlds, "effect")
    assert abs(pooled["change_pct"].mean() - (-30.0)) <= 5
    assert ((pooled["change_pct"] - (-30.0)).abs() <= 12).all()
    assert (pooled["ci_high_pct"] < 0).all()
    assert (pooled["verdict"] == "crashes fell: likely the drive").all()


def test_challans_show_the_enforcement_happened_only_where_it_did(worlds) -> None:
    for world in worlds:
        effect, placebo = world["effect"].pooled, world["placebo"].pooled
        assert effect["challans_during"] > 10 * effect["challans_before"]
        assert placebo["challans_during"] < 2 * placebo["challans_before"]

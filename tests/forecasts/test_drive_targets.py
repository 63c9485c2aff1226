"""Issue 14's targets on a planted synthetic world, through the product's own path.

``roadsafety synth``'s drives (40 placebo drives at last year's highest-crash places, 10 drives of
4 places with crashes cut by 30%) are ingested, imported and evaluated as an SP would; each kind is
pooled on its own. No false wins: the placebo pool's 90% interval covers 0 and at most 10% of the
single placebo drives say "crashes fell"; a plain before/after count would have claimed a fall.
Real effects found: the planted -30% is estimated within 10 points, the interval excluding 0.
Seed 42 (the project's default), not picked; docs/drives.md reports other seeds.
"""

from __future__ import annotations

import pytest

from roadsafety.forecasts.drive_checks import KindResult, planted_world_check

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pools(tmp_path_factory) -> dict[str, KindResult]:
    return planted_world_check(tmp_path_factory.mktemp("targets"), seed=42, scale=0.5)


def test_no_false_wins_at_last_years_worst_places(pools) -> None:
    placebo = pools["placebo"]
    pooled = placebo.pooled
    assert placebo.drives.height == 40
    assert pooled["ci_low_pct"] <= 0 <= pooled["ci_high_pct"]
    assert pooled["verdict"] == "no clear change"
    assert placebo.fall_claims <= 0.10 * placebo.drives.height
    assert pooled["naive_change_pct"] < 0  # the plain count would have claimed a fall
    assert pooled["naive_change_pct"] < pooled["change_pct"]


def test_a_planted_30_percent_cut_is_found(pools) -> None:
    pooled = pools["effect"].pooled
    assert pools["effect"].drives.height == 10
    assert abs(pooled["change_pct"] - (-30.0)) <= 10
    assert pooled["ci_high_pct"] < 0
    assert pooled["verdict"] == "crashes fell: likely the drive"


def test_challans_show_the_enforcement_happened_only_where_it_did(pools) -> None:
    effect, placebo = pools["effect"].pooled, pools["placebo"].pooled
    assert effect["challans_during"] > 10 * effect["challans_before"]
    assert placebo["challans_during"] < 2 * placebo["challans_before"]

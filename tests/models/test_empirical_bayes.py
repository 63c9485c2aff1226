"""Tests for roadsafety.models.empirical_bayes (NB SPF + HSM Empirical Bayes)."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from roadsafety.models.empirical_bayes import (
    EB_COLUMNS,
    SpfModel,
    empirical_bayes,
    fit_spf,
    predict_spf,
)


def five_units() -> pl.DataFrame:
    """Five hand-made units observed 3 years each (two observed for 1.5 years)."""
    return pl.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e"],
            "crashes": [0, 2, 6, 15, 1],
            "years": [3.0, 3.0, 3.0, 1.5, 1.5],
            "road_category": ["NH", "NH", "SH", "SH", "NH"],
        }
    )


def world(n: int = 4000, k: float = 0.5, seed: int = 7) -> pl.DataFrame:
    """Seeded gamma-Poisson units: NH twice the SH rate, rate grows with a numeric covariate."""
    rng = np.random.default_rng(seed)
    cat = rng.choice(["NH", "SH", "urban"], n)
    x = rng.normal(size=n)
    mu = np.select([cat == "NH", cat == "SH"], [1.0, 0.5], 0.3) * np.exp(0.4 * x)
    years = rng.choice([1.0, 2.0, 3.0], n)
    lam = rng.gamma(1 / k, k * mu * years)
    return pl.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(n)],
            "crashes": rng.poisson(lam),
            "years": years,
            "road_category": cat,
            "kind": "h3",
            "log_neighbour_crashes": x,
            "true_mu": mu,
        }
    )


def test_formula_on_five_units() -> None:
    model = SpfModel(params={"const": math.log(0.8)}, k=0.5, method="nb")
    units = five_units()
    out = empirical_bayes(units, model, window_years=1.0)
    assert out.columns == list(EB_COLUMNS)
    for row, obs, yrs in zip(out.iter_rows(named=True), units["crashes"], units["years"]):
        sum_mu = 0.8 * yrs
        w = 1 / (1 + 0.5 * sum_mu)
        assert row["sum_mu"] == pytest.approx(sum_mu)
        assert row["weight"] == pytest.approx(w)
        assert row["eb_expected"] == pytest.approx((w * sum_mu + (1 - w) * obs) / yrs)
        assert row["spf_mu"] == pytest.approx(0.8)


def test_shrinkage_toward_spf() -> None:
    model = SpfModel(params={"const": math.log(0.8)}, k=0.5, method="nb")
    out = empirical_bayes(five_units(), model).join(five_units(), on="unit_id")
    rate = out["crashes"] / out["years"]
    est = out["eb_expected"]
    # EB lies between the unit's own rate and the SPF's, strictly inside when they differ.
    assert ((est - rate) * (est - 0.8) <= 1e-12).all()
    assert (est.filter(rate > 0.8) < rate.filter(rate > 0.8)).all()
    assert (est.filter(rate < 0.8) > rate.filter(rate < 0.8)).all()
    # Longer records weigh the unit's own count more (lower weight on the SPF).
    assert (
        out.filter(pl.col("unit_id") == "a")["weight"].item()
        < out.filter(pl.col("unit_id") == "e")["weight"].item()
    )


def test_window_scaling_and_no_history() -> None:
    model = SpfModel(params={"const": math.log(0.8)}, k=0.5, method="nb")
    units = five_units().with_columns(
        years=pl.when(pl.col("unit_id") == "a").then(0.0).otherwise(pl.col("years"))
    )
    year = empirical_bayes(units, model, window_years=1.0)
    week = empirical_bayes(units, model, window_years=7 / 365.25)
    assert np.allclose(week["eb_expected"], year["eb_expected"] * 7 / 365.25)
    assert year.filter(pl.col("unit_id") == "a")["eb_expected"].item() == pytest.approx(0.8)


def test_intervals_nest_and_bracket_mean() -> None:
    model = SpfModel(params={"const": math.log(2.0)}, k=0.3, method="nb")
    out = empirical_bayes(five_units(), model, window_years=2.0)
    assert (out["lo95"] <= out["lo80"]).all() and (out["hi80"] <= out["hi95"]).all()
    assert (out["lo80"] <= out["eb_expected"]).all() and (out["eb_expected"] <= out["hi80"]).all()


def test_fit_recovers_k_and_coefficients() -> None:
    units = world()
    model = fit_spf(units)
    assert model.method == "nb" and model.converged
    assert model.k == pytest.approx(0.5, abs=0.15)
    assert model.params["log_neighbour_crashes"] == pytest.approx(0.4, abs=0.08)
    assert model.levels["road_category"][0] in {"NH", "SH", "urban"}
    mu = predict_spf(units, model)
    assert np.corrcoef(mu, units["true_mu"])[0, 1] > 0.95
    eb = empirical_bayes(units, model)["eb_expected"].to_numpy()
    raw = (units["crashes"] / units["years"]).to_numpy()
    truth = units["true_mu"].to_numpy()
    assert np.mean((eb - truth) ** 2) < np.mean((raw - truth) ** 2)


def test_model_round_trips_through_json() -> None:
    model = fit_spf(world(800))
    again = SpfModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model


def test_absent_covariates_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    units = world(1500).drop("log_neighbour_crashes", "kind")
    model = fit_spf(units)
    assert "log_neighbour_crashes" not in model.params
    assert "absent" in caplog.text
    assert empirical_bayes(units, model).height == units.height


def test_tiny_data_falls_back_to_intercept(caplog: pytest.LogCaptureFixture) -> None:
    model = fit_spf(five_units(), min_level_units=1, min_level_crashes=0)
    assert list(model.params) == ["const"]
    assert "too few" in caplog.text
    units = five_units()
    y, t = units["crashes"].to_numpy(), units["years"].to_numpy()
    mu = math.exp(model.params["const"]) * t
    if model.method == "nb":  # the NB2 score equation for the intercept holds at the optimum
        assert np.sum((y - mu) / (1 + model.k * mu)) == pytest.approx(0.0, abs=1e-3)
    else:
        assert model.params["const"] == pytest.approx(math.log(24 / 12), abs=1e-3)


def test_no_crashes_gives_zero_expectations() -> None:
    units = five_units().with_columns(crashes=pl.lit(0))
    model = fit_spf(units)
    assert model.method == "zero"
    out = empirical_bayes(units, model)
    assert (out["eb_expected"] == 0).all() and (out["hi95"] == 0).all()


def test_nonconvergent_nb_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from roadsafety.models import empirical_bayes as eb_mod

    def broken(*_: object, **__: object) -> None:
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(eb_mod, "_fit_nb", broken)
    model = fit_spf(world(1500))
    assert model.method == "poisson_mom" and not model.converged
    assert model.k == pytest.approx(0.5, abs=0.2)
    assert "Poisson GLM" in caplog.text


def test_unseen_and_rare_levels_map_safely() -> None:
    units = world(1500).with_columns(
        road_category=pl.when(pl.col("unit_id") == "u0")
        .then(pl.lit("ODR"))
        .otherwise(pl.col("road_category"))
    )
    model = fit_spf(units)
    assert "ODR" not in model.levels["road_category"]
    new = pl.DataFrame(
        {
            "unit_id": ["z"],
            "crashes": [0],
            "years": [1.0],
            "road_category": ["expressway"],
            "kind": ["h3"],
            "log_neighbour_crashes": [None],
        },
        schema_overrides={"log_neighbour_crashes": pl.Float64},
    )
    assert np.isfinite(predict_spf(new, model)).all()


def test_missing_required_column_raises() -> None:
    with pytest.raises(ValueError, match="years"):
        fit_spf(five_units().drop("years"))


@pytest.mark.realdata
@pytest.mark.slow
def test_baac_cells_eb_ranks_at_least_as_well_as_counts(real_data) -> None:
    """BAAC H3 cells: 2012-2014 history, 2015-2016 crashes (validation years, never the test years)."""
    import h3
    from worlds import baac_located

    crashes = baac_located(real_data).select(
        "road_category", "unit_id", year=pl.col("occurred_at").str.slice(0, 4).cast(pl.Int32)
    )
    train = crashes.filter(pl.col("year").is_between(2012, 2014))
    units = train.group_by("unit_id").agg(
        pl.len().alias("crashes"), pl.col("road_category").mode().first()
    )
    seen = dict(zip(units["unit_id"], units["crashes"]))
    ring = [sum(seen.get(c, 0) for c in h3.grid_disk(u, 1) if c != u) for u in units["unit_id"]]
    units = units.with_columns(years=pl.lit(3.0), log_neighbour_crashes=pl.Series(np.log1p(ring)))
    model = fit_spf(units)
    assert model.method == "nb" and 0 < model.k < 5
    future = crashes.filter(pl.col("year").is_between(2015, 2016)).group_by("unit_id").len("actual")
    scored = (
        empirical_bayes(units, model, window_years=2.0)
        .join(units, on="unit_id")
        .join(future, on="unit_id", how="left")
        .with_columns(pl.col("actual").fill_null(0))
    )
    hits = {
        col: scored.sort([col, "unit_id"], descending=True).head(100)["actual"].sum()
        for col in ("eb_expected", "crashes")
    }
    assert hits["eb_expected"] >= 0.97 * hits["crashes"]


def test_non_finite_covariates_are_filled() -> None:
    units = world(1500).with_columns(
        log_neighbour_crashes=pl.when(pl.col("unit_id").is_in(["u1", "u2"]))
        .then(float("inf"))
        .when(pl.col("unit_id") == "u3")
        .then(float("nan"))
        .otherwise(pl.col("log_neighbour_crashes"))
    )
    model = fit_spf(units)
    assert model.method == "nb" and math.isfinite(model.fill["log_neighbour_crashes"])
    assert np.isfinite(empirical_bayes(units, model)["eb_expected"].to_numpy()).all()


def test_zero_crash_units_in_a_pooled_level_still_fit_nb() -> None:
    """Many zero-crash units pooled with a rare level into 'other' (coefficient near -4.6) made
    joint Newton ML return NaN; the profile-likelihood fit converges to sane values."""
    units = world(2000)
    zeros = units.head(1500).with_columns(
        unit_id=pl.format("z{}", pl.col("unit_id")),
        crashes=pl.lit(0, pl.Int64),
        road_category=pl.lit(None, pl.Utf8),
    )
    rare = units.slice(1500, 10).with_columns(
        unit_id=pl.format("r{}", pl.col("unit_id")),
        crashes=pl.lit(1, pl.Int64),
        road_category=pl.lit("ODR"),
    )
    model = fit_spf(pl.concat([units, zeros, rare]), min_level_units=50)
    assert model.method == "nb" and model.converged
    assert "road_category=other" in model.params and model.params["road_category=other"] < -3
    assert 0.3 < model.k < 0.8  # the world's k is 0.5
    assert all(abs(v) < 25 for v in model.params.values())

"""Model registry, backtest metrics and forecasts (the contract read by exports and the app).

Forecast runs are published by id: readers look up the run they want in ``forecast_runs`` (status
``complete``) and read only that run's rows, so a run being written is never visible half-done.
"""

VERSION = 2
NAME = "models_and_forecasts"


def statements() -> list[str]:
    """DDL for the registry, metrics and forecast tables."""
    return [
        """CREATE TABLE IF NOT EXISTS model_versions (
            version_id VARCHAR PRIMARY KEY,   -- e.g. 'v20261128T220501'
            created_at TIMESTAMP,
            as_of DATE,                       -- data cut-off: trained on records strictly before it
            status VARCHAR,                   -- candidate | champion | retired | rejected | failed
            score DOUBLE,                     -- the promotion score (higher is better)
            params VARCHAR,                   -- JSON
            metrics VARCHAR,                  -- JSON summary
            artifact_dir VARCHAR,
            promoted_at TIMESTAMP,
            message VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS champion (
            slot VARCHAR PRIMARY KEY,         -- 'default'
            version_id VARCHAR,
            promoted_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS backtest_metrics (
            version_id VARCHAR,
            model VARCHAR,                    -- lightgbm | empirical_bayes | naive_1y | naive_3y | seasonal_naive | morth_rule | ...
            fold INTEGER,
            fold_start DATE,
            fold_end DATE,
            level VARCHAR,                    -- unit | unit_window
            metric VARCHAR,                   -- hit_rate | pai | pei_star | poisson_deviance | mae | coverage80 | coverage95
            k VARCHAR,                        -- top1pct | top5pct | budget100 | '' (for metrics without a cut-off)
            value DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS forecast_runs (
            run_id VARCHAR PRIMARY KEY,
            version_id VARCHAR,
            created_at TIMESTAMP,
            window_start DATE,                -- first day covered
            window_end DATE,                  -- last day covered (inclusive)
            status VARCHAR,                   -- complete | failed
            n_units BIGINT,
            data_cutoff DATE)""",
        """CREATE TABLE IF NOT EXISTS forecasts (
            run_id VARCHAR,
            unit_id VARCHAR,
            window_start DATE,
            window_end DATE,
            expected_crashes DOUBLE,
            expected_fatal_grievous DOUBLE,
            crashes_lo80 DOUBLE, crashes_hi80 DOUBLE,
            crashes_lo95 DOUBLE, crashes_hi95 DOUBLE,
            eb_expected DOUBLE,               -- Empirical Bayes estimate for the window
            risk_band VARCHAR,                -- very_high | high | medium | low
            rank INTEGER,                     -- 1 = highest expected_fatal_grievous + crashes score
            peak_window VARCHAR,              -- DESIGN.md format, e.g. 'Fri-Sun 22:00-02:00'
            top_factors VARCHAR,              -- readable factors separated by '; '
            morth_blackspot BOOLEAN,          -- meets the MoRTH 3-year rule at the cut-off
            recent_challans BIGINT,           -- challans in the unit in the 90 days before cut-off
            PRIMARY KEY (run_id, unit_id))""",
        """CREATE TABLE IF NOT EXISTS period_forecasts (
            run_id VARCHAR,
            district VARCHAR,                 -- '(all)' for the whole region
            period_start DATE,                -- week start (Monday)
            period_end DATE,
            expected DOUBLE,
            lo80 DOUBLE, hi80 DOUBLE, lo95 DOUBLE, hi95 DOUBLE,
            high_risk BOOLEAN,
            drivers VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS unit_hour_profile (
            run_id VARCHAR,
            unit_id VARCHAR,
            dow INTEGER,                      -- 0 = Monday
            hour INTEGER,
            share DOUBLE)""",
    ]

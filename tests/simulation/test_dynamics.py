"""forecast.dynamics recovers known levels, AR(1) persistence, shocks and transitions from
constructed panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.dynamics import HOUSEHOLD_TYPES, estimate_dynamics, observed_deviations


def constructed_panel(n=4000, years=range(2010, 2022), drift=0.10, rho=0.6, sigma=0.2, seed=0):
    """Wage = 10,000 x exp(drift t + e), e an AR(1); other sources constant; one type."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, sigma / np.sqrt(1 - rho**2), n)
    rows = []
    for t, year in enumerate(years):
        if t:
            e = rho * e + rng.normal(0, sigma, n)
        wage = 10_000 * np.exp(drift * t + e - 0.5 * sigma**2 / (1 - rho**2))
        rows.append(
            pd.DataFrame(
                {
                    "household_id": [f"h{i}" for i in range(n)],
                    "year": year,
                    "labour_force": 2,
                    "monitored": False,
                    "weight": 1.0,
                    "wage_income": wage,
                    "operating_income": 3000.0,
                    "property_income": 100.0,
                    "transfer_income": 1000.0,
                    "shock_illness": rng.random(n) < 0.05,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_recovers_drift_persistence_and_innovation_sd():
    fitted = estimate_dynamics(constructed_panel())
    row = fitted.table.loc[("multi_labour/alleviated", "wage")]
    assert row["drift"] == pytest.approx(0.10, abs=0.01)
    assert row["rho"] == pytest.approx(0.6, abs=0.03)
    assert row["sigma"] == pytest.approx(0.2, abs=0.01)
    assert fitted.table.loc[("multi_labour/alleviated", "operating"), "drift"] == pytest.approx(0)
    assert fitted.shock_rates["illness"] == pytest.approx(0.05, abs=0.01)
    assert np.isnan(fitted.shock_rates["disaster"])
    arrays = fitted.arrays()
    assert arrays["drift"].shape == (len(HOUSEHOLD_TYPES), 4)


def test_as_of_ignores_later_years():
    panel = constructed_panel(n=500)
    early = estimate_dynamics(panel, as_of=2015)
    assert early.years == (2010, 2015)
    with pytest.raises(ValueError, match="two panel years"):
        estimate_dynamics(panel, as_of=2010)


def test_households_switching_type_do_not_count_as_growth():
    """Constant incomes; each year the richest monitored households leave monitoring. The
    types' mean incomes move, but no household's income grows: the drift must be zero."""
    n, years = 2000, range(2016, 2023)
    wage = np.linspace(2_000, 20_000, n)
    monitored = wage < 12_000
    rows = []
    for year in years:
        rows.append(
            pd.DataFrame(
                {
                    "household_id": [f"h{i}" for i in range(n)],
                    "year": year,
                    "labour_force": 1,
                    "monitored": monitored.copy(),
                    "weight": 1.0,
                    "wage_income": wage,
                    "operating_income": 1000.0,
                    "property_income": 100.0,
                    "transfer_income": 500.0,
                }
            )
        )
        richest = np.flatnonzero(monitored)[-n // 20 :]
        monitored[richest] = False  # graduates keep their income
    fitted = estimate_dynamics(pd.concat(rows, ignore_index=True))
    for kind in ("one_labour/alleviated", "one_labour/monitored"):
        assert fitted.table.loc[(kind, "wage"), "drift"] == pytest.approx(0, abs=1e-12)


def levels_panel(n=6000, years=range(2016, 2023), level_sd=0.55, rho=0.5, sigma=0.2, seed=1):
    """Wage = 10,000 x exp(level + x), x an AR(1) around the household's level; an illness
    (5 % a year) costs 0.4 log points of wage in its year, half of it still the year after."""
    rng = np.random.default_rng(seed)
    level = rng.normal(0, level_sd, n)
    x = rng.normal(0, sigma / np.sqrt(1 - rho**2), n)
    ill_before = np.zeros(n, dtype=bool)
    rows, xs = [], []
    for t, year in enumerate(years):
        if t:
            x = rho * x + rng.normal(0, sigma, n)
        ill = rng.random(n) < 0.05
        loss = -0.4 * ill - 0.2 * (ill_before & ~ill)
        xs.append(x.copy())
        rows.append(
            pd.DataFrame(
                {
                    "household_id": [f"h{i:05d}" for i in range(n)],
                    "year": year,
                    "labour_force": 1,
                    "monitored": False,
                    "weight": 1.0,
                    "wage_income": 10_000 * np.exp(level + x + loss),
                    "operating_income": 2000.0,
                    "property_income": 100.0,
                    "transfer_income": 1000.0,
                    "shock_illness": ill,
                    "shock_disaster": False,
                }
            )
        )
        ill_before = ill
    return pd.concat(rows, ignore_index=True), level, np.array(xs)


@pytest.fixture(scope="module")
def with_levels():
    return levels_panel()


def test_levels_are_told_apart_from_the_ar1(with_levels):
    """A permanent level plus an AR(1): the fit finds the level variance and the AR(1)'s own
    persistence, not the near-unit persistence of deviations from the year's mean."""
    panel, _, _ = with_levels
    fitted = estimate_dynamics(panel)
    row = fitted.table.loc[("one_labour/alleviated", "wage")]
    assert row["basis"] == "type"
    assert row["level_var"] == pytest.approx(0.55**2, rel=0.1)
    assert row["rho"] == pytest.approx(0.5, abs=0.08)
    assert row["sigma"] == pytest.approx(0.2, abs=0.02)
    assert row["deviation_var"] == pytest.approx(0.2**2 / (1 - 0.5**2), rel=0.2)


def test_the_observed_deviation_is_the_as_of_year_against_the_households_own_level(with_levels):
    panel, level, xs = with_levels
    fitted = estimate_dynamics(panel)
    ids = panel.loc[panel["year"] == 2022, "household_id"].to_numpy()
    deviation, correction = observed_deviations(panel, fitted, 2022, ids)
    wage = deviation[0]
    calm = ~panel.loc[panel["year"] == 2022, "shock_illness"].to_numpy(dtype=bool)
    truth = xs[-1]
    # It tracks the true deviation (the level is predicted from six other years, shrunk).
    assert np.corrcoef(wage[calm], truth[calm])[0, 1] > 0.8
    # And it is not the deviation from the year's mean, which is mostly the level.
    from_mean = np.log(panel.loc[panel["year"] == 2022, "wage_income"].to_numpy())
    from_mean = from_mean - from_mean[calm].mean()
    assert np.corrcoef(from_mean[calm], truth[calm])[0, 1] < 0.6
    # A shock in the as-of year is in the deviation.
    assert wage[~calm].mean() < wage[calm].mean() - 0.3
    # The correction g(R): zero once the deviations have faded (R = 0); with all of them
    # there (R = 1), about log E[exp(x)] (level-weighted), what fading them would take away.
    assert correction[0, 0] == pytest.approx(0.0, abs=1e-12)
    assert correction[0, -1] == pytest.approx(np.log(np.mean(np.exp(wage[calm]))), abs=0.02)
    assert correction[0, -1] > 0
    np.testing.assert_allclose(correction[1:], 0.0, atol=1e-12)  # constant sources


def test_shock_recovery_is_the_share_of_the_effect_gone_a_year_later(with_levels):
    panel, _, _ = with_levels
    fitted = estimate_dynamics(panel)
    assert fitted.shock_effects.loc["illness", "wage"] == pytest.approx(-0.4, abs=0.05)
    # Half the loss is still there the year after: half of it recovered.
    assert fitted.shock_recovery.loc["illness", "wage"] == pytest.approx(0.5, abs=0.1)
    assert np.isnan(fitted.shock_recovery.loc["disaster", "operating"])


def test_transitions_fall_back_to_pooled_rows_then_to_no_change():
    """Monitored households too few for a row of their own take their labour group's row over
    both statuses; a group seen too rarely stays where it is (a stated assumption)."""
    n, rng = 3000, np.random.default_rng(2)
    labour = rng.choice([1, 2], n)
    monitored = np.arange(n) < 10  # ten monitored households
    rows = []
    for year in range(2019, 2023):
        if year > 2019:
            drop = rng.random(n) < 0.2
            labour = np.where(drop & (labour == 2), 1, labour)
        rows.append(
            pd.DataFrame(
                {
                    "household_id": [f"h{i:05d}" for i in range(n)],
                    "year": year,
                    "labour_force": labour,
                    "monitored": monitored,
                    "weight": 1.0,
                    "wage_income": 5000.0 * labour,
                    "operating_income": 1000.0,
                    "property_income": 100.0,
                    "transfer_income": 500.0,
                }
            )
        )
    fitted = estimate_dynamics(pd.concat(rows, ignore_index=True))
    basis = fitted.transition_pairs["basis"]
    assert basis["multi_labour/alleviated"] == "type"
    assert basis["multi_labour/monitored"] == "pooled over monitoring"
    assert basis["no_labour/alleviated"] == "assumed: no change"
    matrix = fitted.labour_transitions
    assert matrix.loc["multi_labour/alleviated", "one_labour"] == pytest.approx(0.2, abs=0.03)
    pd.testing.assert_series_equal(
        matrix.loc["multi_labour/monitored"],
        matrix.loc[["multi_labour/alleviated", "multi_labour/monitored"]].mean(),
        check_names=False,
        atol=0.02,
    )
    assert matrix.loc["no_labour/alleviated"].tolist() == [1.0, 0.0, 0.0]
    np.testing.assert_allclose(fitted.transition_matrix().sum(axis=1), 1.0)

"""forecast.dynamics recovers known drift and AR(1) persistence from a constructed panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.dynamics import HOUSEHOLD_TYPES, estimate_dynamics


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

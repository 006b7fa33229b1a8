"""Risk targeting with the risk package's model, scored over the simulated households."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import simulate
from simulation.model import Province
from simulation.risk import PanelRiskScorer


@pytest.fixture(scope="module")
def scorer(synthetic_panel):
    from forecast.risk import train_risk_model

    model, _ = train_risk_model(synthetic_panel, compare=False)
    return PanelRiskScorer(model, synthetic_panel, as_of=2022)


def test_scorer_gives_a_probability_per_household_in_population_order(scorer, population):
    state = {
        "weight": population.weight,
        "monitored": population.monitored,
        "year": 2023,
        "annual_history": {},
    }
    p = scorer(state)
    assert p.shape == (population.size,)
    assert ((p >= 0) & (p <= 1)).all()
    # Poorer households score higher on average.
    poor = population.income_per_capita() < np.quantile(population.income_per_capita(), 0.2)
    assert p[poor].mean() > p[~poor].mean()


def test_risk_targeting_runs_over_two_years_and_changes_who_is_enrolled(
    scorer, action_plan, population
):
    by_risk = Province(action_plan, population, seed=5, targeting="risk", risk_scorer=scorer)
    by_income = Province(action_plan, population, seed=5)
    risk_enrolled = by_risk.monitoring.enrol(2023)
    income_enrolled = by_income.monitoring.enrol(2023)
    assert risk_enrolled.any() and not np.array_equal(risk_enrolled, income_enrolled)
    result = simulate(
        action_plan, population, seed=5, targeting="risk", risk_scorer=scorer, months=13
    )
    assert list(result.annual.index) == [2023, 2024]  # the 2024 enrolment scored 2023's history

"""The vectorised model and the per-household reference model give the same distribution."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from simulation import Population, load_scenario
from simulation.households import VectorisedHouseholds
from simulation.model import Province
from simulation.reference import ReferenceHouseholds


@pytest.fixture(scope="module")
def baseline_without_shocks():
    """The baseline without levers and without new household shocks."""
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml")
    shocks = dict(scenario.shocks)
    for key in ("illness_rate", "disaster_rate"):
        shocks[key] = dataclasses.replace(shocks[key], value=0.0)
    return dataclasses.replace(scenario, measures=(), shocks=shocks)


def test_vectorised_and_reference_models_agree(action_plan, population):
    outcomes = {}
    for backend in (VectorisedHouseholds, ReferenceHouseholds):
        model = Province(
            action_plan, population, seed=21, draw_parameters=False, months=12, households=backend
        )
        model.run()
        outcomes[backend.__name__] = model.household_income_per_capita
    fast, slow = outcomes["VectorisedHouseholds"], outcomes["ReferenceHouseholds"]
    # Different random draws, same rules: the same distribution within sampling error.
    standard_error = np.sqrt(fast.var() / len(fast) + slow.var() / len(slow))
    assert abs(fast.mean() - slow.mean()) < 4 * standard_error
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        a, b = np.quantile(fast, q), np.quantile(slow, q)
        assert abs(a - b) / b < 0.04, q
    assert stats.ks_2samp(fast, slow).pvalue > 0.001
    # And not trivially so: the draws differ household by household.
    assert not np.allclose(fast, slow)


def test_both_backends_move_types_and_recover_shocks_alike(baseline_without_shocks):
    """Households that change labour group (a constructed panel with known rates) and carry
    as-of deviations: the same transition and deviation rules in both backends."""
    from test_household_states import labour_panel

    population = Population.from_panel(labour_panel(n=1500), as_of=2022)
    groups, incomes = {}, {}
    for backend in (VectorisedHouseholds, ReferenceHouseholds):
        model = Province(
            baseline_without_shocks,
            population,
            seed=5,
            draw_parameters=False,
            months=13,
            trend=np.array([0.05, 0.05]),
            households=backend,
        )
        model.run()
        groups[backend.__name__] = np.clip(model.household_state()["labour_force"], 0, 2)
        incomes[backend.__name__] = model.household_income_per_capita
    fast, slow = groups["VectorisedHouseholds"], groups["ReferenceHouseholds"]
    start = np.clip(population.labour_force, 0, 2)
    assert (fast != start).mean() > 0.05 and (slow != start).mean() > 0.05
    for g in range(3):
        a, b = np.mean(fast == g), np.mean(slow == g)
        error = np.sqrt(2 * a * (1 - a) / len(fast))
        assert abs(a - b) < 4 * error + 1e-9, g
    # Both draw the transitions stream in household order, so the moves are the same but
    # where enrolment (which reads incomes, drawn differently) gave a different row.
    assert np.mean(fast == slow) > 0.95
    assert stats.ks_2samp(*incomes.values()).pvalue > 0.001

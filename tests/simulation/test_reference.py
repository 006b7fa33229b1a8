"""The vectorised model and the per-household reference model give the same distribution."""

from __future__ import annotations

import numpy as np
from scipy import stats

from simulation.households import VectorisedHouseholds
from simulation.model import Province
from simulation.reference import ReferenceHouseholds


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

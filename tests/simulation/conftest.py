"""Small populations for the simulation tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="session")
def population(synthetic_panel):
    """3,000 households as of 2022 (the shared synthetic panel fixture)."""
    from simulation import Population

    return Population.from_panel(synthetic_panel, as_of=2022)


@pytest.fixture(scope="session")
def population_2021(synthetic_panel):
    """The same households as of 2021 (dynamics fitted on 2016-2021 only)."""
    from simulation import Population

    return Population.from_panel(synthetic_panel, as_of=2021)


@pytest.fixture(scope="session")
def action_plan():
    from simulation import load_scenario

    return load_scenario(SCENARIOS / "action_plan.yaml")

"""Agent-based simulation (Mesa) of the action plan: households, villages, counties, measures.

>>> from simulation import load_scenario, Population, simulate   # doctest: +SKIP
>>> result = simulate(load_scenario("scenarios/action_plan.yaml"), population, seed=1)
"""

from simulation.population import Population
from simulation.results import ReplicationResult
from simulation.run import simulate
from simulation.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "Population",
    "ReplicationResult",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "simulate",
]

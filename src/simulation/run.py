"""``simulate``: one replication of a scenario over a population."""

from __future__ import annotations

from simulation.in_force import household_trend
from simulation.model import Province, RiskScorer
from simulation.population import Population
from simulation.results import ReplicationResult
from simulation.scenario import Scenario


def simulate(
    scenario: Scenario,
    population: Population,
    seed: int,
    draw_parameters: bool = True,
    targeting: str | None = None,
    risk_scorer: RiskScorer | None = None,
    months: int | None = None,
    trend=None,
) -> ReplicationResult:
    """Run one replication of ``scenario`` with the vectorised model.

    Parameters
    ----------
    scenario : Scenario
        From :func:`simulation.load_scenario`.
    population : Population
        From :meth:`Population.from_panel`; not modified.
    seed : int
        Every random stream (dynamics, shocks, each lever's allocation, parameter draws)
        derives from it by name: the same seed gives the same result, and scenarios run with
        the same seed share the draws of their common parts.
    draw_parameters : bool
        Draw effect sizes within their ranges (recorded in ``result.parameters``) or use
        central values.
    targeting : {"income", "risk"}, optional
        Who the monitoring system enrols: the lowest incomes (status quo) or the highest
        scores of ``risk_scorer``. Default: the scenario's ``monitoring.targeting``.
    risk_scorer : callable, optional
        ``risk_scorer(state_arrays) -> probabilities`` over the household arrays.
    months : int, optional
        Months to simulate (default: to the end of the scenario's last year).
    trend : sequence of float, optional
        The households' own yearly log growth for each simulated year (a Monte Carlo
        replication's, from :func:`simulation.in_force.household_trend`); default: the macro
        layer's expected path less what the measures in force add.

    Returns
    -------
    ReplicationResult
    """
    if trend is None:
        trend = household_trend(population, scenario)
    model = Province(
        scenario,
        population,
        seed=seed,
        draw_parameters=draw_parameters,
        targeting=targeting,
        risk_scorer=risk_scorer,
        months=months,
        trend=trend,
    )
    return model.run()

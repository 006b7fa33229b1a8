"""What one replication of the simulation returns: the contract between the model
(``simulation.model``) and the Monte Carlo layer (``simulation.montecarlo``).

Fields may be added; none is removed or renamed without changing both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class ReplicationResult:
    """Outcome of one simulated path of the province.

    Attributes
    ----------
    scenario : str
        Scenario name.
    seed : int
        Seed of the replication (its generator derives every random stream from it).
    as_of : int
        Last observed year; the simulation runs from January of ``as_of + 1``.
    annual : pandas.DataFrame
        Indexed by simulated ``year``. Columns (yuan per person per year, means weighted by
        ``weight * members``): ``net_income_per_capita``, ``wage``, ``operating``,
        ``property``, ``transfer``; ``line_yuan`` (monitoring line used that year);
        ``share_people_under_line``; ``households_newly_under_line`` (weighted count);
        ``share_newly_under_detected`` and ``mean_detection_delay_months`` (of those newly
        under the line, how many the monitoring system found and how fast);
        ``share_villages_collective_goal`` (share of villages whose collective income meets
        the plan's minimum at the year's start); ``households_link_struck`` and
        ``households_link_broken`` (weighted households whose link to a market entity was
        struck or broke; :mod:`simulation.institutions`).
    monthly : pandas.DataFrame
        Indexed by ``month`` (``pandas.Period``, freq "M"). Per-capita income of that month
        by source, in yuan per person per month: ``wage``, ``operating``, ``property``,
        ``transfer``, ``net_income_per_capita``.
    cost : pandas.DataFrame
        Long table with ``measure``, ``year``, ``cost_yuan`` (public spending on the measure).
    reach : pandas.DataFrame
        Long table with ``measure``, ``year``, ``households`` (weighted households granted
        the lever's effects, after take-up) and, for every lever, ``unit`` (what its scale
        counts: households, villages or yuan), ``asked`` (its scale that year in that unit),
        ``available`` (what its eligible pool held), ``reached`` (what it reached before
        take-up), ``refused_capacity`` and ``refused_budget`` (what counties refused for want
        of places or funds) and ``shortfall`` (why ``reached`` falls short of ``asked``, or
        empty).
    parameters : dict of str to float
        Parameter values drawn for this replication (effect sizes within their ranges), so
        that every figure can be traced back.
    counties : pandas.DataFrame, optional
        One row per simulated year and county: ``year``, ``county`` (code), ``key_county``,
        ``people``, ``net_income_per_capita``, ``share_people_under_line``,
        ``households_reached`` (weighted households reached by any lever) and ``cost_yuan``
        (the county's share of public spending); with county budgets ``funds_yuan``,
        ``budget_spent_yuan`` (on the levers counties pay), ``unspent_yuan`` and
        ``unfunded_yuan`` (what its levers asked but its funds could not pay; NaN without
        budgets).
    """

    scenario: str
    seed: int
    as_of: int
    annual: pd.DataFrame
    monthly: pd.DataFrame
    cost: pd.DataFrame
    reach: pd.DataFrame
    parameters: dict[str, float] = field(default_factory=dict)
    counties: pd.DataFrame | None = None

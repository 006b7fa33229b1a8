"""Which measures carry the gain, and through which income source: Shapley values over
measures, estimated by permutation sampling with common random numbers.

Why Shapley and not leave-one-out
---------------------------------
Measures interact: several reach the same households (training and workshops raise the same
wage), the monitoring system and one-to-one assistance (一对一帮扶) stop helping a household once
another measure has lifted it above the line, and effects on a capped source saturate.
Leave-one-out then credits each measure only with what nobody else would have done, and the
parts do not add up to the gain of the whole plan (under substitution they sum to less, under
complementarity to more). The Shapley value averages each measure's marginal contribution over
every order in which the measures could have been switched on, so the parts add up exactly
to the plan's gain over "all its measures off", whatever the interactions.

Exact Shapley values need all 2**M subsets (4,096 simulations for twelve measures). One random
order per replication costs M simulations on top of the full run -- the same as
leave-one-out -- and is an unbiased estimate of the Shapley value (Castro, Gomez and Tejada,
2009); averaging over replications averages over orders *and* over parameter draws and shocks.
Every simulation of a replication uses the replication's seed, so the draws are common random
numbers: a marginal contribution is a paired difference, free of the between-replication noise
that would otherwise swamp it. Within each replication the contributions add up to the gain
exactly (efficiency), for every year and every income source.

The spread of the per-replication contributions mixes the uncertainty of the parameters and
shocks with the sampling of orders; the reported bands are therefore conservative, and the
standard error of the mean says how precisely the Shapley value itself is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulation.rules import SOURCES

#: Income columns of ``ReplicationResult.annual``: the total and its four sources.
INCOME_COLUMNS: tuple[str, ...] = ("net_income_per_capita", *SOURCES)

# Stream tag that separates the attribution's order draw from the simulation's own streams.
_ORDER_STREAM = 0xA77B


def measure_order(seed: int, measures: Sequence[str]) -> list[str]:
    """Return the random order in which a replication switches its measures on."""
    rng = np.random.default_rng([seed, _ORDER_STREAM])
    return [measures[i] for i in rng.permutation(len(measures))]


def shapley_contributions(
    scenario: Any,
    population: Any,
    seed: int,
    full: Any,
    simulate: Any,
    draw_parameters: bool = True,
) -> pd.DataFrame:
    """Marginal contributions of each measure along one random order, for one replication.

    Parameters
    ----------
    scenario : simulation.Scenario
        The scenario whose measures are attributed.
    population : simulation.Population
        The starting population.
    seed : int
        The replication's seed; every simulation here uses it (common random numbers).
    full : simulation.results.ReplicationResult
        The replication's result with every measure on (reused, not rerun).
    simulate : callable
        ``simulation.simulate``.
    draw_parameters : bool
        Passed to ``simulate``.

    Returns
    -------
    pandas.DataFrame
        Long table: ``measure`` (``"(none)"`` for the all-off counterfactual), ``year``,
        ``column`` (one of :data:`INCOME_COLUMNS`), ``value`` (yuan per person per year). The
        rows of the counterfactual hold its level; the rows of each measure its marginal
        contribution, so that counterfactual + contributions = full, year by year.
    """
    order = measure_order(seed, list(scenario.measures))
    columns = list(INCOME_COLUMNS)
    previous = simulate(
        scenario.without(*order), population, seed=seed, draw_parameters=draw_parameters
    ).annual[columns]
    pieces = [_long(previous, "(none)")]
    for k, measure in enumerate(order):
        if k == len(order) - 1:
            current = full.annual[columns]
        else:
            current = simulate(
                scenario.without(*order[k + 1 :]),
                population,
                seed=seed,
                draw_parameters=draw_parameters,
            ).annual[columns]
        pieces.append(_long(current - previous, measure))
        previous = current
    return pd.concat(pieces, ignore_index=True)


def _long(annual: pd.DataFrame, measure: str) -> pd.DataFrame:
    frame = annual.rename_axis("year").reset_index()
    frame = frame.melt(id_vars="year", var_name="column", value_name="value")
    frame.insert(0, "measure", measure)
    return frame


def summarise_attribution(
    contributions: pd.DataFrame,
    year: int,
    cost: pd.DataFrame | None = None,
    people: float | None = None,
) -> pd.DataFrame:
    """Attribution table for one year: each measure's share of the gain, with uncertainty.

    Parameters
    ----------
    contributions : pandas.DataFrame
        Concatenated :func:`shapley_contributions` of several replications, with a
        ``replication`` column.
    year : int
        Year whose per-capita income is attributed (the target year).
    cost : pandas.DataFrame, optional
        ``replication``, ``measure``, ``year``, ``cost_yuan`` of the same replications, to
        compute income gained per yuan (over all simulated years).
    people : float, optional
        People represented by the population (sum of weight x members), to turn per-capita
        gains into yuan.

    Returns
    -------
    pandas.DataFrame
        One row per measure (sorted by mean contribution, the total last): ``mean``,
        ``std_error``, ``lower_80``, ``upper_80``, ``lower_95``, ``upper_95`` (yuan per person
        in ``year``), ``share_of_gain``, one column per income source (mean yuan per person),
        and ``gain_per_yuan`` when ``cost`` and ``people`` are given.
    """
    measures = contributions[contributions["measure"] != "(none)"]
    in_year = measures[measures["year"] == year]
    total = in_year[in_year["column"] == "net_income_per_capita"].pivot_table(
        index="replication", columns="measure", values="value", aggfunc="sum"
    )
    total["total"] = total.sum(axis=1)
    table = band_table(total).set_index("name")
    table["share_of_gain"] = table["mean"] / table.loc["total", "mean"]
    by_source = in_year[in_year["column"] != "net_income_per_capita"].pivot_table(
        index="measure", columns="column", values="value", aggfunc="mean"
    )
    by_source.loc["total"] = by_source.sum()
    table = table.join(by_source.reindex(columns=list(SOURCES)))
    if cost is not None and people is not None:
        table["gain_per_yuan"] = gain_per_yuan(measures, cost, people)
    order = table.drop(index="total").sort_values("mean", ascending=False).index
    return table.loc[[*order, "total"]].rename_axis("measure")


def gain_per_yuan(contributions: pd.DataFrame, cost: pd.DataFrame, people: float) -> pd.Series:
    """Income gained per yuan spent, by measure, over all simulated years.

    Gains are summed over the years and replications of ``contributions`` and divided by the
    cost of the same measures in the same replications; a measure without cost gets NaN.
    """
    gained = (
        contributions[contributions["column"] == "net_income_per_capita"]
        .groupby("measure")["value"]
        .sum()
        * people
    )
    replications = contributions["replication"].unique()
    spent = cost[cost["replication"].isin(replications)].groupby("measure")["cost_yuan"].sum()
    spent = spent.reindex(gained.index)
    ratio = gained / spent.where(spent > 0)
    ratio["total"] = gained.sum() / spent.sum() if spent.sum() > 0 else np.nan
    return ratio


def band_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard error and 80 %/95 % bands of each column of a replications x items frame."""
    values = samples.to_numpy(dtype=float)
    n = np.isfinite(values).sum(axis=0)
    quantiles = np.nanquantile(values, [0.025, 0.1, 0.9, 0.975], axis=0)
    return pd.DataFrame(
        {
            "name": samples.columns,
            "mean": np.nanmean(values, axis=0),
            "std_error": np.nanstd(values, axis=0, ddof=1) / np.sqrt(n)
            if len(values) > 1
            else np.nan,
            "lower_95": quantiles[0],
            "lower_80": quantiles[1],
            "upper_80": quantiles[2],
            "upper_95": quantiles[3],
        }
    )


def source_composition(annual: pd.DataFrame) -> pd.DataFrame:
    """Mean per-capita income by source and year over replications, with each source's share.

    ``annual`` is the concatenation of the replications' annual tables with a ``year`` column.
    """
    means = annual.groupby("year")[list(INCOME_COLUMNS)].mean()
    shares = means[list(SOURCES)].div(means["net_income_per_capita"], axis=0)
    return means.join(shares.add_suffix("_share"))

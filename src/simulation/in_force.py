"""The measures in force: part of the macro layer's trend, not added on top of it.

The macro layer's Yunnan path (:mod:`simulation.trend`) is fitted on published growth that
already contains the measures in force (the plan started in 2022, and its 2022 scale is in the
2022 figures). Adding those measures on top of it would count them twice. So the households'
own trend is the macro path less what the policies in force add to it:

    u[t] = m[t] - (c[t] - c[t-1]),   c[t] = log(B[t] / B[0]) - (m[1] + ... + m[t])

where ``B[t]`` is the population's mean per-capita income in year ``t`` (``B[0]``: the as-of
year) in one run of the scenario folder's ``baseline.yaml`` (the measures of the as-of year
continued at their scale) on the macro path ``m`` itself (central effects, one seed). ``c``
is what the run adds to the path: the measures in force, and what the household rules add on
their own (households hit by a shock in the as-of year recover). With ``u`` the baseline
follows the macro path; ``no_measures.yaml`` is the counterfactual without any measure, and
the action plan and its variants add only what they do beyond the measures in force. A
folder without ``baseline.yaml`` has no measures in force (``c = 0``).
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simulation.model import Province
from simulation.population import Population
from simulation.scenario import Scenario, load_scenario
from simulation.trend import expected_trend

IN_FORCE_FILE = "baseline.yaml"
SEED = 0  # one fixed replication: the contribution is a ratio of two means, not a draw
# Above this many households the two runs use a fixed random subsample of this size: the
# contribution is a ratio of per-capita means, which 100,000 households pin down to well under
# a tenth of a per cent (the whole province would take two full runs for it).
SUBSAMPLE = 100_000

# Two runs per population and scenario folder, kept while the population lives.
_cache: dict[int, tuple[weakref.ref, dict[tuple, np.ndarray]]] = {}


def reference_file(scenario: Scenario) -> Path | None:
    """The scenario of the policies in force beside the scenario's catalogue, if any (so a
    scenario written elsewhere on a shipped base, such as an optimisation's recommended mix,
    keeps the same measures in force)."""
    path = Path(scenario.catalogue_path or scenario.path).parent / IN_FORCE_FILE
    return path if path.exists() else None


def in_force_contribution(population: Population, scenario: Scenario, last_year: int) -> np.ndarray:
    """``c[t]`` for each year ``as_of + 1 .. last_year``: the log of the policies in force's
    mean income over the macro path's (zeros without a baseline file)."""
    path = reference_file(scenario)
    years = max(last_year - population.as_of, 0)
    if path is None or years == 0 or population.as_of + 1 < scenario.years[0]:
        return np.zeros(years)  # no measures in force, or a run the model will refuse
    key = (str(path.resolve()), last_year)
    entry = _cache.get(id(population))
    if entry is None or entry[0]() is not population:
        entry = (weakref.ref(population), {})
        _cache[id(population)] = entry
    if key not in entry[1]:
        trend = expected_trend(population.as_of, last_year)
        sample = subsample(population, SUBSAMPLE)
        run = Province(load_scenario(path), sample, seed=SEED, draw_parameters=False, trend=trend)
        means = run.run().annual["net_income_per_capita"].to_numpy()[:years]
        entry[1][key] = np.log(means / sample.mean_income_per_capita()) - np.cumsum(trend)
    return entry[1][key]


def subsample(population: Population, size: int) -> Population:
    """A fixed random subsample of ``size`` households (weights scaled up to the same total),
    or the population itself when it is not larger."""
    n = population.size
    if n <= size:
        return population
    keep = np.sort(np.random.default_rng(SEED).choice(n, size, replace=False))
    values = {}
    for item in dataclasses.fields(population):
        value = getattr(population, item.name)
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == n:
            value = value[:, keep]  # (sources, households)
        elif isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            value = value[keep]
        values[item.name] = value
    values["weight"] = values["weight"] * (population.weight.sum() / values["weight"].sum())
    return dataclasses.replace(population, **values)


def household_trend(
    population: Population,
    scenario: Scenario,
    macro: Sequence[float] | None = None,
) -> np.ndarray:
    """The households' own yearly log growth: the macro path (``macro``, a replication's
    draw, or the expected path) less the yearly growth the measures in force add."""
    last_year = scenario.years[1]
    if last_year <= population.as_of:
        return np.zeros(0)  # nothing to simulate: the model refuses the run with its reason
    macro = expected_trend(population.as_of, last_year) if macro is None else np.asarray(macro)
    contribution = in_force_contribution(population, scenario, last_year)
    return np.asarray(macro, dtype=float) - np.diff(np.r_[0.0, contribution])

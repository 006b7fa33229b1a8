"""Global sensitivity of the 2024 answer to every uncertain input: Morris, then Sobol.

Each sample of the inputs (:func:`simulation.uncertainties.uncertainties`) is a scenario with
those values fixed, run on the same replication seeds as every other sample (common random
numbers: the same macro paths, shocks and streams), so differences between samples come from
the inputs alone. A sample's outcomes are P(target) over its replications, the mean gap in
the target year and the mean share of people under the monitoring line. Inputs a sample does
not set keep their central values, the calibration shifts their posterior means.

Morris screens every input (``trajectories`` x (inputs + 1) samples); Sobol then gives the
first-order and total indices of the ``top`` inputs Morris ranks highest (``samples`` x
(top + 2) samples). The samples run as one batch of jobs on local processes or Dask
(:class:`~simulation.optimize.evaluate.Evaluator`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.montecarlo.replications import ReplicationRunner, replication_seeds
from simulation.optimize.evaluate import Evaluator
from simulation.scenario import Scenario
from simulation.sensitivity.indices import COLUMNS, morris_indices, ranked, sobol_indices
from simulation.uncertainties import Uncertainty, stochastic_inputs, uncertainties, with_inputs

METHODS = ("morris", "sobol")


def outcome_names(target_year: int) -> tuple[str, str, str]:
    """The outcomes ranked: P(target), the target year's gap, the share under the line."""
    return ("p_target_met", f"gap_{target_year}", "share_under_line")


@dataclass
class Sensitivity:
    """What a sensitivity run found: Morris over every input, Sobol on the top ones.

    ``screening`` and ``indices`` map each outcome to a table indexed by input (columns
    :data:`~simulation.sensitivity.indices.COLUMNS`); :meth:`table` joins them, ranked.
    """

    scenario: Scenario
    method: str
    inputs: list[Uncertainty]
    screening: dict[str, pd.DataFrame]
    indices: dict[str, pd.DataFrame] | None
    top: list[str]
    seed: int
    seeds: list[int]
    replications: int
    trajectories: int
    samples: int | None
    evaluations: int
    households: int | None
    target_year: int
    ran_on: str = "this process"
    elapsed_seconds: float = float("nan")
    screening_seconds: float = float("nan")  # of which the Morris stage
    stochastic: list[dict[str, str]] = field(default_factory=list)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The outcomes ranked."""
        return tuple(self.screening)

    def table(self, outcome: str) -> pd.DataFrame:
        """Every input's indices for ``outcome``, most influential first, with its unit,
        label and basis (Sobol columns NaN outside the top inputs or after Morris alone)."""
        table = self.screening[outcome][["mu_star", "mu_star_conf", "sigma"]]
        if self.indices is not None:
            table = table.join(self.indices[outcome][["S1", "S1_conf", "ST", "ST_conf"]])
        table = ranked(table.reindex(columns=list(COLUMNS)))
        about = pd.DataFrame(
            [(u.label, u.unit, u.basis) for u in self.inputs],
            index=pd.Index([u.name for u in self.inputs], name="input"),
            columns=["label", "unit", "basis"],
        )
        return about.loc[table.index].join(table)


def most_influential(screening: dict[str, pd.DataFrame], top: int) -> list[str]:
    """The ``top`` inputs by Morris ``mu_star``, each outcome's scaled to its largest so
    that outcomes of different units count alike (an input's score is its best rank)."""
    scores = pd.concat(
        [t["mu_star"] / t["mu_star"].max() for t in screening.values() if t["mu_star"].max() > 0],
        axis=1,
    )
    if scores.empty:
        return list(next(iter(screening.values())).index[:top])
    return list(scores.max(axis=1).sort_values(ascending=False, kind="stable").index[:top])


def run_sensitivity(
    scenario: Scenario,
    population: Any,
    method: str = "morris",
    *,
    trajectories: int = 10,
    top: int = 8,
    samples: int = 32,
    replications: int = 8,
    seed: int = 1,
    target_year: int = 2024,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> Sensitivity:
    """Rank the scenario's uncertain inputs by their effect on the 2024 answer.

    Parameters
    ----------
    scenario : Scenario
    population : simulation.Population
    method : {"morris", "sobol"}
        ``morris`` screens every input; ``sobol`` screens, then computes the first-order and
        total indices of the ``top`` inputs.
    trajectories : int
        Morris trajectories (each input moved once per trajectory).
    top : int
        Inputs kept for Sobol.
    samples : int
        Sobol's base sample (a power of two).
    replications : int
        Replications per sample, the same seeds for every sample (common random numbers).
    seed : int
        Seed of the replications and of the designs.
    """
    if method not in METHODS:
        raise ValueError(f"method: {method!r} not one of {METHODS}")
    if trajectories < 2 or top < 1 or replications < 1:
        raise ValueError("trajectories must be >= 2, top and replications >= 1")
    inputs = uncertainties(scenario)
    if not inputs:
        raise ValueError(f"scenario {scenario.name!r} declares no uncertain input (no range)")
    started = time.perf_counter()
    seeds = replication_seeds(seed, replications)
    names = outcome_names(target_year)
    evaluations = 0
    with ReplicationRunner(population, workers, scheduler, progress) as runner:
        evaluator = Evaluator(
            scenario,
            population,
            seeds,
            runner,
            target_year,
            draw_parameters=False,
            calibration=False,
        )

        def model(chosen: list[Uncertainty], stage: str):
            def evaluate(values: np.ndarray) -> dict[str, np.ndarray]:
                nonlocal evaluations
                evaluations += len(values)
                names_chosen = [u.name for u in chosen]
                candidates = [
                    (with_inputs(scenario, dict(zip(names_chosen, row, strict=True)), chosen), None)
                    for row in values
                ]
                done = evaluator.run(candidates, replications, description=stage)
                found = [o.summary(evaluator.national) for o in done]
                columns = ("p_target_met", "gap_mean", "share_under_line")
                return {
                    name: np.array([f[c] for f in found])
                    for name, c in zip(names, columns, strict=True)
                }

            return evaluate

        screening = morris_indices(inputs, model(inputs, "Morris samples"), trajectories, seed)
        screening_seconds = time.perf_counter() - started
        chosen, indices = [], None
        if method == "sobol":
            chosen_names = most_influential(screening, top)
            chosen = [u for u in inputs if u.name in chosen_names]
            indices = sobol_indices(chosen, model(chosen, "Sobol samples"), samples, seed)
        ran_on = runner.description
    return Sensitivity(
        scenario=scenario,
        method=method,
        inputs=inputs,
        screening=screening,
        indices=indices,
        top=[u.name for u in chosen],
        seed=seed,
        seeds=seeds,
        replications=replications,
        trajectories=trajectories,
        samples=samples if method == "sobol" else None,
        evaluations=evaluations,
        households=getattr(population, "size", None),
        target_year=target_year,
        ran_on=ran_on,
        elapsed_seconds=time.perf_counter() - started,
        screening_seconds=screening_seconds,
        stochastic=stochastic_inputs(scenario),
    )


__all__ = ["METHODS", "Sensitivity", "most_influential", "outcome_names", "run_sensitivity"]

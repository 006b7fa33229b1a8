"""Morris and Sobol indices of any model over a list of uncertain inputs (SALib).

The model is a function of a samples x inputs matrix of values returning one array per
outcome. SALib samples the unit hypercube (each input's quantile, 0-1) and
:meth:`simulation.uncertainties.Uncertainty.ppf` turns quantiles into values, so every
distribution an input declares (beta, triangular, normal, uniform) is sampled as declared
and the Morris elementary effects are per unit of quantile: comparable across inputs of
different units. The same functions rank the simulation's inputs and the Ishigami test
function of the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_sampling
from SALib.sample import sobol as sobol_sampling

from simulation.uncertainties import Uncertainty, sample_values

Model = Callable[[np.ndarray], dict[str, np.ndarray]]
LEVELS = 4  # Morris grid levels (quantiles 0, 1/3, 2/3, 1)
CONFIDENCE = 0.95
RESAMPLES = 1000  # bootstrap resamples of the confidence intervals
COLUMNS = ("mu_star", "mu_star_conf", "sigma", "S1", "S1_conf", "ST", "ST_conf")


def problem(inputs: Sequence[Uncertainty]) -> dict:
    """SALib's problem on the unit hypercube, one quantile per input."""
    return {
        "num_vars": len(inputs),
        "names": [u.name for u in inputs],
        "bounds": [[0.0, 1.0]] * len(inputs),
    }


def morris_design(inputs: Sequence[Uncertainty], trajectories: int, seed: int) -> np.ndarray:
    """Quantiles of ``trajectories`` Morris trajectories, (trajectories x (inputs + 1)) x inputs."""
    return morris_sampling.sample(problem(inputs), trajectories, num_levels=LEVELS, seed=seed)


def sobol_design(inputs: Sequence[Uncertainty], samples: int, seed: int) -> np.ndarray:
    """Quantiles of Saltelli's design for first-order and total indices, samples x (inputs + 2)
    rows (``samples``, a power of two, is the base sample of the scrambled Sobol' sequence)."""
    if samples < 2 or samples & (samples - 1):
        raise ValueError(f"sobol samples must be a power of two >= 2, got {samples}")
    return sobol_sampling.sample(
        problem(inputs), samples, calc_second_order=False, scramble=True, seed=seed
    )


def morris_table(
    inputs: Sequence[Uncertainty], quantiles: np.ndarray, outputs: np.ndarray, seed: int
) -> pd.DataFrame:
    """Morris indices of one outcome: ``mu_star`` (mean absolute elementary effect, outcome
    units per unit of quantile) with its bootstrap confidence half-width, and ``sigma``."""
    found = morris_analysis.analyze(
        problem(inputs),
        quantiles,
        np.asarray(outputs, dtype=float),
        conf_level=CONFIDENCE,
        num_resamples=RESAMPLES,
        num_levels=LEVELS,
        seed=seed,
    )
    return pd.DataFrame(
        {k: np.asarray(found[k], dtype=float) for k in ("mu_star", "mu_star_conf", "sigma")},
        index=pd.Index([u.name for u in inputs], name="input"),
    )


def sobol_table(inputs: Sequence[Uncertainty], outputs: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order (``S1``) and total (``ST``) Sobol indices of one outcome with their
    bootstrap confidence half-widths; NaN where the outcome does not vary."""
    names = pd.Index([u.name for u in inputs], name="input")
    outputs = np.asarray(outputs, dtype=float)
    if np.ptp(outputs) == 0:
        return pd.DataFrame(np.nan, index=names, columns=["S1", "S1_conf", "ST", "ST_conf"])
    found = sobol_analysis.analyze(
        problem(inputs),
        outputs,
        calc_second_order=False,
        conf_level=CONFIDENCE,
        num_resamples=RESAMPLES,
        seed=seed,
    )
    return pd.DataFrame(
        {k: np.asarray(found[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")},
        index=names,
    )


def morris_indices(
    inputs: Sequence[Uncertainty], model: Model, trajectories: int, seed: int
) -> dict[str, pd.DataFrame]:
    """Morris screening of ``model`` over ``inputs``: one table per outcome, ranked."""
    quantiles = morris_design(inputs, trajectories, seed)
    outputs = model(sample_values(inputs, quantiles))
    return {name: ranked(morris_table(inputs, quantiles, y, seed)) for name, y in outputs.items()}


def sobol_indices(
    inputs: Sequence[Uncertainty], model: Model, samples: int, seed: int
) -> dict[str, pd.DataFrame]:
    """First-order and total Sobol indices of ``model`` over ``inputs``, one table per
    outcome, ranked."""
    quantiles = sobol_design(inputs, samples, seed)
    outputs = model(sample_values(inputs, quantiles))
    return {name: ranked(sobol_table(inputs, y, seed)) for name, y in outputs.items()}


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every column of :data:`COLUMNS` (NaN where not computed), most
    influential first (by total index where there is one, else by ``mu_star``)."""
    table = table.reindex(columns=list(COLUMNS))
    keys = [c for c in ("ST", "mu_star") if table[c].notna().any()]
    if not keys:
        return table
    return table.sort_values(keys, ascending=False, na_position="last", kind="stable")


__all__ = [
    "COLUMNS",
    "morris_design",
    "morris_indices",
    "morris_table",
    "problem",
    "ranked",
    "sobol_design",
    "sobol_indices",
    "sobol_table",
]

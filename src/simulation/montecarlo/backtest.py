"""In-sample backtest: from an earlier as-of year, does the simulation reproduce the published
figure with the shipped calibration file? (Out of sample: :mod:`.validation`.)

From as of 2021, the baseline and the action plan simulate 2022, which Yunnan has since
published (14,147 yuan per person, ``data/public_statistics.yaml``). The table says how far the
simulated mean is from it and whether the published figure falls in the simulated band; its
words are :func:`.report.backtest_report` and :func:`.report.backtest_conclusion`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.series import load_series
from simulation import load_scenario
from simulation.montecarlo.national import YUNNAN_SERIES
from simulation.montecarlo.replications import Job, ReplicationRunner, replication_seeds
from simulation.montecarlo.target import replicate


def published_value(year: int, series: str = YUNNAN_SERIES) -> float:
    """The published value of ``series`` in ``year`` (yuan per person)."""
    values = load_series(series)
    if year not in values.index:
        raise ValueError(f"series {series!r} has no published value for {year}")
    return float(values.loc[year])


def backtest(
    scenario_paths: Sequence[str | Path],
    population: Any,
    replications: int = 20,
    seed: int = 0,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Simulate the year after the population's as-of year and compare with the published value.

    Parameters
    ----------
    scenario_paths : sequence of str or Path
        Scenario files (typically ``baseline.yaml`` and ``action_plan.yaml``).
    population : simulation.Population
        Population as of an earlier year (2021 for the 2022 backtest).
    replications, seed, workers, scheduler, progress
        As for the target test; the same seeds are used for every scenario.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``year``, ``simulated`` (mean over replications), ``lower_95``,
        ``upper_95``, ``published``, ``error`` (simulated minus published, yuan),
        ``relative_error``, ``published_in_band`` and ``wage_share`` (simulated).
    """
    jobs = [Job(i, s, payload=False) for i, s in enumerate(replication_seeds(seed, replications))]
    rows = {}
    with ReplicationRunner(population, workers, scheduler, progress) as runner:
        for path in scenario_paths:
            scenario = load_scenario(path)
            outcomes = runner.map(partial(replicate, scenario, True), jobs, scenario.name)
            year = outcomes[0].result.as_of + 1
            first_year = pd.DataFrame([o.result.annual.loc[year] for o in outcomes])
            simulated = first_year["net_income_per_capita"]
            published = published_value(year)
            lower, upper = simulated.quantile([0.025, 0.975])
            rows[scenario.name] = {
                "year": year,
                "simulated": simulated.mean(),
                "lower_95": lower,
                "upper_95": upper,
                "published": published,
                "error": simulated.mean() - published,
                "relative_error": simulated.mean() / published - 1,
                "published_in_band": bool(lower <= published <= upper),
                "wage_share": (first_year["wage"] / simulated).mean(),
            }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("scenario")

"""In-sample backtest: from an earlier as-of year, does the simulation reproduce the published
figure with the shipped calibration file? (Out of sample: :mod:`.validation`.)

From as of 2021, the baseline and the action plan simulate 2022, which Yunnan has since
published (14,147 yuan per person, ``data/public_statistics.yaml``). The table says how far the
simulated mean is from it and whether the published figure falls in the simulated band.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.montecarlo.national import YUNNAN_SERIES
from simulation.montecarlo.replications import Job, ReplicationRunner, replication_seeds
from simulation.montecarlo.target import replicate


def published_value(year: int, series: str = YUNNAN_SERIES) -> float:
    """The published value of ``series`` in ``year`` (yuan per person)."""
    from forecast.series import load_series

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
    from simulation import load_scenario

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


def backtest_report(table: pd.DataFrame) -> str:
    """The backtest in plain language."""
    lines = []
    for name, row in table.iterrows():
        verdict = "inside" if row["published_in_band"] else "outside"
        lines.append(
            f"{name}: simulated {row['year']} mean {row['simulated']:,.0f} yuan "
            f"(95 % band {row['lower_95']:,.0f} to {row['upper_95']:,.0f}) against the "
            f"published {row['published']:,.0f}: {row['error']:+,.0f} yuan "
            f"({100 * row['relative_error']:+.1f} %), the published figure is {verdict} the band; "
            f"wage share {100 * row['wage_share']:.1f} %."
        )
    return "\n".join(lines)


def backtest_conclusion(table: pd.DataFrame) -> str:
    """One sentence per scenario on whether the simulation reproduces the published figure."""
    sentences = []
    for name, row in table.iterrows():
        close = "reproduces" if abs(row["relative_error"]) <= 0.02 else "misses"
        sentences.append(
            f"From as of {int(row['year']) - 1}, **{name}** {close} the published "
            f"{int(row['year'])} figure ({row['published']:,.0f} yuan) with "
            f"{row['simulated']:,.0f} yuan ({100 * row['relative_error']:+.1f} %)."
        )
    sentences.append(
        "This checks scenarios/calibration.yaml in sample: its trend shifts are zero as "
        "shipped, and when `simulate calibrate --write` fits them they are fitted to this same "
        "published figure. The out-of-sample test is `zengshou simulate validate`."
    )
    return " ".join(sentences)

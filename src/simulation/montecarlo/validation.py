"""Out-of-sample validation: replay pseudo-real time and predict what was published later.

For each origin, everything that learns from data is refitted with **no value after the
origin**: the macro layer and the national target's model choice (published series cut at
the origin), the synthetic panel (calibrated only to figures published up to the origin), the
household dynamics estimated from it, and the simulation's trend (the calibration shifts of
``scenarios/calibration.yaml``, an in-sample fit, are set to zero). Then

- **series**: the chosen model forecasts every published series for the later years that
  have since been published (origins 2019-2021 on the related rural series);
- **simulation**: from the simulation origin (2021), the scenarios simulate the next year
  with each replication's macro draw, and Yunnan's simulated mean and the national draw are
  compared with the published values.

Each prediction is scored by its error and whether the published value falls inside its 80 %
and 95 % bands. Separate from the in-sample calibration check (``simulate backtest``).
A :class:`Validation` is a plain result; its words and ``validation.json`` are
:func:`.report.validation_report` and :func:`.summary.validation_summary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.progress import progress_bar
from forecast.synthetic import synthesize_panel
from forecast.targets import (
    FORECASTERS,
    NATIONAL_SERIES,
    YUNNAN_SERIES,
    chosen_model,
    published_series,
)
from simulation import load_scenario
from simulation.montecarlo.replications import ReplicationRunner
from simulation.montecarlo.target import TargetTest

SERIES_ORIGINS: tuple[int, ...] = (2019, 2020, 2021)
SIMULATION_ORIGIN = 2021
HORIZON = 2


def _score(row: dict, published: float, table: pd.Series) -> dict:
    return row | {
        "published": published,
        "predicted": float(table["mean"]),
        "lower_80": float(table["lower_80"]),
        "upper_80": float(table["upper_80"]),
        "lower_95": float(table["lower_95"]),
        "upper_95": float(table["upper_95"]),
        "error": float(table["mean"] / published - 1),
        "in_80": bool(table["lower_80"] <= published <= table["upper_80"]),
        "in_95": bool(table["lower_95"] <= published <= table["upper_95"]),
    }


def validate_series(
    origins: Sequence[int] = SERIES_ORIGINS,
    horizon: int = HORIZON,
    data: dict[str, pd.Series] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Predict every published series' later years from each origin with the model the
    backtest chose at that origin (both read nothing after the origin); ``progress`` shows
    a bar over the origins.

    Returns
    -------
    pandas.DataFrame
        One row per origin, series and predicted year: ``model``, ``horizon``,
        ``published``, ``predicted`` (median), bands, ``error`` (relative), ``in_80``, ``in_95``.
    """
    data = data if data is not None else published_series()
    rows = []
    bar = progress_bar(origins, description="series origins", unit="origin", enabled=progress)
    for origin in bar:
        model = chosen_model(origin).model
        for name, series in data.items():
            later = [y for y in series.index if origin < y <= origin + horizon]
            if not later:
                continue
            table = FORECASTERS[model](data, name, origin, int(max(later)))
            if table is None:
                continue
            for year in later:
                if year in table.index:
                    row = {
                        "origin": origin,
                        "series": name,
                        "model": model,
                        "year": int(year),
                        "horizon": int(year) - origin,
                    }
                    rows.append(_score(row, float(series[year]), table.loc[year]))
    return pd.DataFrame(rows)


def validate_simulation(
    scenario_paths: Sequence[str | Path],
    population: Any,
    replications: int = 30,
    seed: int = 1,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Simulate the year after the population's as-of year and score it against the
    published Yunnan and national values.

    ``population`` must be built from data up to its as-of year only (the synthetic panel
    with ``as_of`` does that). The calibration shifts are set to zero (they are an in-sample
    fit); the trend is each replication's draw of the macro layer fitted up to as_of.

    Returns
    -------
    pandas.DataFrame
        One row per scenario and side (``yunnan``, ``national``), scored like
        :func:`validate_series`.
    """
    origin = population.as_of
    year = origin + 1
    data = published_series()
    rows = []
    with ReplicationRunner(population, workers, scheduler, progress) as runner:
        for path in scenario_paths:
            scenario = load_scenario(path)
            shifts = {key: 0.0 for key in scenario.calibration if key.endswith("_drift_shift")}
            test = TargetTest(
                scenario.with_calibration(**shifts),
                replications=replications,
                seed=seed,
                attribution_replications=0,
                target_year=year,
                scenario_path=path,
                calibration=False,  # an in-sample fit: no shift at all
            )
            result = test.run(population, runner=runner)
            for side, draws, series in (
                ("yunnan", result.yunnan, YUNNAN_SERIES),
                ("national", result.national, NATIONAL_SERIES),
            ):
                if year not in data[series].index:
                    continue
                values = draws[year].to_numpy()
                table = pd.Series(
                    {
                        "mean": float(np.median(values)),
                        "lower_80": float(np.quantile(values, 0.1)),
                        "upper_80": float(np.quantile(values, 0.9)),
                        "lower_95": float(np.quantile(values, 0.025)),
                        "upper_95": float(np.quantile(values, 0.975)),
                    }
                )
                row = {
                    "origin": origin,
                    "scenario": scenario.name,
                    "side": side,
                    "model": result.model,
                    "year": year,
                    "horizon": 1,
                }
                rows.append(_score(row, float(data[series][year]), table))
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Validation:
    """The series and simulation validations (tables as returned by :func:`validate_series`
    and :func:`validate_simulation`) and how they were run."""

    series: pd.DataFrame
    simulation: pd.DataFrame
    replications: int
    seed: int
    households: int | None


def series_scores(series: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute relative error and coverage of the series predictions by horizon."""
    if series.empty:
        return pd.DataFrame()
    return series.groupby("horizon").agg(
        n=("error", "size"),
        mape=("error", lambda e: float(np.mean(np.abs(e)))),
        coverage_80=("in_80", "mean"),
        coverage_95=("in_95", "mean"),
    )


def validation_population_frame(households: int, panel_seed: int, origin: int) -> pd.DataFrame:
    """The synthetic panel a validation from ``origin`` starts from: calibrated only to
    figures published up to ``origin``."""
    return synthesize_panel(households, seed=panel_seed, as_of=origin)


def cut_panel(frame: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Rows of a household panel up to ``origin`` (a user's export may run later)."""
    return frame[frame["year"] <= origin]


__all__ = [
    "SERIES_ORIGINS",
    "SIMULATION_ORIGIN",
    "Validation",
    "cut_panel",
    "series_scores",
    "validate_series",
    "validate_simulation",
    "validation_population_frame",
]

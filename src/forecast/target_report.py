"""What the target-model backtest says: per-series errors, forecasts to 2024, the verdict.

Plain functions over the results of :mod:`forecast.targets` (its backtest frame and its
:class:`~forecast.targets.ModelChoice`), shared by ``zengshou forecast targets`` and
notebook 02; nothing here fits a model of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from forecast.targets import (
    COVERAGE_80_RANGE,
    FORECASTERS,
    MODELS,
    NATIONAL_SERIES,
    YUNNAN_SERIES,
    ModelChoice,
)

TARGET_YEAR = 2024  # the plan's end year: Yunnan above the nation at the end of 2024
BASELINE = "drift"  # today's model: a new model must beat it to be worth its complexity


def series_table(backtest: pd.DataFrame, horizon: int = 2) -> pd.DataFrame:
    """MAE (yuan) of each model on each series at ``horizon``.

    Within a series, only the origins every model that forecasts the series at all forecast
    are scored, so a row compares models on the same questions; a model that never forecasts
    a series (``ratio`` on the common series itself) shows NaN.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``series``: one MAE column per model (in :data:`MODELS` order) and
        ``cases``, the number of origins scored.
    """
    frame = backtest[backtest["horizon"] == horizon]
    if frame.empty:
        return pd.DataFrame(columns=[*MODELS, "cases"]).rename_axis("series")
    models_of_series = frame.groupby("series")["model"].transform("nunique")
    models_of_case = frame.groupby(["series", "origin"])["model"].transform("nunique")
    frame = frame[models_of_case == models_of_series]
    frame = frame.assign(abs_error=(frame["mean"] - frame["actual"]).abs())
    table = frame.pivot_table(index="series", columns="model", values="abs_error", aggfunc="mean")
    table = table.reindex(columns=[m for m in MODELS if m in set(backtest["model"])])
    table["cases"] = frame.groupby("series")["origin"].nunique()
    table.columns.name = None
    return table


def target_forecasts(
    data: Mapping[str, pd.Series],
    origin: int,
    names: Sequence[str] = (NATIONAL_SERIES, YUNNAN_SERIES),
    year: int = TARGET_YEAR,
    models: Sequence[str] = MODELS,
) -> pd.DataFrame:
    """Each model's forecast of each series for ``year``, from values up to ``origin``.

    Returns
    -------
    pandas.DataFrame
        One row per series and model that can forecast it: ``series``, ``model``, ``year``,
        ``median`` and the 80 % and 95 % bounds (yuan per person).
    """
    rows = []
    for name in names:
        if name not in data:
            continue  # not published up to the origin: no model can forecast it
        for model in models:
            table = FORECASTERS[model](data, name, origin, year)
            if table is None or year not in table.index:
                continue
            row = table.loc[year]
            rows.append(
                {"series": name, "model": model, "year": year, "median": float(row["mean"])}
                | {k: float(row[k]) for k in ("lower_80", "upper_80", "lower_95", "upper_95")}
            )
    return pd.DataFrame(
        rows,
        columns=["series", "model", "year", "median", "lower_80", "upper_80"]
        + ["lower_95", "upper_95"],
    )


@dataclass(frozen=True)
class Verdict:
    """Does the chosen model beat the baseline on MAE, with calibrated 80 % intervals?"""

    model: str
    baseline: str
    horizon: int
    mae: float
    baseline_mae: float
    coverage_80: float
    beats_baseline: bool
    calibrated: bool

    @property
    def passed(self) -> bool:
        return self.beats_baseline and self.calibrated

    def sentence(self) -> str:
        """The verdict in one line."""
        low, high = COVERAGE_80_RANGE
        if self.model == self.baseline:
            return f"verdict: the chosen model is {self.baseline} itself; nothing beats it."
        mae = (
            f"MAE {self.mae:,.0f} vs {self.baseline} {self.baseline_mae:,.0f} yuan "
            f"at horizon {self.horizon}"
        )
        where = "in" if self.calibrated else "outside"
        coverage = f"80 % coverage {self.coverage_80:.2f} ({where} [{low}, {high}])"
        outcome = "beats" if self.passed else "does not beat"
        return f"verdict: {self.model} {outcome} {self.baseline}: {mae}, {coverage}."


def verdict(choice: ModelChoice, horizon: int = 2, baseline: str = BASELINE) -> Verdict:
    """Judge ``choice`` against ``baseline`` on its own model table at ``horizon``."""
    scores = choice.table.loc[horizon]
    chosen, base = scores.loc[choice.model], scores.loc[baseline]
    low, high = COVERAGE_80_RANGE
    return Verdict(
        model=choice.model,
        baseline=baseline,
        horizon=horizon,
        mae=float(chosen["mae"]),
        baseline_mae=float(base["mae"]),
        coverage_80=float(chosen["coverage_80"]),
        beats_baseline=bool(chosen["mae"] < base["mae"]),
        calibrated=bool(low <= chosen["coverage_80"] <= high),
    )


def published_frame(data: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The series as one long frame (``series``, ``year``, ``value``): what was read."""
    rows = [
        (name, int(year), float(value))
        for name in sorted(data)
        for year, value in data[name].items()
    ]
    return pd.DataFrame(rows, columns=["series", "year", "value"])


def _records(frame: pd.DataFrame) -> list[dict]:
    # Through pandas' JSON writer: NumPy scalars and NaN become plain JSON values.
    return json.loads(frame.to_json(orient="records"))


def summary(
    backtest: pd.DataFrame,
    choice: ModelChoice,
    horizon: int = 2,
    forecasts: pd.DataFrame | None = None,
) -> dict:
    """Everything ``--json`` writes: the choice and verdict, the tables, the per-case rows."""
    judged = verdict(choice, horizon)
    out = {
        "until": choice.until,
        "horizon": horizon,
        "choice": {"model": choice.model, "rule": choice.rule, "until": choice.until},
        "verdict": asdict(judged) | {"passed": judged.passed, "sentence": judged.sentence()},
        "model_table": _records(choice.table.reset_index()),
        "series_table": _records(series_table(backtest, horizon).reset_index()),
        "cases": _records(backtest),
    }
    if forecasts is not None:
        out["forecasts"] = _records(forecasts)
    return out

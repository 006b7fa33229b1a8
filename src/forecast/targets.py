"""Forecasting the two sides of the target, and choosing the model by a backtest.

Four models of a published yearly series compete (all see only the years up to the origin):

``drift``
    Today's model (:mod:`forecast.series`): a log random walk with the series' own mean
    growth; its variance pooled with the related series.
``macro``
    The macro layer (:mod:`forecast.macro`): common rural growth + the population's premium.
``ratio``
    The series' ratio to the common rural series follows a log random walk with drift
    (:mod:`forecast.series` on the ratio); the common series follows the macro layer.
``local_trend``
    statsmodels' ``UnobservedComponents`` local linear trend on log values (a state-space
    model whose level and slope both wander), fitted by maximum likelihood; needs 4 values.

:func:`backtest_targets` replays every model at every origin of every published series with
at least 4 values, at horizons 1 and 2, and :func:`model_table` scores them (MAE, MAPE, 80 %
and 95 % coverage). :func:`choose_model` takes the lowest MAE at horizon 2 among the models
whose 80 % coverage lies in [0.7, 0.9], so the national target's model is chosen by evidence.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from forecast.disk_cache import cache_dir, cache_key, cached
from forecast.macro import (
    INTERVAL_PATHS,
    INTERVAL_SEED,
    MacroError,
    MacroModel,
    MacroSettings,
    cut,
    interval_table,
)
from forecast.progress import progress_bar
from forecast.series import (
    RELATED_SERIES,
    available_series,
    forecast_series,
    growth_observations,
    load_series,
    sample_series_paths,
)

MODELS: tuple[str, ...] = ("drift", "macro", "ratio", "local_trend")
HORIZONS: tuple[int, ...] = (1, 2)
MIN_SERIES_POINTS = 4  # series backtested: at least this many published values
MIN_ORIGIN_POINTS = 2  # values a series needs up to an origin to be forecast from it
COVERAGE_80_RANGE = (0.7, 0.9)
NATIONAL_SERIES = "national_net_income_alleviated"
YUNNAN_SERIES = "yunnan_net_income_alleviated"

Forecaster = Callable[[Mapping[str, pd.Series], str, int, int], pd.DataFrame | None]


def published_series(path: str | Path | None = None) -> dict[str, pd.Series]:
    """Every yearly series of ``public_statistics.yaml`` (values by year)."""
    return {name: load_series(name, path) for name in available_series(path)}


def _growth_prior(data: Mapping[str, pd.Series], origin: int) -> tuple[float, int]:
    """:func:`forecast.series.growth_prior` computed on values up to ``origin`` only."""
    ss, dof = 0.0, 0
    for name in RELATED_SERIES:
        if name in data:
            obs = growth_observations(cut(data[name], origin))
            if obs.dof > 0:
                ss, dof = ss + obs.sum_of_squares, dof + obs.dof
    if dof == 0:
        return 0.01**2, 1  # nothing published yet: a wide, weak prior (10 % growth sd)
    return ss / dof, dof


def _years_to(series: pd.Series, until: int) -> int:
    return until - int(series.index[-1])


def forecast_drift(data, name, origin, until):
    """Today's drift model (:func:`forecast.series.forecast_series`)."""
    series = cut(data[name], origin)
    if len(series) < MIN_ORIGIN_POINTS or _years_to(series, until) < 1:
        return None
    return forecast_series(series, _years_to(series, until), prior=_growth_prior(data, origin))


def forecast_macro(data, name, origin, until, settings: MacroSettings | None = None):
    """The macro layer (:class:`forecast.macro.MacroModel`)."""
    model = _macro(data, origin, settings)
    if model is None or (name != model.settings.common and name not in model.premiums):
        return None
    return model.forecast(name, until)


def forecast_ratio(data, name, origin, until, settings: MacroSettings | None = None):
    """Ratio to the common rural series: a random walk with drift of the log ratio."""
    model = _macro(data, origin, settings)
    if model is None or name == model.settings.common:
        return None
    common_name = model.settings.common
    series, common = cut(data[name], origin), cut(data[common_name], origin)
    ratio = (series / common).dropna()
    if len(ratio) < MIN_ORIGIN_POINTS or _years_to(ratio, until) < 1:
        return None
    rng = np.random.default_rng(INTERVAL_SEED)
    n = INTERVAL_PATHS  # the same paths as the macro layer's intervals
    last = int(ratio.index[-1])
    ratio_paths = sample_series_paths(
        ratio, until - last, n, rng, prior=_growth_prior(data, origin)
    )
    common_paths = model.sample([common_name], until, n, rng)[common_name]
    common_paths = common_paths.reindex(columns=range(last + 1, until + 1))
    for year in common_paths.columns:  # years up to the origin are published
        if year in common.index:
            common_paths[year] = common[year]
    return interval_table(common_paths * ratio_paths)


def forecast_local_trend(data, name, origin, until):
    """statsmodels' local linear trend on log values (state space, maximum likelihood)."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    series = cut(data[name], origin)
    if len(series) < MIN_SERIES_POINTS or _years_to(series, until) < 1:
        return None
    years = range(int(series.index[0]), int(series.index[-1]) + 1)
    logs = np.log(series.reindex(years)).to_numpy()  # gaps are missing observations
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short series: convergence notes, not errors
        model = UnobservedComponents(logs, level="local linear trend")
        fitted = model.fit(disp=False, maxiter=200)
        prediction = fitted.get_forecast(_years_to(series, until))
        mean = np.asarray(prediction.predicted_mean)
        sd = np.sqrt(np.asarray(prediction.var_pred_mean))
    frame = pd.DataFrame(
        {"mean": np.exp(mean)},
        index=pd.Index(range(int(series.index[-1]) + 1, until + 1), name="year"),
    )
    for level in (0.8, 0.95):
        z = stats.norm.ppf((1 + level) / 2)
        pct = round(level * 100)
        frame[f"lower_{pct}"] = np.exp(mean - z * sd)
        frame[f"upper_{pct}"] = np.exp(mean + z * sd)
    return frame


@functools.lru_cache(maxsize=64)
def _macro_cached(key: tuple, origin: int) -> MacroModel | None:
    data = {
        name: pd.Series(dict(values), name=name, dtype=float).rename_axis("year")
        for name, values in key
    }
    return _fit_or_none(data, origin, None)


def _fit_or_none(data, origin, settings) -> MacroModel | None:
    try:
        return MacroModel.fit(data, origin, settings)
    except MacroError:  # too few common years at an early origin: the model cannot answer
        return None


def _macro(data, origin, settings=None) -> MacroModel | None:
    """The macro layer fitted at ``origin`` (cached: the backtest asks for it many times)."""
    if settings is not None:
        return _fit_or_none(data, origin, settings)
    key = tuple(
        (name, tuple((int(y), float(v)) for y, v in cut(values, origin).items()))
        for name, values in sorted(data.items())
    )
    return _macro_cached(key, origin)


FORECASTERS: dict[str, Forecaster] = {
    "drift": forecast_drift,
    "macro": forecast_macro,
    "ratio": forecast_ratio,
    "local_trend": forecast_local_trend,
}


def backtest_targets(
    data: Mapping[str, pd.Series] | None = None,
    until: int | None = None,
    models: tuple[str, ...] = MODELS,
    horizons: tuple[int, ...] = HORIZONS,
    progress: bool = False,
) -> pd.DataFrame:
    """Rolling-origin backtest of every model on every series with 4+ published values.

    Parameters
    ----------
    data : mapping of str to pandas.Series, optional
        Published series; default :func:`published_series`.
    until : int, optional
        Last year any value may be read (pseudo-real time); default: all published years.
    models, horizons
        What to compare.
    progress : bool
        Show a progress bar over the series.

    Returns
    -------
    pandas.DataFrame
        One row per series, origin, horizon and model: ``actual``, the forecast columns,
        ``error`` (forecast / actual - 1), ``covered_80``, ``covered_95``.
    """
    data = dict(data if data is not None else published_series())
    if until is not None:
        data = {name: cut(values, until) for name, values in data.items()}
    rows = []
    long_enough = {name: s for name, s in data.items() if len(s) >= MIN_SERIES_POINTS}
    bar = progress_bar(
        long_enough.items(), description="target models", unit="series", enabled=progress
    )
    for name, series in bar:
        for origin in series.index[MIN_ORIGIN_POINTS - 1 :]:
            for h in horizons:
                target = int(origin) + h
                if target not in series.index:
                    continue
                actual = float(series[target])
                for model in models:
                    table = FORECASTERS[model](data, name, int(origin), target)
                    if table is None or target not in table.index:
                        continue
                    row = table.loc[target]
                    rows.append(
                        {
                            "series": name,
                            "origin": int(origin),
                            "horizon": h,
                            "model": model,
                            "year": target,
                            "actual": actual,
                            **row.to_dict(),
                            "error": row["mean"] / actual - 1,
                            "covered_80": bool(row["lower_80"] <= actual <= row["upper_80"]),
                            "covered_95": bool(row["lower_95"] <= actual <= row["upper_95"]),
                        }
                    )
    return pd.DataFrame(rows)


def model_table(backtest: pd.DataFrame, common_cases: bool = True) -> pd.DataFrame:
    """Score each model at each horizon: n, MAE (yuan), MAPE, 80 % and 95 % coverage.

    With ``common_cases`` only the (series, origin, horizon) cases every model forecast are
    scored, so the models are compared on the same questions.
    """
    frame = backtest
    if common_cases and not frame.empty:
        n_models = frame["model"].nunique()
        counts = frame.groupby(["series", "origin", "horizon"])["model"].transform("nunique")
        frame = frame[counts == n_models]
    frame = frame.assign(
        abs_error=(frame["mean"] - frame["actual"]).abs(), abs_pct=frame["error"].abs()
    )
    table = frame.groupby(["horizon", "model"]).agg(
        n=("actual", "size"),
        mae=("abs_error", "mean"),
        mape=("abs_pct", "mean"),
        coverage_80=("covered_80", "mean"),
        coverage_95=("covered_95", "mean"),
    )
    return table


@dataclass(frozen=True)
class ModelChoice:
    """The chosen model of the national target, with the table that chose it."""

    model: str
    table: pd.DataFrame
    rule: str
    until: int | None


def choose_model(backtest: pd.DataFrame, horizon: int = 2, until: int | None = None) -> ModelChoice:
    """Lowest MAE at ``horizon`` among the models whose 80 % coverage is in [0.7, 0.9]
    (all models if none is); ties go to the order of :data:`MODELS`."""
    table = model_table(backtest)
    if horizon not in table.index.get_level_values("horizon"):
        raise ValueError(f"no case at horizon {horizon} that every model forecast")
    scores = table.loc[horizon]
    low, high = COVERAGE_80_RANGE
    calibrated = scores[(scores["coverage_80"] >= low) & (scores["coverage_80"] <= high)]
    pool = calibrated if not calibrated.empty else scores
    order = {m: i for i, m in enumerate(MODELS)}
    best = min(pool.index, key=lambda m: (round(float(pool.loc[m, "mae"]), 6), order.get(m, 99)))
    rule = (
        f"lowest MAE at horizon {horizon} among models with 80 % coverage in [{low}, {high}]"
        if not calibrated.empty
        else f"lowest MAE at horizon {horizon} (no model had 80 % coverage in [{low}, {high}])"
    )
    return ModelChoice(str(best), table, rule, until)


# What the choice is computed from besides ``until``: the published series, the macro
# settings and the models.
_CHOSEN_FROM = ("src/forecast/**/*.py", "data/*.yaml")


@functools.lru_cache(maxsize=8)
def chosen_model(until: int, progress: bool = False) -> ModelChoice:
    """The model chosen by the backtest of every series with values up to ``until``
    (``progress``: a bar over the series).

    The backtest takes several seconds and every command that draws the macro layer needs
    its choice, so it is kept on disk (:mod:`forecast.disk_cache`) under ``until`` and the
    fingerprint of the data files and the forecasting code.
    """
    key = cache_key({"until": until}, _CHOSEN_FROM)
    return cached(
        cache_dir() / f"target-model-{key}.pickle",
        lambda: choose_model(backtest_targets(until=until, progress=progress), until=until),
        ModelChoice,
    )

"""Rolling-origin evaluation of panel forecasters (a pure function: no MLflow, no disk)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from forecast.forecasters import MODELS, PanelForecaster, make_forecaster, panel_arrays
from forecast.progress import progress_bar

BACKTEST_COLUMNS: tuple[str, ...] = (
    "model",
    "origin",
    "period",
    "n",
    "mae",
    "rmse",
    "mape",
    "coverage_80",
    "coverage_95",
    "width_80",
    "pinball",
)
# Quantile level of each forecast column in the pinball loss (the mean stands in for the median).
PINBALL_LEVELS: dict[str, float] = {
    "lower_95": 0.025,
    "lower_80": 0.10,
    "mean": 0.50,
    "upper_80": 0.90,
    "upper_95": 0.975,
}


def backtest(
    panel: pd.DataFrame,
    *,
    id_col: str,
    time_col: str,
    target: str,
    features: Sequence[str] | None = None,
    horizon: int = 1,
    models: Sequence[str | PanelForecaster] | Mapping[str, PanelForecaster] | None = None,
    min_train_periods: int = 3,
    random_state: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Evaluate forecasters by rolling origin over the panel's periods.

    For every origin ``o`` (each period from the ``min_train_periods``-th to the one
    ``horizon`` before the last), each model is fitted on the periods up to ``o`` and
    forecasts ``horizon`` periods ahead; the forecast of period ``o + horizon`` is scored
    against the observed values of the units observed then.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel: one row per unit and period.
    id_col, time_col, target : str
        Unit, period and target columns.
    features : sequence of str, optional
        Covariates, passed to every model (the naive and drift models ignore them).
    horizon : int
        Periods ahead that are scored.
    models : sequence of names or forecasters, or mapping name -> forecaster, optional
        Models to compare (default: all of :data:`forecast.forecasters.MODELS`). Names are
        looked up in ``MODELS``; forecaster objects are cloned and given the column names.
        ``naive`` is always added.
    min_train_periods : int
        Shortest training history (periods up to and including the first origin).
    random_state : int
        Seed given to every model (so the same call gives the same table).
    progress : bool
        Show a progress bar over the fits (one per origin and model).

    Returns
    -------
    pandas.DataFrame
        One row per model and origin: ``model``, ``origin`` (last training period),
        ``period`` (the scored period), ``n`` (units scored), ``mae``, ``rmse``, ``mape``
        (mean absolute percentage error over non-zero actuals, NaN if none), ``coverage_80``
        and ``coverage_95`` (share of actuals inside the intervals), ``width_80`` (mean width
        of the 80 % interval) and ``pinball`` (mean pinball loss over the quantile levels
        0.025, 0.1, 0.5, 0.9, 0.975, taking the interval bounds as quantiles and the mean as
        the median).

    Raises
    ------
    ValueError
        Fewer than ``min_train_periods + horizon`` periods, or an unknown model name.
    """
    columns = dict(id_col=id_col, time_col=time_col, target=target)
    columns["features"] = list(features) if features else None
    columns["random_state"] = random_state
    named = _named_models(models)
    arrays = panel_arrays(panel, id_col, time_col, target)  # validates the panel once
    periods = arrays.periods
    if min_train_periods < 1 or int(horizon) != horizon or horizon < 1:
        raise ValueError("min_train_periods and horizon must be positive integers")
    last_origin = len(periods) - horizon
    if last_origin < min_train_periods:
        raise ValueError(
            f"panel has {len(periods)} periods; a backtest needs at least "
            f"min_train_periods + horizon = {min_train_periods + horizon}"
        )
    actual_frame = panel[[id_col, time_col, target]]
    rows = []
    ends = range(min_train_periods, last_origin + 1)
    bar = progress_bar(
        description="backtest", total=len(ends) * len(named), unit="fit", enabled=progress
    )
    for end in ends:
        origin, scored = periods[end - 1], periods[end - 1 + horizon]
        train = panel[panel[time_col] <= origin]
        actual = actual_frame[actual_frame[time_col] == scored].dropna(subset=[target])
        for name, model in named.items():
            bar.set_postfix_str(f"{name} from {origin}")
            fitted = clone(model).set_params(**columns).fit(train)
            forecast = fitted.predict(train, horizon=horizon)
            forecast = forecast[forecast[time_col] == scored]
            scored_rows = forecast.merge(actual, on=[id_col, time_col], how="inner")
            rows.append(
                {"model": name, "origin": origin, "period": scored}
                | score(scored_rows[target].to_numpy(), scored_rows)
            )
            bar.update()
    bar.close()
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))


def score(actual: np.ndarray, forecast: pd.DataFrame) -> dict[str, float]:
    """Accuracy and calibration of forecasts against actual values (see :func:`backtest`).

    Units whose forecast is missing (no history) are left out and the count ``n`` says how
    many were scored.
    """
    keep = ~np.isnan(forecast["mean"].to_numpy()) & ~np.isnan(actual)
    actual, forecast = actual[keep], forecast[keep]
    error = actual - forecast["mean"].to_numpy()
    nonzero = actual != 0
    pinball = np.mean(
        [
            np.mean(np.maximum(q * (actual - f), (q - 1) * (actual - f)))
            for column, q in PINBALL_LEVELS.items()
            for f in [forecast[column].to_numpy()]
        ]
    )
    inside = {
        pct: (actual >= forecast[f"lower_{pct}"].to_numpy())
        & (actual <= forecast[f"upper_{pct}"].to_numpy())
        for pct in (80, 95)
    }
    return {
        "n": int(actual.size),
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(np.mean(np.abs(error[nonzero] / actual[nonzero])))
        if nonzero.any()
        else float("nan"),
        "coverage_80": float(np.mean(inside[80])),
        "coverage_95": float(np.mean(inside[95])),
        "width_80": float(np.mean(forecast["upper_80"] - forecast["lower_80"])),
        "pinball": float(pinball),
    }


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per model, with the MAE relative to ``naive`` (1 = as good)."""
    metrics = [c for c in BACKTEST_COLUMNS if c not in ("model", "origin", "period", "n")]
    table = results.groupby("model", sort=False)[metrics].mean()
    if "naive" in table.index:
        table["mae_vs_naive"] = table["mae"] / table.loc["naive", "mae"]
    return table.sort_values("mae")


def _named_models(models) -> dict[str, PanelForecaster]:
    if models is None:
        models = list(MODELS)
    if isinstance(models, Mapping):
        named = dict(models)
    else:
        named = {}
        for model in models:
            if isinstance(model, str):
                named[model] = make_forecaster(model)
            else:
                named[_short_name(model)] = model
    if "naive" not in named:
        named = {"naive": make_forecaster("naive"), **named}
    return named


def _short_name(model: PanelForecaster) -> str:
    for name, cls in MODELS.items():
        if type(model) is cls:
            return name
    return type(model).__name__

"""What every panel forecaster shares: long panel to arrays, split-conformal intervals, output.

A forecaster sees a long panel (one row per unit and period) through four names: the unit
column, the period column, the target and optional covariates. Internally the panel becomes a
dense ``(units, periods)`` array, so every model is written once, vectorised over units.

Intervals (how they are calibrated)
-----------------------------------
Every model gets its intervals the same way, by *normalised split-conformal prediction over
time*. ``fit`` takes the last ``c`` training periods as forecast origins
(``calibration_periods``, fewer when the history is too short for the model); from each origin
it fits a copy of the model on the periods up to it and forecasts the periods after it. The
errors are pooled per horizon as scores ``(actual - forecast) / scale``, where ``scale`` is the
unit's own mean absolute period-to-period change up to that origin (floored at a tenth of the
median across units), so volatile units get wider intervals than steady ones. The bounds of a
level-``L`` interval at horizon ``h`` are the order statistics of the horizon-``h`` scores at
ranks ``floor((n+1)(1-L)/2)`` and ``ceil((n+1)(1+L)/2)`` (split-conformal's finite-sample
correction), times the unit's scale, added to the forecast. Signed scores keep skewed errors
skewed; pooling several origins keeps one unusual year from setting the width alone. Horizons
beyond the longest calibrated one reuse its quantiles widened by ``sqrt(h/c)`` (random-walk
accumulation), an assumption, not a calibration. Coverage is marginal over units and assumes
the calibration years resemble the forecast years; the backtests measure how close that is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

LEVELS: tuple[float, ...] = (0.8, 0.95)
OUTPUT_COLUMNS: tuple[str, ...] = ("mean", "lower_80", "upper_80", "lower_95", "upper_95")
# A unit's scale is floored at this fraction of the median scale across units, so that a unit
# whose income never changed does not get a zero-width interval.
SCALE_FLOOR = 0.1


@dataclass(frozen=True)
class PanelArrays:
    """A long panel as dense arrays.

    Attributes
    ----------
    units : pandas.Index
        Unit labels, one per row of ``y``.
    periods : numpy.ndarray
        Sorted integer periods, one per column of ``y`` (a regular grid with ``step``).
    y : numpy.ndarray
        ``(units, periods)`` target values; NaN where a unit is not observed.
    x : numpy.ndarray
        ``(units, periods, features)`` covariates as floats (categories as integer codes).
    step : int
        Spacing of the period grid (1 for years).
    extra : dict of str to numpy.ndarray
        Further ``(units, periods)`` series some models need (e.g. the parts of a total).
    """

    units: pd.Index
    periods: np.ndarray
    y: np.ndarray
    x: np.ndarray
    step: int
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def head(self, n_periods: int) -> PanelArrays:
        """The first ``n_periods`` periods (for calibration and backtests)."""
        return replace(
            self,
            periods=self.periods[:n_periods],
            y=self.y[:, :n_periods],
            x=self.x[:, :n_periods],
            extra={name: y[:, :n_periods] for name, y in self.extra.items()},
        )

    def with_target(self, y: np.ndarray) -> PanelArrays:
        """The same panel with another target array."""
        return replace(self, y=y)


def last_observed(y: np.ndarray) -> np.ndarray:
    """Each row's last non-missing value (NaN for a row with none)."""
    observed = ~np.isnan(y)
    position = y.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)
    values = y[np.arange(y.shape[0]), position]
    return np.where(observed.any(axis=1), values, np.nan)


def unit_scale(y: np.ndarray, median: float | None = None) -> np.ndarray:
    """Each unit's mean absolute period-to-period change, floored (the conformal scale).

    A unit without two consecutive observations gets ``median`` (default: the median over
    the units of ``y``, see :func:`median_scale`); every scale is floored at
    ``SCALE_FLOOR * median``. Passing the training median keeps a forecast for a handful of
    units on the same footing as the calibration.
    """
    changes = np.abs(np.diff(y, axis=1))
    counts = np.sum(~np.isnan(changes), axis=1)
    median = median_scale(y) if median is None else median
    scale = np.nansum(changes, axis=1) / np.maximum(counts, 1)
    scale = np.where(counts > 0, scale, median)
    return np.maximum(scale, max(SCALE_FLOOR * median, 1e-12))


def median_scale(y: np.ndarray) -> float:
    """Median over units of the mean absolute change (the level if no unit has a change)."""
    changes = np.abs(np.diff(y, axis=1))
    counts = np.sum(~np.isnan(changes), axis=1)
    if not counts.any():
        level = float(np.nanmedian(np.abs(y))) if np.any(~np.isnan(y)) else 1.0
        return max(level, 1e-12)
    return float(np.median(np.nansum(changes, axis=1)[counts > 0] / counts[counts > 0]))


def conformal_quantiles(scores: np.ndarray, levels: tuple[float, ...] = LEVELS) -> np.ndarray:
    """Lower and upper score quantiles per level with the split-conformal correction.

    Parameters
    ----------
    scores : numpy.ndarray
        Normalised residuals ``(actual - forecast) / scale`` of one horizon; NaN ignored.
    levels : tuple of float
        Nominal coverages.

    Returns
    -------
    numpy.ndarray
        ``(len(levels), 2)``: lower and upper quantile for each level.
    """
    scores = np.sort(scores[~np.isnan(scores)])
    n = scores.size
    if n == 0:
        raise ValueError("no held-out observations to calibrate the intervals on")
    out = np.empty((len(levels), 2))
    for i, level in enumerate(levels):
        tail = (1 - level) / 2
        # Ranks (1-based) of the conformal bounds; past the sample they clip to its extremes.
        upper = min(int(np.ceil((n + 1) * (1 - tail))), n)
        lower = max(int(np.floor((n + 1) * tail)), 1)
        out[i] = scores[lower - 1], scores[upper - 1]
    return out


class PanelForecaster(BaseEstimator):
    """Base class: long panel in, one row per unit and future period out.

    Subclasses implement ``_fit_point(arrays)`` (learn global parameters, set attributes
    ending in ``_``) and ``_point_forecast(arrays, horizon) -> (units, horizon)`` (use the
    history in ``arrays`` and the learned parameters). The base class handles the panel's
    columns, calibration of the intervals (see the module docstring) and the output frame.
    ``min_fit_periods`` is the shortest history the point model can be fitted on;
    ``_longest_horizon`` caps the horizons a model fitted on a given history can forecast. A
    model forecasting several series at once (parts and their total) overrides
    ``_point_outputs`` and ``_output_targets``; each series is then calibrated on its own.

    Hyper-parameters common to all forecasters: ``id_col``, ``time_col``, ``target``,
    ``features`` (column names; None for none) and ``calibration_periods``.
    """

    min_fit_periods: int = 1

    def fit(self, panel: pd.DataFrame, y: None = None) -> PanelForecaster:
        """Fit the point model on ``panel`` and calibrate its intervals.

        Parameters
        ----------
        panel : pandas.DataFrame
            Long panel with the columns named by the hyper-parameters.
        y : None
            Ignored (scikit-learn convention; the target is a column of ``panel``).

        Returns
        -------
        self
        """
        # A refit starts from scratch: fitted state of an earlier fit (attributes ending in
        # "_", e.g. the mixed model's kept design columns) must not leak into this one.
        for name in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, name)
        self.feature_categories_ = _learn_categories(panel, self._feature_list())
        arrays = self.to_arrays(panel)
        self._calibrate(arrays)
        self._fit_point(arrays)
        self.n_units_ = arrays.y.shape[0]
        self.periods_ = arrays.periods
        return self

    def predict(self, panel: pd.DataFrame, horizon: int = 1) -> pd.DataFrame:
        """Forecast the ``horizon`` periods after the panel's last period for every unit.

        Parameters
        ----------
        panel : pandas.DataFrame
            History to forecast from (the training panel, or a newer one with the same
            columns).
        horizon : int
            Number of future periods.

        Returns
        -------
        pandas.DataFrame
            One row per unit and future period: the unit and period columns, then ``mean``,
            ``lower_80``, ``upper_80``, ``lower_95``, ``upper_95``. A model forecasting
            several series stacks them and adds a ``series`` column naming each.
        """
        self._check_fitted()
        horizon = _check_horizon(horizon)
        arrays = self.to_arrays(panel)
        outputs = self._outputs(arrays, horizon)
        frames = {
            name: self._frame(arrays, means, bounds, horizon)
            for name, (means, bounds) in outputs.items()
        }
        if len(frames) == 1:
            return next(iter(frames.values()))
        return pd.concat([f.assign(series=name) for name, f in frames.items()], ignore_index=True)

    # -- pieces subclasses may reuse -------------------------------------------------------

    def _feature_list(self) -> list[str]:
        return list(self.features or [])

    def to_arrays(self, panel: pd.DataFrame) -> PanelArrays:
        """The panel's target and features as :class:`PanelArrays` (validated)."""
        categories = getattr(self, "feature_categories_", None)
        if categories is None:
            categories = _learn_categories(panel, self._feature_list())
        return panel_arrays(
            panel, self.id_col, self.time_col, self.target, self._feature_list(), categories
        )

    def _calibration_periods(self, n_periods: int) -> int:
        usable = min(int(self.calibration_periods), n_periods - self.min_fit_periods)
        if usable < 1:
            raise ValueError(
                f"{type(self).__name__} needs at least {self.min_fit_periods + 1} periods "
                f"(one held out to calibrate the intervals); the panel has {n_periods}"
            )
        return usable

    def _longest_horizon(self, n_periods: int) -> int:
        """Longest horizon the point model can forecast after fitting ``n_periods``."""
        return n_periods

    def _point_outputs(self, arrays: PanelArrays, horizon: int) -> dict[str, np.ndarray]:
        """Name -> ``(units, horizon)`` point forecasts of each series the model forecasts."""
        return {self.target: self._point_forecast(arrays, horizon)}

    def _output_targets(self, arrays: PanelArrays) -> dict[str, np.ndarray]:
        """Name -> ``(units, periods)`` observed values of each forecast series."""
        return {self.target: arrays.y}

    def _calibrate(self, arrays: PanelArrays) -> None:
        """Pool normalised held-out errors per series and horizon over ``c`` origins."""
        n_periods = arrays.y.shape[1]
        c = self._calibration_periods(n_periods)
        targets = self._output_targets(arrays)
        scores: dict[str, list[list[np.ndarray]]] = {name: [] for name in targets}
        for cut in range(n_periods - c, n_periods):
            early = arrays.head(cut)
            model = clone(self)
            model.feature_categories_ = self.feature_categories_
            model._fit_point(early)
            reach = min(n_periods - cut, model._longest_horizon(cut))
            forecasts = model._point_outputs(early, reach)
            for name, y in targets.items():
                scale = unit_scale(y[:, :cut])
                errors = (y[:, cut : cut + reach] - forecasts[name]) / scale[:, None]
                for h in range(reach):
                    if len(scores[name]) <= h:
                        scores[name].append([])
                    scores[name][h].append(errors[:, h])
        self.calibration_periods_ = c
        self.scale_medians_ = {name: median_scale(y) for name, y in targets.items()}
        self.score_quantiles_ = {
            name: np.stack([conformal_quantiles(np.concatenate(by_h)) for by_h in per_h])
            for name, per_h in scores.items()
        }
        first = next(iter(scores.values()))[0]
        self.n_calibration_ = int(sum(np.sum(~np.isnan(e)) for e in first))

    def _outputs(self, arrays: PanelArrays, horizon: int) -> dict[str, tuple]:
        """Name -> (means, bounds) of each forecast series (one for a plain forecaster)."""
        targets = self._output_targets(arrays)
        out = {}
        for name, means in self._point_outputs(arrays, horizon).items():
            q = self._interval_quantiles(self.score_quantiles_[name], horizon)
            scale = unit_scale(targets[name], self.scale_medians_[name])
            out[name] = (means, _bounds(means, scale, q))
        return out

    @staticmethod
    def _interval_quantiles(quantiles: np.ndarray, horizon: int) -> np.ndarray:
        """``(horizon, levels, 2)`` score quantiles, widened beyond the calibrated horizon."""
        c = quantiles.shape[0]
        steps = np.arange(1, horizon + 1)
        widen = np.sqrt(np.maximum(steps / c, 1.0))
        return quantiles[np.minimum(steps, c) - 1] * widen[:, None, None]

    def _frame(self, arrays, means, bounds, horizon) -> pd.DataFrame:
        n_units = means.shape[0]
        future = arrays.periods[-1] + arrays.step * np.arange(1, horizon + 1)
        frame = pd.DataFrame(
            {
                self.id_col: np.repeat(arrays.units.to_numpy(), horizon),
                self.time_col: np.tile(future, n_units),
                "mean": means.ravel(),
            }
        )
        for i, level in enumerate(LEVELS):
            pct = round(level * 100)
            frame[f"lower_{pct}"] = bounds[:, :, i, 0].ravel()
            frame[f"upper_{pct}"] = bounds[:, :, i, 1].ravel()
        return frame

    def _check_fitted(self) -> None:
        if not hasattr(self, "score_quantiles_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(panel) first")

    def _fit_point(self, arrays: PanelArrays) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _point_forecast(self, arrays: PanelArrays, horizon: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def _bounds(means: np.ndarray, scale: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """``(units, horizon, levels, 2)`` interval bounds: forecast plus scaled score quantiles."""
    return means[:, :, None, None] + scale[:, None, None, None] * quantiles[None]


def _check_horizon(horizon: int) -> int:
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    return int(horizon)


def _is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def _learn_categories(panel: pd.DataFrame, features: list[str]) -> dict[str, list]:
    """Category levels of the non-numeric features (codes must mean the same at predict)."""
    missing = [c for c in features if c not in panel.columns]
    if missing:
        raise KeyError(f"panel has no feature column(s) {missing}")
    out = {}
    for name in features:
        if _is_categorical(panel[name]):
            values = panel[name].dropna()
            if isinstance(values.dtype, pd.CategoricalDtype):
                out[name] = list(values.cat.categories)
            else:
                out[name] = sorted(values.unique().tolist())
    return out


def panel_arrays(
    panel: pd.DataFrame,
    id_col: str,
    time_col: str,
    target: str,
    features: list[str] | tuple[str, ...] = (),
    categories: dict[str, list] | None = None,
) -> PanelArrays:
    """Turn a long panel into dense ``(units, periods)`` arrays, refusing malformed input.

    A missing target value means the unit is not observed that period (it is not imputed).
    Periods must be integers on a regular grid (years, or integer period codes).

    Raises
    ------
    KeyError
        A named column is missing.
    ValueError
        Duplicate (unit, period) rows, a non-numeric target or period, irregular periods, or
        a category at predict time that was not seen at fit time.
    """
    features = list(features)
    for role, name in (("id_col", id_col), ("time_col", time_col), ("target", target)):
        if name not in panel.columns:
            raise KeyError(f"panel has no {role} column {name!r}; columns: {list(panel.columns)}")
    if panel.empty:
        raise ValueError("panel is empty")
    if not pd.api.types.is_numeric_dtype(panel[target]) or pd.api.types.is_bool_dtype(
        panel[target]
    ):
        raise ValueError(f"target column {target!r} must be numeric, not {panel[target].dtype}")
    period_values = panel[time_col]
    if not pd.api.types.is_numeric_dtype(period_values) or period_values.isna().any():
        raise ValueError(f"period column {time_col!r} must be numeric without missing values")
    as_int = period_values.to_numpy().astype(np.int64)
    if not np.array_equal(as_int, period_values.to_numpy()):
        row = int(np.flatnonzero(as_int != period_values.to_numpy())[0])
        raise ValueError(
            f"period column {time_col!r} must hold integers (row {row}: {period_values.iloc[row]!r})"
        )
    unit_codes, units = pd.factorize(panel[id_col], sort=True)
    if (unit_codes < 0).any():
        row = int(np.flatnonzero(unit_codes < 0)[0])
        raise ValueError(f"unit column {id_col!r} has a missing value at row {row}")
    first_period = int(as_int.min())
    # bincount, not np.unique: linear time on millions of rows.
    present = np.flatnonzero(np.bincount(as_int - first_period)) + first_period
    step = int(np.gcd.reduce(np.diff(present))) if present.size > 1 else 1
    periods = np.arange(present[0], present[-1] + step, step)
    period_codes = (as_int - present[0]) // step
    n_units, n_periods = len(units), len(periods)
    flat = unit_codes.astype(np.int64) * n_periods + period_codes
    if np.bincount(flat, minlength=n_units * n_periods).max() > 1:
        dup = panel.duplicated([id_col, time_col], keep=False)
        first = panel.loc[dup, [id_col, time_col]].iloc[0].tolist()
        raise ValueError(f"panel has duplicate rows for ({id_col}, {time_col}) = {first}")
    y = np.full(n_units * n_periods, np.nan)
    y[flat] = panel[target].to_numpy(dtype=float, na_value=np.nan)
    x = np.full((n_units * n_periods, len(features)), np.nan)
    for j, name in enumerate(features):
        x[flat, j] = _feature_values(panel[name], name, (categories or {}).get(name))
    return PanelArrays(
        units=pd.Index(units),
        periods=periods,
        y=y.reshape(n_units, n_periods),
        x=x.reshape(n_units, n_periods, len(features)),
        step=step,
    )


def _feature_values(series: pd.Series, name: str, levels: list | None) -> np.ndarray:
    if levels is None:
        if _is_categorical(series):
            raise ValueError(f"feature {name!r} is not numeric and was not seen at fit time")
        return series.to_numpy(dtype=float, na_value=np.nan)
    unseen = series.notna().to_numpy() & ~series.isin(levels).to_numpy()
    if unseen.any():
        row = int(np.flatnonzero(unseen)[0])
        raise ValueError(
            f"feature {name!r} has value {series.iloc[row]!r} (row {row}) not seen at fit time; "
            f"known: {levels}"
        )
    codes = pd.Categorical(series, categories=levels).codes
    return np.where(codes < 0, np.nan, codes).astype(float)

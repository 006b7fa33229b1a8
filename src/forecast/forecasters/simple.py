"""Benchmarks every other model must beat: the last value, and each unit's own drift."""

from __future__ import annotations

import numpy as np

from forecast.forecasters.base import PanelArrays, PanelForecaster, last_observed


class NaiveForecaster(PanelForecaster):
    """Naive last value: every future period equals the unit's last observed value.

    Parameters
    ----------
    id_col, time_col, target : str
        Unit, period and target columns of the panel.
    features : list of str, optional
        Accepted for a common interface; the naive model ignores covariates.
    calibration_periods : int
        Final training periods held out to calibrate the intervals (see
        :mod:`forecast.forecasters.base`); fewer when the history is too short. The default 3
        lets the horizon-2 quantiles pool two origins instead of resting on one year.
    random_state : int, optional
        Unused (deterministic); kept for a common interface.
    """

    min_fit_periods = 1

    def __init__(
        self,
        id_col: str = "household_id",
        time_col: str = "year",
        target: str = "net_income_per_capita",
        features: list[str] | None = None,
        calibration_periods: int = 3,
        random_state: int | None = None,
    ) -> None:
        self.id_col = id_col
        self.time_col = time_col
        self.target = target
        self.features = features
        self.calibration_periods = calibration_periods
        self.random_state = random_state

    def _feature_list(self) -> list[str]:
        return []

    def _fit_point(self, arrays: PanelArrays) -> None:
        self.is_point_fitted_ = True

    def _point_forecast(self, arrays: PanelArrays, horizon: int) -> np.ndarray:
        return np.repeat(last_observed(arrays.y)[:, None], horizon, axis=1)


class DriftForecaster(NaiveForecaster):
    """Per-unit drift: the last value plus the unit's average change per period.

    The drift is ``(last - first) / periods elapsed`` over the unit's observations in the
    last ``window`` periods (all when None), optionally shrunk towards the median drift of
    all units: ``(1 - shrinkage) * own + shrinkage * median``. A unit observed once has
    the median drift.

    Parameters
    ----------
    id_col, time_col, target, features, calibration_periods, random_state
        As :class:`NaiveForecaster`.
    window : int, optional
        Number of most recent periods the drift is measured over.
    shrinkage : float
        Weight of the pooled median drift, in [0, 1].
    """

    min_fit_periods = 2

    def __init__(
        self,
        id_col: str = "household_id",
        time_col: str = "year",
        target: str = "net_income_per_capita",
        features: list[str] | None = None,
        calibration_periods: int = 3,
        random_state: int | None = None,
        window: int | None = None,
        shrinkage: float = 0.0,
    ) -> None:
        super().__init__(id_col, time_col, target, features, calibration_periods, random_state)
        self.window = window
        self.shrinkage = shrinkage

    def _fit_point(self, arrays: PanelArrays) -> None:
        if not 0.0 <= self.shrinkage <= 1.0:
            raise ValueError(f"shrinkage must be in [0, 1], got {self.shrinkage}")
        if self.window is not None and self.window < 2:
            raise ValueError(f"window must be at least 2 periods, got {self.window}")
        own = self._own_drift(arrays.y)
        self.median_drift_ = float(np.nanmedian(own)) if np.any(~np.isnan(own)) else 0.0

    def _own_drift(self, y: np.ndarray) -> np.ndarray:
        if self.window is not None:
            y = y[:, -self.window :]
        observed = ~np.isnan(y)
        n = y.shape[1]
        first = np.argmax(observed, axis=1)
        last = n - 1 - np.argmax(observed[:, ::-1], axis=1)
        rows = np.arange(y.shape[0])
        elapsed = (last - first).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            drift = (y[rows, last] - y[rows, first]) / elapsed
        return np.where(elapsed > 0, drift, np.nan)

    def _point_forecast(self, arrays: PanelArrays, horizon: int) -> np.ndarray:
        own = self._own_drift(arrays.y)
        drift = np.where(np.isnan(own), self.median_drift_, own)
        drift = (1 - self.shrinkage) * drift + self.shrinkage * self.median_drift_
        steps = np.arange(1, horizon + 1)
        return last_observed(arrays.y)[:, None] + drift[:, None] * steps[None, :]

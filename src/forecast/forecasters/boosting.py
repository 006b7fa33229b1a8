"""Gradient boosting on lags and covariates (scikit-learn HistGradientBoostingRegressor)."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from forecast.forecasters.base import PanelArrays, PanelForecaster, last_observed, unit_scale

# Below this many rows OpenMP threads cost more than they save (and on a busy machine far more:
# spinning threads wait for each other), so small fits run on one thread.
THREADED_ROWS = 200_000


class GradientBoostingForecaster(PanelForecaster):
    """Direct multi-horizon gradient boosting on scale-free lag features.

    For every horizon ``k`` one ``HistGradientBoostingRegressor`` learns the change from a
    forecast origin ``t`` to ``t + k`` (direct strategy: no recursion, so covariates are only
    needed at the origin). Everything is expressed in units of the unit's own scale (its mean
    absolute period-to-period change up to ``t``), so one model serves poor and rich units
    and trees need not extrapolate in levels:

    - target: ``(y[t+k] - y[t]) / scale``;
    - features: the last ``lags`` changes and the level ``y[t]`` divided by the scale, the
      scale itself, the history's length and its mean relative to ``y[t]``, and the
      covariates at ``t`` (non-numeric ones as categorical splits).

    Every origin of every unit with a later observation is a training example; when there
    are more than ``max_train_rows`` of them, a random subset of units (``random_state``) is
    used, which keeps a province-sized fit within minutes.

    Parameters
    ----------
    id_col, time_col, target, features, calibration_periods
        As :class:`forecast.forecasters.NaiveForecaster`.
    random_state : int, optional
        Seed of the row subsample and of the boosting.
    lags : int
        Number of past changes used as features.
    max_horizon : int
        Longest horizon a model is trained for; ``predict`` refuses longer ones.
    max_train_rows : int
        Cap on training examples per horizon.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization : number
        Passed to ``HistGradientBoostingRegressor``.
    loss : str
        Boosting loss (``"squared_error"`` or ``"absolute_error"``).

    Attributes
    ----------
    models_ : dict of int to HistGradientBoostingRegressor
        The fitted model of each horizon.
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
        lags: int = 3,
        max_horizon: int = 2,
        max_train_rows: int = 200_000,
        max_iter: int = 150,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        loss: str = "absolute_error",
    ) -> None:
        self.id_col = id_col
        self.time_col = time_col
        self.target = target
        self.features = features
        self.calibration_periods = calibration_periods
        self.random_state = random_state
        self.lags = lags
        self.max_horizon = max_horizon
        self.max_train_rows = max_train_rows
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.loss = loss

    def _fit_point(self, arrays: PanelArrays) -> None:
        rng = check_random_state(self.random_state)
        n_units, n_periods = arrays.y.shape
        self.models_ = {}
        for k in range(1, min(self.max_horizon, n_periods - 1) + 1):
            origins = np.arange(n_periods - k)
            units = np.arange(n_units)
            per_unit = origins.size
            if n_units * per_unit > self.max_train_rows:
                units = np.sort(rng.choice(n_units, self.max_train_rows // per_unit, replace=False))
            blocks_x, blocks_y = [], []
            for t in origins:
                history = arrays.y[units, : t + 1]
                x, base, scale = self._features(history, arrays.x[units, t])
                blocks_x.append(x)
                blocks_y.append((arrays.y[units, t + k] - base) / scale)
            x, target = np.concatenate(blocks_x), np.concatenate(blocks_y)
            keep = ~np.isnan(target) & ~np.isnan(x[:, 0])
            if not keep.any():
                continue
            x = x[keep]
            # A column with no value at all (a lag older than the history) breaks binning; a
            # constant stands in, which no tree can split on, so predictions ignore it.
            x[:, np.isnan(x).all(axis=0)] = 0.0
            model = HistGradientBoostingRegressor(
                loss=self.loss,
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                categorical_features=self._categorical_mask(),
                early_stopping=False,
                random_state=rng.randint(2**31 - 1),
            )
            with _threads_for(x.shape[0]):
                self.models_[k] = model.fit(x, target[keep])
        if not self.models_:
            raise ValueError("no unit has two observations: nothing to learn changes from")

    def _longest_horizon(self, n_periods: int) -> int:
        return min(self.max_horizon, n_periods - 1)

    def _categorical_mask(self) -> np.ndarray:
        n_lag_features = self.lags + 4
        mask = [False] * n_lag_features
        mask += [name in self.feature_categories_ for name in self._feature_list()]
        return np.array(mask)

    def _features(self, history: np.ndarray, covariates: np.ndarray):
        """Scale-free features of each unit at the origin (the last column of ``history``)."""
        observed = ~np.isnan(history)
        base = last_observed(history)
        scale = unit_scale(history)
        padded = np.concatenate([np.full((history.shape[0], self.lags + 1), np.nan), history], 1)
        changes = np.diff(padded[:, -(self.lags + 1) :], axis=1)[:, ::-1] / scale[:, None]
        count = observed.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_gap = (np.nansum(history, axis=1) / count - base) / scale
        columns = [base / scale, scale, count.astype(float), mean_gap]
        x = np.column_stack([np.column_stack(columns), changes, covariates])
        return x, base, scale

    def _point_forecast(self, arrays: PanelArrays, horizon: int) -> np.ndarray:
        longest = max(self.models_)
        if horizon > longest:
            raise ValueError(
                f"horizon {horizon} is longer than the {longest} period(s) this model was "
                "trained for (raise max_horizon, or fit on a longer history)"
            )
        x, base, scale = self._features(arrays.y, arrays.x[:, -1])
        out = np.empty((arrays.y.shape[0], horizon))
        with _threads_for(x.shape[0]):
            for k in range(1, horizon + 1):
                out[:, k - 1] = base + scale * self.models_[k].predict(x)
        return out


def _threads_for(n_rows: int):
    return threadpool_limits(limits=1 if n_rows < THREADED_ROWS else None, user_api="openmp")

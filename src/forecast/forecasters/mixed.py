"""A statsmodels panel model: linear mixed effects with a random intercept and slope per unit."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils import check_random_state

from forecast.forecasters.base import PanelArrays
from forecast.forecasters.simple import NaiveForecaster


class MixedEffectsForecaster(NaiveForecaster):
    """Growth-curve model ``y_it = x_it'b + t*g + u_i + v_i*t + e_it`` (statsmodels MixedLM).

    Each unit has its own level ``u_i`` and trend ``v_i`` drawn from a bivariate normal
    (random intercept and slope on the period ``t``); covariates enter as fixed effects
    (non-numeric ones as indicator columns). The variance components and fixed effects are
    estimated by REML on a random subsample of at most ``max_units`` units (MixedLM's cost
    grows with the number of groups and a few thousand pin the handful of parameters down).
    Every unit's own level and trend are then its BLUP, computed in closed form for all
    units at once from its history, so forecasting millions of units stays cheap.

    Forecasts hold each unit's covariates at their last observed values (their future is
    unknown); a unit without any observed value of a covariate gets its fit-time mean.
    Intervals are split-conformal (see :mod:`forecast.forecasters.base`), not the model's
    Gaussian ones, so that they are calibrated even where the Gaussian assumption fails.

    Parameters
    ----------
    id_col, time_col, target, features, calibration_periods
        As :class:`forecast.forecasters.NaiveForecaster`.
    random_state : int, optional
        Seed of the unit subsample.
    max_units : int
        Units in the REML fit.
    reml : bool
        REML (True) or maximum likelihood.

    Attributes
    ----------
    results_ : statsmodels MixedLMResults
        The fitted model (``results_.summary()``).
    fe_params_, cov_re_, scale_ : numpy.ndarray, numpy.ndarray, float
        Fixed effects, random-effects covariance, residual variance.
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
        max_units: int = 2000,
        reml: bool = True,
    ) -> None:
        super().__init__(id_col, time_col, target, features, calibration_periods, random_state)
        self.max_units = max_units
        self.reml = reml

    def _feature_list(self) -> list[str]:
        return list(self.features or [])

    def _fit_point(self, arrays: PanelArrays) -> None:
        from statsmodels.regression.mixed_linear_model import MixedLM
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        self.first_period_ = int(arrays.periods[0])
        self.step_ = arrays.step
        x = arrays.x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN feature columns
            self.feature_means_ = np.nanmean(x.reshape(x.shape[0] * x.shape[1], x.shape[2]), axis=0)
        rng = check_random_state(self.random_state)
        observed_units = np.flatnonzero((~np.isnan(arrays.y)).any(axis=1))
        if observed_units.size > self.max_units:
            observed_units = np.sort(rng.choice(observed_units, self.max_units, replace=False))
        y = arrays.y[observed_units]
        design = self._design(x[observed_units], self._tau(arrays.periods))
        keep = ~np.isnan(y) & ~np.isnan(design).any(axis=2)
        self.design_columns_ = _independent_columns(design[keep])
        design = design[:, :, self.design_columns_]
        groups = np.broadcast_to(np.arange(y.shape[0])[:, None], y.shape)[keep]
        exog = design[keep]
        tau = np.broadcast_to(self._tau(arrays.periods)[None, :], y.shape)[keep]
        exog_re = np.column_stack([np.ones_like(tau), tau])
        model = MixedLM(y[keep], exog, groups, exog_re=exog_re)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self.results_ = model.fit(reml=self.reml, method=["lbfgs", "powell"])
        self.converged_ = bool(self.results_.converged) and not any(
            issubclass(w.category, ConvergenceWarning) for w in caught
        )
        self.fe_params_ = np.asarray(self.results_.fe_params)
        self.cov_re_ = np.asarray(self.results_.cov_re)
        self.scale_ = float(self.results_.scale)
        self.n_fit_units_ = int(y.shape[0])

    def _tau(self, periods: np.ndarray) -> np.ndarray:
        return (np.asarray(periods, dtype=float) - self.first_period_) / self.step_

    def _design(self, x: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """``(units, periods, k)`` fixed-effects design: 1, t, numeric covariates, indicators."""
        n_units, n_periods = x.shape[:2]
        columns = [
            np.ones((n_units, n_periods)),
            np.broadcast_to(tau[None, :], (n_units, n_periods)),
        ]
        for j, name in enumerate(self._feature_list()):
            levels = self.feature_categories_.get(name)
            if levels is None:
                columns.append(x[:, :, j])
            else:
                for code in range(1, len(levels)):  # first level is the reference
                    columns.append(np.where(np.isnan(x[:, :, j]), np.nan, x[:, :, j] == code))
        design = np.stack(columns, axis=2)
        columns_kept = getattr(self, "design_columns_", None)
        return design if columns_kept is None else design[:, :, columns_kept]

    def random_effects(self, arrays: PanelArrays) -> np.ndarray:
        """Each unit's BLUP ``(level, trend)`` given its history: ``(units, 2)``.

        ``b_i = (G^-1 + Z_i'Z_i / s2)^-1 Z_i'(y_i - X_i b) / s2`` with ``Z_i = [1, t]``,
        evaluated for all units at once with 2x2 closed-form inverses.
        """
        tau = self._tau(arrays.periods)
        resid = arrays.y - self._design(arrays.x, tau) @ self.fe_params_
        mask = ~np.isnan(resid)
        r = np.where(mask, resid, 0.0)
        t = np.where(mask, tau[None, :], 0.0)
        s2 = self.scale_
        g_inv = np.linalg.pinv(self.cov_re_)
        a00 = g_inv[0, 0] + mask.sum(axis=1) / s2
        a01 = g_inv[0, 1] + t.sum(axis=1) / s2
        a11 = g_inv[1, 1] + (t * t).sum(axis=1) / s2
        r0, r1 = r.sum(axis=1) / s2, (t * r).sum(axis=1) / s2
        det = a00 * a11 - a01 * a01
        return np.column_stack([(a11 * r0 - a01 * r1) / det, (a00 * r1 - a01 * r0) / det])

    def _point_forecast(self, arrays: PanelArrays, horizon: int) -> np.ndarray:
        effects = self.random_effects(arrays)
        latest = _last_observed_rows(arrays.x, self.feature_means_)
        future = arrays.periods[-1] + arrays.step * np.arange(1, horizon + 1)
        tau = self._tau(future)
        x_future = np.repeat(latest[:, None, :], horizon, axis=1)
        fixed = self._design(x_future, tau) @ self.fe_params_
        return fixed + effects[:, :1] + effects[:, 1:] * tau[None, :]


def _independent_columns(design: np.ndarray) -> np.ndarray:
    """Indices of design columns kept so that none is constant zero or collinear with others.

    Indicator columns of categories absent from the fit sample, or implied by other columns
    (e.g. one covariate coding another), would make REML's normal equations singular.
    """
    kept: list[int] = []
    for j in range(design.shape[1]):
        trial = design[:, [*kept, j]]
        if np.linalg.matrix_rank(trial) == len(kept) + 1:
            kept.append(j)
    return np.array(kept)


def _last_observed_rows(x: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """``(units, features)``: each covariate's last observed value, else ``fallback``."""
    if x.shape[2] == 0:
        return np.empty((x.shape[0], 0))
    observed = ~np.isnan(x)
    position = x.shape[1] - 1 - np.argmax(observed[:, ::-1, :], axis=1)
    values = np.take_along_axis(x, position[:, None, :], axis=1)[:, 0, :]
    return np.where(observed.any(axis=1), values, fallback[None, :])

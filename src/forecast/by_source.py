"""Coherent forecasts by income source: the four sources add up to net income per person.

Bottom-up reconciliation: each source (per person) is forecast by its own copy of a panel
forecaster and the total is the sum of the source forecasts, so the sources add up to the
total exactly in every household and period. The total's intervals are not the sum of the
sources' intervals (that would ignore how the sources co-move); they are calibrated by the
same split-conformal procedure on the summed forecast's own held-out errors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from forecast.calibration import weighted_means
from forecast.forecasters import PanelArrays, PanelForecaster, make_forecaster, panel_arrays
from forecast.schema import INCOME_SOURCES

TOTAL = "net_income_per_capita"


class BottomUpForecaster(PanelForecaster):
    """Forecast parts with one model each and their sum as the total.

    Parameters
    ----------
    estimator : PanelForecaster
        Model cloned for every part (its column names are replaced by the parts').
    components : sequence of str
        Columns of the parts; their sum is the total.
    id_col, time_col : str
        Unit and period columns.
    target : str
        Name given to the total in the output (it need not be a column of the panel).
    features : list of str, optional
        Covariates passed to every part's model.
    calibration_periods : int
        As :class:`forecast.forecasters.NaiveForecaster`.
    random_state : int, optional
        Passed to every part's model.

    Attributes
    ----------
    estimators_ : dict of str to PanelForecaster
        The fitted model of each part.
    """

    def __init__(
        self,
        estimator: PanelForecaster | None = None,
        components: Sequence[str] = (),
        id_col: str = "household_id",
        time_col: str = "year",
        target: str = TOTAL,
        features: list[str] | None = None,
        calibration_periods: int = 3,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.components = components
        self.id_col = id_col
        self.time_col = time_col
        self.target = target
        self.features = features
        self.calibration_periods = calibration_periods
        self.random_state = random_state

    @property
    def min_fit_periods(self) -> int:  # type: ignore[override]
        return self._template().min_fit_periods

    def _template(self) -> PanelForecaster:
        if self.estimator is None:
            return make_forecaster("mixed")
        return self.estimator

    def to_arrays(self, panel: pd.DataFrame) -> PanelArrays:
        if not self.components:
            raise ValueError("BottomUpForecaster needs at least one component column")
        categories = getattr(self, "feature_categories_", None) or {}
        parts = {
            name: panel_arrays(
                panel, self.id_col, self.time_col, name, self._feature_list(), categories
            )
            for name in self.components
        }
        first = next(iter(parts.values()))
        total = np.sum([p.y for p in parts.values()], axis=0)  # NaN if any part is missing
        return PanelArrays(
            units=first.units,
            periods=first.periods,
            y=total,
            x=first.x,
            step=first.step,
            extra={name: p.y for name, p in parts.items()},
        )

    def _part(self, name: str) -> PanelForecaster:
        part = clone(self._template()).set_params(
            id_col=self.id_col,
            time_col=self.time_col,
            target=name,
            features=self.features,
            random_state=self.random_state,
        )
        part.feature_categories_ = self.feature_categories_
        return part

    def _fit_point(self, arrays: PanelArrays) -> None:
        self.estimators_ = {}
        for name in self.components:
            part = self._part(name)
            part._fit_point(arrays.with_target(arrays.extra[name]))
            self.estimators_[name] = part

    def _longest_horizon(self, n_periods: int) -> int:
        return min(e._longest_horizon(n_periods) for e in self.estimators_.values())

    def _point_outputs(self, arrays: PanelArrays, horizon: int) -> dict[str, np.ndarray]:
        out = {
            name: part._point_forecast(arrays.with_target(arrays.extra[name]), horizon)
            for name, part in self.estimators_.items()
        }
        out[self.target] = np.sum(list(out.values()), axis=0)
        return out

    def _output_targets(self, arrays: PanelArrays) -> dict[str, np.ndarray]:
        return {**arrays.extra, self.target: arrays.y}


def per_capita_sources(
    panel: pd.DataFrame,
    sources: Sequence[str] = INCOME_SOURCES,
    members_col: str = "members",
) -> pd.DataFrame:
    """The panel with ``<source>_per_capita`` columns (yuan per person per year) added.

    Raises
    ------
    KeyError
        A source or the members column is missing.
    ValueError
        A household has fewer than one member (naming the first such row).
    """
    missing = [c for c in (*sources, members_col) if c not in panel.columns]
    if missing:
        raise KeyError(f"panel has no column(s) {missing}")
    members = panel[members_col].to_numpy(dtype=float)
    bad = ~(members >= 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{members_col!r} must be at least 1 (row {row}: {members[row]})")
    return panel.assign(**{f"{s}_per_capita": panel[s].to_numpy() / members for s in sources})


def forecast_by_source(
    panel: pd.DataFrame,
    horizon: int,
    model: str | PanelForecaster = "mixed",
    *,
    id_col: str = "household_id",
    time_col: str = "year",
    sources: Sequence[str] = INCOME_SOURCES,
    members_col: str = "members",
    features: list[str] | None = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """Forecast every income source per person and their total, coherently.

    Parameters
    ----------
    panel : pandas.DataFrame
        Household panel with the source columns (yuan per household per year) and members.
    horizon : int
        Periods ahead.
    model : str or PanelForecaster
        Model used for every source (a name from :data:`forecast.forecasters.MODELS`).
    id_col, time_col, sources, members_col : str
        Columns of the panel.
    features : list of str, optional
        Covariates for the models.
    random_state : int
        Seed of the models.

    Returns
    -------
    pandas.DataFrame
        The forecaster output (unit, period, ``mean`` and interval columns) with a ``series``
        column: ``<source>_per_capita`` for each source and ``net_income_per_capita``, whose
        mean is the sum of the sources' means.
    """
    estimator = make_forecaster(model) if isinstance(model, str) else model
    forecaster = BottomUpForecaster(
        estimator=estimator,
        components=[f"{s}_per_capita" for s in sources],
        id_col=id_col,
        time_col=time_col,
        target=TOTAL,
        features=features,
        random_state=random_state,
    )
    data = per_capita_sources(panel, sources, members_col)
    return forecaster.fit(data).predict(data, horizon=horizon)


def weighted_source_means(forecast: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Population means per person of a :func:`forecast_by_source` forecast, by year.

    Each household keeps its last observed members, weight and monitoring status (their
    future is not forecast); its forecast per-person sources times its members make a
    panel-shaped frame that :func:`forecast.calibration.weighted_means` aggregates as it
    does the observed panel (people-weighted, so comparable with the published figures).

    Parameters
    ----------
    forecast : pandas.DataFrame
        Output of :func:`forecast_by_source` (household panel column names).
    panel : pandas.DataFrame
        The history it was forecast from.

    Returns
    -------
    pandas.DataFrame
        :func:`forecast.calibration.weighted_means` of the forecast years.
    """

    last = panel.sort_values("year").drop_duplicates("household_id", keep="last")
    last = last.set_index("household_id")[["members", "weight", "monitored"]]
    wide = forecast.pivot_table(index=["household_id", "year"], columns="series", values="mean")
    frame = wide.reset_index().join(last, on="household_id")
    for source in INCOME_SOURCES:
        frame[source] = frame[f"{source}_per_capita"] * frame["members"]
    return weighted_means(frame)

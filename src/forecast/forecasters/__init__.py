"""Panel forecasters with one interface: long panel in, forecasts with calibrated intervals out.

Every forecaster takes the unit column, the period column, the target and optional covariates
as hyper-parameters, follows scikit-learn's conventions (``fit(panel)`` returns ``self``,
``sklearn.base.clone`` works) and predicts one row per unit and future period with ``mean``,
``lower_80``, ``upper_80``, ``lower_95``, ``upper_95``. How the intervals are calibrated is
described in :mod:`forecast.forecasters.base`.
"""

from __future__ import annotations

from forecast.forecasters.base import (
    LEVELS,
    OUTPUT_COLUMNS,
    PanelArrays,
    PanelForecaster,
    panel_arrays,
)
from forecast.forecasters.boosting import GradientBoostingForecaster
from forecast.forecasters.mixed import MixedEffectsForecaster
from forecast.forecasters.simple import DriftForecaster, NaiveForecaster

# Short names used by the backtest, the CLI and MLflow runs.
MODELS: dict[str, type[PanelForecaster]] = {
    "naive": NaiveForecaster,
    "drift": DriftForecaster,
    "mixed": MixedEffectsForecaster,
    "hgb": GradientBoostingForecaster,
}


def make_forecaster(name: str, **params) -> PanelForecaster:
    """Return a new forecaster by short name (see :data:`MODELS`) with ``params`` set.

    Raises
    ------
    ValueError
        ``name`` is not one of :data:`MODELS`.
    """
    try:
        return MODELS[name](**params)
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}") from None


__all__ = [
    "LEVELS",
    "MODELS",
    "OUTPUT_COLUMNS",
    "DriftForecaster",
    "GradientBoostingForecaster",
    "MixedEffectsForecaster",
    "NaiveForecaster",
    "PanelArrays",
    "PanelForecaster",
    "make_forecaster",
    "panel_arrays",
]

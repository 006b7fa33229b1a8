"""The provincial trend the households follow: the macro layer's Yunnan path.

Yunnan's households and the national target are projected on one footing
(:mod:`forecast.macro`): the yearly log growth of Yunnan's per-capita income is the common
rural component plus Yunnan's premium. A replication of the Monte Carlo passes its own drawn
path (the common shock shared with the national side); a single run without one follows the
expected path. The panel gives the households' dispersion around the trend (AR(1)
persistence and volatility, shocks), not the trend itself: its 2016-2020 years are
interpolated and say nothing about growth.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np

from forecast.macro import MacroModel
from forecast.targets import YUNNAN_SERIES, published_series


@functools.lru_cache(maxsize=8)
def macro_model(as_of: int) -> MacroModel:
    """The macro layer fitted on every published series, reading nothing after ``as_of``."""
    return MacroModel.fit(published_series(), as_of)


def expected_trend(as_of: int, last_year: int) -> np.ndarray:
    """Expected yearly log growth of Yunnan's per-capita income, ``as_of + 1 .. last_year``."""
    years = list(range(as_of + 1, last_year + 1))
    return macro_model(as_of).expected_log_growth(YUNNAN_SERIES, years)


def cumulative_growth(path: np.ndarray, elapsed_years: float) -> float:
    """Log growth accumulated ``elapsed_years`` after the middle of the as-of year.

    ``path[j]`` is the growth from the as-of year's mean to the next year's, so the
    accumulated growth is linear between year midpoints (knots at whole years); past the
    last year the last rate continues.
    """
    path = np.asarray(path, dtype=float)
    whole = min(int(elapsed_years), len(path))
    rate = path[whole] if whole < len(path) else path[-1]
    return float(path[:whole].sum() + (elapsed_years - whole) * rate)


def shift_carried(years: Iterable[int], calibration_year: int, persistence: float) -> np.ndarray:
    """Share of a calibrated yearly shift that applies in each of ``years``.

    The calibration fits a source's growth shift in ``calibration_year`` (one year of
    published composition). Whether such a deviation lasts is not in the data, so it is
    carried into later years at ``persistence`` a year: the full shift in the calibration
    year, ``persistence ** k`` of it ``k`` years later (0: a one-year level change, 1: a
    lasting change of the growth rate), nothing before.
    """
    years = np.asarray(list(years), dtype=float)
    after = years - calibration_year
    with np.errstate(invalid="ignore"):  # 0 ** 0 is 1; negative k is masked
        carried = np.power(float(persistence), np.maximum(after, 0))
    return np.where(after >= 0, carried, 0.0)

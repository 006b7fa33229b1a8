"""Short annual series (3-8 points): honest forecasts of the national and Yunnan targets.

Method
------
A random walk with drift in logs: ``log y[t+1] = log y[t] + mu + e``, ``e ~ N(0, s2)``.

- The drift ``mu`` is the series' own average yearly log growth (over gaps, the growth is
  spread evenly over the years of the gap), so an alleviated population's fast catch-up
  growth is not replaced by another population's.
- The growth variance ``s2`` is where a 3-point series knows almost nothing, so it is pooled:
  the series' own squared deviations of growth are combined with a prior variance estimated
  from *related, longer* series of public_statistics.yaml (rural disposable income of poverty
  areas, national and Yunnan's). The related series measure a different income concept
  (disposable, all rural residents), which is why they inform only the volatility and why
  their evidence is discounted (``prior_weight`` = 0.5 of their degrees of freedom by
  default, an assumption: half as informative as the series' own growth).
- The predictive distribution of ``log y[T+h]`` is Student-t with the pooled degrees of
  freedom, centred on ``log y[T] + h*mu`` with variance ``s2 * (h + h**2 / span)``: ``h``
  for the accumulated yearly shocks and ``h**2 / span`` for the error in a drift estimated
  from ``span`` years. Intervals therefore widen with the horizon, faster when the history
  is short, and the t quantiles inflate them further when the pooled evidence is thin.

``backtest_series`` replays the method on the series' own past. ``sample_series_paths``
draws whole future paths from the same predictive distribution (variance, then drift, then
yearly shocks), so a Monte Carlo over paths reproduces the intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from forecast.statistics import PublicStatistics, StatisticsError

# Longer series of related income measures whose year-to-year volatility informs the prior.
# Assumption (kept in code, not YAML: a modelling choice of this forecaster, tested by
# ``backtest_series``, not a policy or a published figure): rural income of the poverty
# counties and areas moves like the alleviated population's; the values come from
# public_statistics.yaml with their sources.
RELATED_SERIES: tuple[str, ...] = (
    "national_rural_disposable_poverty_counties",
    "yunnan_rural_disposable_poverty_areas",
    "national_rural_disposable",
)
# Assumption: weight of the related series' degrees of freedom in the pooled growth variance.
# Half, because they measure disposable income of all rural residents, not net income of
# alleviated households: informative, but not as much as the series' own years.
PRIOR_WEIGHT = 0.5


@dataclass(frozen=True)
class GrowthObservations:
    """Yearly log growth observations: ``rates`` per year over ``years`` years each."""

    rates: np.ndarray
    years: np.ndarray

    @property
    def span(self) -> float:
        return float(self.years.sum())

    @property
    def drift(self) -> float:
        return float(np.sum(self.rates * self.years) / self.span)

    @property
    def sum_of_squares(self) -> float:
        """Deviations weighted by gap length (a k-year average has variance s2 / k)."""
        return float(np.sum(self.years * (self.rates - self.drift) ** 2))

    @property
    def dof(self) -> int:
        return self.rates.size - 1


@dataclass(frozen=True)
class GrowthModel:
    """A fitted log random walk with drift (see the module docstring)."""

    last_year: int
    last_value: float
    drift: float
    span: float
    variance: float
    dof: float
    prior_variance: float
    prior_dof: float

    def log_scale(self, steps: np.ndarray) -> np.ndarray:
        """Predictive standard deviation of ``log y`` at ``steps`` years ahead."""
        return np.sqrt(self.variance * (steps + steps**2 / self.span))


def _statistics(path: str | Path | None = None) -> dict:
    """The ``series`` mapping of a statistics file, read and checked by
    :class:`~forecast.statistics.PublicStatistics` (default ``data/public_statistics.yaml``)."""
    return PublicStatistics.load(path).entry("series")


def available_series(path: str | Path | None = None) -> list[str]:
    """Names of the yearly series in ``public_statistics.yaml`` (those keyed by year)."""
    return [name for name, entries in _statistics(path).items() if _is_yearly(entries)]


def _is_yearly(entries) -> bool:
    """A yearly series: year keys whose entries hold a ``value`` (a block of components by
    year, such as the composition by source, is not a series)."""
    return isinstance(entries, dict) and any(
        isinstance(k, int) and isinstance(v, dict) and "value" in v for k, v in entries.items()
    )


def load_series(name: str, path: str | Path | None = None) -> pd.Series:
    """Read a yearly series from ``data/public_statistics.yaml`` (values as published).

    Parameters
    ----------
    name : str
        Series key, e.g. ``national_net_income_alleviated``.
    path : path, optional
        Another statistics file of the same form.

    Returns
    -------
    pandas.Series
        Values (yuan per person per year) indexed by ``year``, named ``name``.

    Raises
    ------
    KeyError
        No yearly series of that name (the message lists the available ones).
    StatisticsError
        A malformed file, or an entry without a positive numeric ``value`` (naming the file,
        the series and year, and the reason).
    """
    stats = PublicStatistics.load(path)
    if not _is_yearly(stats.entry("series").get(name)):
        names = [n for n, entries in stats.entry("series").items() if _is_yearly(entries)]
        raise KeyError(f"no yearly series {name!r}; available: {names}")
    values = stats.series(name)
    for year, value in values.items():
        if not value > 0:
            raise StatisticsError(
                stats.path, f"series.{name}.{year}.value", f"must be positive, got {value!r}"
            )
    return values


def growth_observations(series: pd.Series, stated_growth: dict[int, float] | None = None):
    """Yearly log growth of a series; ``stated_growth`` adds published rates for years whose
    previous value is not in the series."""
    series = _check_series(series, minimum=1)
    years = series.index.to_numpy()
    rates = list(np.diff(np.log(series.to_numpy())) / np.diff(years))
    spans = list(np.diff(years).astype(float))
    for year, rate in (stated_growth or {}).items():
        if year in series.index and year - 1 not in series.index:
            rates.append(float(np.log1p(rate)))
            spans.append(1.0)
    return GrowthObservations(np.array(rates), np.array(spans))


def growth_prior(
    related: Sequence[str] = RELATED_SERIES, path: str | Path | None = None
) -> tuple[float, int]:
    """Pooled within-series variance of yearly log growth and its degrees of freedom.

    Each related series keeps its own mean growth; only deviations around it are pooled.
    """
    table = _statistics(path)
    total_ss, total_dof = 0.0, 0
    for name in related:
        stated = {
            y: e["growth"] for y, e in table[name].items() if isinstance(y, int) and "growth" in e
        }
        obs = growth_observations(load_series(name, path), stated)
        if obs.dof > 0:
            total_ss += obs.sum_of_squares
            total_dof += obs.dof
    if total_dof == 0:
        raise ValueError(f"related series {list(related)} have too few points for a prior")
    return total_ss / total_dof, total_dof


def fit_growth(
    series: pd.Series,
    prior: tuple[float, float] | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> GrowthModel:
    """Fit the log random walk with drift, pooling the growth variance with ``prior``.

    Parameters
    ----------
    series : pandas.Series
        Positive values indexed by integer year (gaps allowed), at least 2 points.
    prior : (variance, dof), optional
        Prior growth variance and its degrees of freedom; default :func:`growth_prior`.
    prior_weight : float
        Multiplier of the prior's degrees of freedom (0 uses the series alone).
    """
    series = _check_series(series, minimum=2)
    obs = growth_observations(series)
    prior_variance, prior_dof = prior if prior is not None else growth_prior()
    prior_dof = prior_weight * prior_dof
    dof = prior_dof + obs.dof
    if dof <= 0:
        raise ValueError(
            f"series {series.name!r} has {len(series)} points and no prior: "
            "its growth variance cannot be estimated"
        )
    variance = (prior_dof * prior_variance + obs.sum_of_squares) / dof
    return GrowthModel(
        last_year=int(series.index[-1]),
        last_value=float(series.iloc[-1]),
        drift=obs.drift,
        span=obs.span,
        variance=variance,
        dof=dof,
        prior_variance=float(prior_variance),
        prior_dof=float(prior_dof),
    )


def forecast_series(
    series: pd.Series,
    horizon: int,
    levels: Sequence[float] = (0.8, 0.95),
    *,
    prior: tuple[float, float] | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> pd.DataFrame:
    """Forecast a short annual series ``horizon`` years past its last year.

    Parameters
    ----------
    series : pandas.Series
        Positive values indexed by integer year, at least 2 points (3-8 is the intended use).
    horizon : int
        Years ahead.
    levels : sequence of float
        Interval coverages; columns are named ``lower_<pct>``/``upper_<pct>``.
    prior, prior_weight
        See :func:`fit_growth`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``mean``, the point forecast, which is the predictive MEDIAN
        ``exp(centre)`` (the column keeps the common forecast name), then the lower and upper
        bound of each level. A median, because the bounds are Student-t quantiles of ``log y``
        and under that predictive the level's mean is infinite (the t tail); the median is
        also what :func:`sample_series_paths` gives (``np.median`` of the paths).
    """
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    model = fit_growth(series, prior, prior_weight)
    steps = np.arange(1, int(horizon) + 1, dtype=float)
    centre = np.log(model.last_value) + steps * model.drift
    sd = model.log_scale(steps)
    frame = pd.DataFrame(
        {"mean": np.exp(centre)},
        index=pd.Index(model.last_year + steps.astype(int), name="year"),
    )
    for level in levels:
        if not 0 < level < 1:
            raise ValueError(f"levels must be in (0, 1), got {level}")
        t = stats.t.ppf((1 + level) / 2, model.dof)
        pct = round(level * 100)
        frame[f"lower_{pct}"] = np.exp(centre - t * sd)
        frame[f"upper_{pct}"] = np.exp(centre + t * sd)
    return frame


def sample_series_paths(
    series: pd.Series,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    *,
    prior: tuple[float, float] | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> np.ndarray:
    """Draw future paths consistent with :func:`forecast_series`'s intervals.

    Each path draws the growth variance (scaled inverse chi-square), then the drift given
    the variance, then one shock per year, so a path's years are correlated the way the
    model says (a high drift lifts every later year).

    Returns
    -------
    numpy.ndarray
        ``(n_paths, horizon)`` levels for years ``last + 1 .. last + horizon``.
    """
    model = fit_growth(series, prior, prior_weight)
    variance = model.dof * model.variance / rng.chisquare(model.dof, size=n_paths)
    drift = model.drift + rng.standard_normal(n_paths) * np.sqrt(variance / model.span)
    shocks = rng.standard_normal((n_paths, int(horizon))) * np.sqrt(variance)[:, None]
    return model.last_value * np.exp(np.cumsum(drift[:, None] + shocks, axis=1))


def backtest_series(
    series: pd.Series,
    horizon: int = 1,
    min_points: int = 2,
    *,
    prior: tuple[float, float] | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> pd.DataFrame:
    """Replay :func:`forecast_series` on the series' own past.

    For each year with at least ``min_points`` values up to it and a published value
    ``horizon`` years later, forecast from the history up to that year and compare.

    Returns
    -------
    pandas.DataFrame
        One row per origin: ``origin``, ``year``, ``actual``, the forecast columns,
        ``error`` (actual / mean - 1), ``covered_80`` and ``covered_95``.
    """
    series = _check_series(series, minimum=2)
    rows = []
    for origin in series.index[min_points - 1 :]:
        target_year = origin + horizon
        if target_year not in series.index:
            continue
        forecast = forecast_series(
            series.loc[:origin], horizon, prior=prior, prior_weight=prior_weight
        ).loc[target_year]
        actual = float(series.loc[target_year])
        rows.append(
            {"origin": int(origin), "year": int(target_year), "actual": actual}
            | forecast.to_dict()
            | {
                "error": actual / forecast["mean"] - 1,
                "covered_80": bool(forecast["lower_80"] <= actual <= forecast["upper_80"]),
                "covered_95": bool(forecast["lower_95"] <= actual <= forecast["upper_95"]),
            }
        )
    return pd.DataFrame(rows)


def _check_series(series: pd.Series, minimum: int) -> pd.Series:
    if not isinstance(series, pd.Series):
        raise TypeError(f"expected a pandas Series indexed by year, got {type(series).__name__}")
    if series.isna().any():
        raise ValueError(
            f"series {series.name!r} has missing values in {list(series.index[series.isna()])}"
        )
    if (series <= 0).any():
        raise ValueError(
            f"series {series.name!r} must be positive (log growth): {series.to_dict()}"
        )
    if len(series) < minimum:
        raise ValueError(
            f"series {series.name!r} needs at least {minimum} points, has {len(series)}"
        )
    index = series.index.to_numpy()
    if not np.issubdtype(index.dtype, np.integer) or np.any(np.diff(index) <= 0):
        raise ValueError(f"series {series.name!r} must be indexed by increasing integer years")
    return series

"""The macro layer: both sides of the 2024 target projected on one footing.

Model
-----
The yearly log growth of population ``p``'s per-capita income is

    g[p, t] = c[t] + premium[p] * decay ** h + e[p, t]

- ``c[t]``, the **common rural component**, is the log growth of the common series
  (``data/macro.yaml``: national rural per-capita disposable income, published since 2013).
  Future years are ``c[t] = mu + sigma_c * z[t]``: ``mu`` is the recency-weighted mean of the
  observed growth (weights ``recency_decay ** age``), ``sigma_c`` the spread around it.
- ``premium[p]`` is the population's growth over the common component: the catch-up of a
  population that recently left poverty. Observed premiums are a span's yearly growth minus
  the common growth of the same years (a gap of ``k`` years counts ``k`` times); the level is
  their recency-weighted mean, counting only years from ``premium_since`` where the YAML says
  so (the alleviated populations: after the exit from poverty).
- The premium **decays** by ``decay`` per year after the population's last observation:
  ``decay`` is estimated by least squares through the origin on consecutive yearly premiums of
  every population (in the published data, the poverty counties' 2014-2022 premium), because
  catch-up fades as the gap closes; with too few pairs it persists (decay 1).
- ``e[p, t]`` is the population's own noise; its variance is pooled over populations (within
  each, around its mean premium), because no alleviated series is long enough alone.

Uncertainty: each sampled path first draws both variances (scaled inverse chi-square with
their degrees of freedom), then ``mu`` and the premium level given them (their estimation
error), then the yearly shocks. Years up to the origin whose common growth is observed use it.
Forecast intervals are quantiles of such paths (fixed seed), so intervals and Monte Carlo
paths agree. Nothing after ``origin`` is read: :meth:`MacroModel.fit` cuts every series.

**Shared shocks.** :meth:`MacroModel.sample` draws the common component once per path and
applies it to every population asked for, so a bad year hits Yunnan and the nation alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.paths import data_file
from forecast.sourced import Rules, SourcedFile, dotted, is_number

# Paths drawn to turn the predictive distribution into interval bounds (fixed seed, so the
# table is reproducible); 4,000 puts the 2.5 % quantile's Monte Carlo error near 0.3 %.
INTERVAL_PATHS = 4000
INTERVAL_SEED = 20221231


class MacroError(ValueError):
    """The macro layer cannot be fitted to the series given (names the series and why).

    A malformed ``data/macro.yaml`` is a :class:`~forecast.sourced.SourcedError` instead, so
    that it is never taken for a model that cannot answer at an early origin.
    """


MACRO_KEYS = {"kind", "common_series", "recency_decay", "premium_decay_pairs_min", "populations"}
# Each setting is one number, or a name (the common series) that needs no unit.
MACRO_RULES = Rules(scalar=True, names=True)


@dataclass(frozen=True)
class MacroSettings:
    """The modelling choices of ``data/macro.yaml`` (each with its reason in the file)."""

    common: str
    recency_decay: float
    min_pairs: int
    premium_since: Mapping[str, int] = field(default_factory=dict)
    path: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> MacroSettings:
        """Read ``data/macro.yaml`` (or ``path``); every value must carry its reason.

        Raises
        ------
        SourcedError
            Naming the file, the key and the reason: a missing or malformed file, an unknown
            key, an entry without its value or reason, or a value out of range.
        """
        path = Path(path) if path else data_file("macro.yaml")
        file = SourcedFile.load(path, MACRO_RULES)
        if file.data.get("kind") != "macro":
            raise file.fail("kind", f"expected 'macro', got {file.data.get('kind')!r}")
        file.check_keys(MACRO_KEYS)

        def number(*keys: str) -> float:
            value = file.value(*keys)
            if not is_number(value):
                raise file.fail(dotted(*keys, "value"), f"expected a number, got {value!r}")
            return float(value)

        def whole(*keys: str) -> int:
            value = number(*keys)
            if not value.is_integer():
                raise file.fail(dotted(*keys, "value"), f"expected a whole number, got {value}")
            return int(value)

        populations = file.node("populations") if file.has("populations") else {}
        if not isinstance(populations, dict):
            raise file.fail("populations", "expected a mapping of populations")
        since = {}
        for name in populations:
            file.check_keys({"premium_since"}, "populations", name)
            if file.has("populations", name, "premium_since"):
                since[name] = whole("populations", name, "premium_since")
        decay = number("recency_decay")
        if not 0 < decay <= 1:
            raise file.fail("recency_decay.value", f"{decay} outside (0, 1]")
        common = file.value("common_series")
        if not isinstance(common, str):
            raise file.fail("common_series.value", f"expected a series name, got {common!r}")
        return cls(
            common=common,
            recency_decay=decay,
            min_pairs=whole("premium_decay_pairs_min"),
            premium_since=since,
            path=str(path),
        )


@dataclass(frozen=True)
class Span:
    """Growth between two published years: ``rate`` log points a year over ``years`` years."""

    first: int  # the earlier published year
    last: int
    rate: float

    @property
    def years(self) -> int:
        return self.last - self.first

    def covers(self) -> range:
        """The growth years the span stands for."""
        return range(self.first + 1, self.last + 1)


def spans(series: pd.Series) -> list[Span]:
    """Yearly log growth between consecutive published years of ``series``."""
    years = series.index.to_numpy()
    logs = np.log(series.to_numpy(dtype=float))
    return [
        Span(int(a), int(b), float((lb - la) / (b - a)))
        for a, b, la, lb in zip(years[:-1], years[1:], logs[:-1], logs[1:], strict=True)
    ]


def cut(series: pd.Series, origin: int) -> pd.Series:
    """Values published for years up to ``origin`` (nothing later is ever read)."""
    return series[series.index <= origin].astype(float)


def _recency_weights(ages: np.ndarray, decay: float) -> np.ndarray:
    return decay ** np.asarray(ages, dtype=float)


@dataclass(frozen=True)
class CommonComponent:
    """Fitted common rural component: observed yearly growth and its predictive law."""

    observed: pd.Series  # log growth by year (only yearly steps)
    last_year: int
    last_value: float
    mean: float
    variance: float
    dof: float
    n_eff: float

    @property
    def last(self) -> float:
        return float(self.observed.iloc[-1])


@dataclass(frozen=True)
class Premium:
    """A population's fitted premium over the common component."""

    name: str
    level: float
    n_eff: float
    last_year: int  # the population's last published year
    last_value: float
    observations: pd.DataFrame  # year (end of span), years, premium


@dataclass(frozen=True)
class MacroModel:
    """The fitted macro layer at one origin (see the module docstring).

    Build with :meth:`fit`; :meth:`forecast` gives intervals for one population and
    :meth:`sample` draws joint paths of several with the common component shared.
    """

    origin: int
    common: CommonComponent
    premiums: Mapping[str, Premium]
    premium_variance: float
    premium_dof: float
    decay: float
    settings: MacroSettings
    common_mean_override: float | None = None

    # -- fitting ----------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        series: Mapping[str, pd.Series],
        origin: int,
        settings: MacroSettings | None = None,
    ) -> MacroModel:
        """Fit the macro layer on every population in ``series`` with values up to ``origin``.

        Parameters
        ----------
        series : mapping of str to pandas.Series
            Published yearly values (yuan per person) by integer year; must include the
            common series of ``settings``. Values after ``origin`` are ignored.
        origin : int
            The vantage year: the last year whose values may be read.
        settings : MacroSettings, optional
            Default :meth:`MacroSettings.load`.
        """
        settings = settings or MacroSettings.load()
        if settings.common not in series:
            raise MacroError(f"macro layer: the common series {settings.common!r} is missing")
        data = {name: cut(values, origin) for name, values in series.items()}
        common = _fit_common(data[settings.common], origin, settings.recency_decay)
        premiums, deviations = {}, []
        for name, values in data.items():
            if name == settings.common or len(values) < 2:
                continue
            observations = _premium_observations(
                values, common.observed, settings.premium_since.get(name)
            )
            if observations.empty:
                continue
            w = _recency_weights(origin - observations["year"], settings.recency_decay)
            w = w * observations["years"].to_numpy()
            level = float(np.sum(w * observations["premium"]) / np.sum(w))
            plain = np.average(observations["premium"], weights=observations["years"])
            deviations.append((observations, plain))
            premiums[name] = Premium(
                name=name,
                level=level,
                n_eff=float(np.sum(w) ** 2 / np.sum(w**2 / observations["years"])),
                last_year=int(values.index[-1]),
                last_value=float(values.iloc[-1]),
                observations=observations,
            )
        ss = sum(
            float(np.sum(obs["years"] * (obs["premium"] - mean) ** 2)) for obs, mean in deviations
        )
        dof = sum(len(obs) - 1 for obs, _ in deviations)
        if dof > 0:
            premium_variance, premium_dof = ss / dof, float(dof)
        else:  # no population has two premiums yet: borrow the common component's spread
            premium_variance, premium_dof = common.variance, common.dof
        return cls(
            origin=origin,
            common=common,
            premiums=premiums,
            premium_variance=premium_variance,
            premium_dof=premium_dof,
            decay=_fit_decay([obs for obs, _ in deviations], settings.min_pairs),
            settings=settings,
        )

    def with_common_mean(self, mean: float) -> MacroModel:
        """The same model with the common component's expected growth fixed at ``mean``
        (an alternative trend assumption, e.g. "rural income keeps its last year's pace")."""
        return replace(self, common_mean_override=float(mean))

    # -- prediction -------------------------------------------------------------------------
    def premium(self, name: str) -> Premium:
        """The fitted premium of population ``name`` (error if it could not be fitted)."""
        if name == self.settings.common:
            return Premium(
                name,
                0.0,
                np.inf,
                self.common.last_year,
                self.common.last_value,
                pd.DataFrame(columns=["year", "years", "premium"]),
            )
        if name not in self.premiums:
            raise MacroError(
                f"macro layer at origin {self.origin}: series {name!r} has no premium "
                f"(needs two published years whose growth years have common growth); "
                f"fitted: {sorted(self.premiums)}"
            )
        return self.premiums[name]

    def expected_log_growth(self, name: str, years: Sequence[int]) -> np.ndarray:
        """Expected yearly log growth of ``name`` in ``years`` (no shock, parameters at their
        estimates)."""
        premium = self.premium(name)
        common = self._common_mean()
        out = []
        for year in years:
            c = float(self.common.observed[year]) if year in self.common.observed.index else common
            out.append(c + premium.level * self.decay ** (year - premium.last_year))
        return np.array(out)

    def _common_mean(self) -> float:
        if self.common_mean_override is not None:
            return self.common_mean_override
        return self.common.mean

    def sample(
        self,
        names: Sequence[str],
        until: int,
        n_paths: int,
        rng: np.random.Generator,
        population_rngs: Mapping[str, np.random.Generator] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Draw joint paths of several populations up to year ``until``.

        The common component (its variance, mean and yearly shocks) is drawn once per path
        from ``rng`` and shared by every population; each population's premium and noise
        come from its own generator in ``population_rngs`` (default: ``rng``).

        Returns
        -------
        dict of str to pandas.DataFrame
            ``"common"``: yearly common log growth, paths x years (``origin + 1 .. until``);
            one entry per name: levels (yuan), paths x years from its last published year + 1.
        """
        population_rngs = population_rngs or {}
        first = min([self.origin, *(self.premium(n).last_year for n in names)]) + 1
        years = np.arange(first, until + 1)
        common = self._sample_common(years, n_paths, rng)
        out = {
            "common": pd.DataFrame(
                common[:, years > self.origin], columns=years[years > self.origin]
            )
        }
        for name in names:
            p = self.premium(name)
            own_rng = population_rngs.get(name, rng)
            keep = years > p.last_year
            growth = common[:, keep] + self._sample_premium(p, years[keep], n_paths, own_rng)
            levels = p.last_value * np.exp(np.cumsum(growth, axis=1))
            out[name] = pd.DataFrame(levels, columns=years[keep])
        return out

    def _sample_common(self, years: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Common growth of ``years``: observed up to the origin, drawn after it. The draws
        cover exactly ``origin + 1 .. years[-1]`` whatever the populations asked for, so one
        generator gives the same common path to every call (the shared shock)."""
        c = self.common
        future = np.arange(self.origin + 1, int(years[-1]) + 1)
        variance = c.dof * c.variance / rng.chisquare(c.dof, size=n)
        mean = self._common_mean() + rng.standard_normal(n) * np.sqrt(variance / c.n_eff)
        shocks = rng.standard_normal((n, len(future))) * np.sqrt(variance)[:, None]
        drawn = dict(zip(future.tolist(), (mean[:, None] + shocks).T, strict=True))
        out = np.empty((n, len(years)))
        for j, year in enumerate(years.tolist()):
            if year in drawn:
                out[:, j] = drawn[year]
            elif year in c.observed.index:
                out[:, j] = c.observed[year]
            else:
                raise MacroError(f"macro layer: no common growth published for {year}")
        return out

    def _sample_premium(
        self, premium: Premium, years: np.ndarray, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        if premium.name == self.settings.common:
            return np.zeros((n, len(years)))
        variance = self.premium_dof * self.premium_variance / rng.chisquare(self.premium_dof, n)
        level = premium.level + rng.standard_normal(n) * np.sqrt(variance / premium.n_eff)
        steps = years - premium.last_year
        shocks = rng.standard_normal((n, len(years))) * np.sqrt(variance)[:, None]
        return level[:, None] * self.decay ** steps[None, :] + shocks

    def forecast(
        self, name: str, until: int, levels: Sequence[float] = (0.8, 0.95)
    ) -> pd.DataFrame:
        """Median and interval bounds of ``name`` for each year after its last published one.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``year``: ``mean`` (the predictive median, as in
            :func:`forecast.series.forecast_series`) and ``lower_<pct>``/``upper_<pct>``.
        """
        rng = np.random.default_rng(INTERVAL_SEED)
        paths = self.sample([name], until, INTERVAL_PATHS, rng)[name]
        return interval_table(paths, levels)


def interval_table(paths: pd.DataFrame, levels: Sequence[float] = (0.8, 0.95)) -> pd.DataFrame:
    """Median and central intervals of each column (year) of a paths x years frame."""
    values = paths.to_numpy(dtype=float)
    frame = pd.DataFrame(
        {"mean": np.median(values, axis=0)},
        index=pd.Index(paths.columns.astype(int), name="year"),
    )
    for level in levels:
        pct = round(level * 100)
        frame[f"lower_{pct}"] = np.quantile(values, (1 - level) / 2, axis=0)
        frame[f"upper_{pct}"] = np.quantile(values, (1 + level) / 2, axis=0)
    return frame


def _fit_common(series: pd.Series, origin: int, decay: float) -> CommonComponent:
    steps = [s for s in spans(series) if s.years == 1]
    if len(steps) < 2:
        raise MacroError(
            f"macro layer at origin {origin}: the common series {series.name!r} needs at "
            f"least three consecutive published years up to {origin}"
        )
    observed = pd.Series({s.last: s.rate for s in steps}, name="common_growth", dtype=float)
    w = _recency_weights(origin - observed.index.to_numpy(), decay)
    mean = float(np.sum(w * observed) / np.sum(w))
    dof = len(observed) - 1
    # Spread around the weighted mean; its n_eff discounts old years like the mean does.
    variance = float(np.sum(w * (observed - mean) ** 2) / np.sum(w) * len(observed) / dof)
    return CommonComponent(
        observed=observed,
        last_year=int(series.index[-1]),
        last_value=float(series.iloc[-1]),
        mean=mean,
        variance=variance,
        dof=float(dof),
        n_eff=float(np.sum(w) ** 2 / np.sum(w**2)),
    )


def _premium_observations(series: pd.Series, common: pd.Series, since: int | None) -> pd.DataFrame:
    rows = []
    for span in spans(series):
        covered = list(span.covers())
        if since is not None and covered[0] < since:
            continue
        if not all(year in common.index for year in covered):
            continue  # the common growth of some year is unknown
        rows.append(
            {
                "year": span.last,
                "years": span.years,
                "premium": span.rate - float(common[covered].mean()),
            }
        )
    return pd.DataFrame(rows, columns=["year", "years", "premium"])


def _fit_decay(observations: Sequence[pd.DataFrame], min_pairs: int) -> float:
    """Yearly persistence of premiums: least squares through the origin on consecutive
    yearly premiums of every population, clipped to [0, 1]."""
    x, y = [], []
    for obs in observations:
        yearly = obs[obs["years"] == 1].set_index("year")["premium"]
        for year, value in yearly.items():
            if year - 1 in yearly.index:
                x.append(yearly[year - 1])
                y.append(value)
    if len(x) < min_pairs or np.dot(x, x) <= 0:
        return 1.0
    return float(np.clip(np.dot(x, y) / np.dot(x, x), 0.0, 1.0))

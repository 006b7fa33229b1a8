"""Household income dynamics estimated from the panel: what the simulation steps forward.

The simulation's trend comes from the macro layer (:mod:`simulation.trend`); the panel gives
what it can say about households around that trend. For every income *source* the panel's
log income is read as

    log y_it = m_t + alpha_i + x_it,     x_it = rho_k x_i,t-1 + u_it,   sd(u_it) = sigma_k

``m_t``
    the year's weighted mean log income from the source (the common path; not used by the
    simulation, whose trend is the macro layer's);
``alpha_i``
    the household's own level: what it earns, relative to the year's mean, when nothing
    unusual happens (a household's trend level);
``x_it``
    its deviation from that level, an AR(1) whose persistence ``rho`` and innovation sd
    ``sigma`` (yearly, log points) depend on the household *type* (labour group x monitored)
    at the start of the year.

Estimation. Deviations ``d_it = log y_it - m_t`` are taken over household-years with positive
income from the source and no illness or disaster shock (shocks have their own rules, rates,
effects and recovery, below; leaving them in would count them twice). Their weighted
autocovariances at lags ``k = 0..5`` are ``gamma_k = a + s rho^k`` (``a`` the variance of the
levels, ``s`` the stationary variance of the AR(1)); ``rho`` and ``a`` are fitted by weighted
least squares over a grid of ``rho`` with ``s = gamma_0 - a``, so the AR(1) carries all of the
non-shock variance around a household's level and the simulated dispersion equals the panel's.
A type is fitted on its own pairs (typed by the earlier year of a pair, the type the
simulation applies during the year) when it has at least ``MIN_PAIRS`` pairs at lags 0 to 3;
otherwise all types are pooled (monitoring began in 2020, so monitored types have at most
two lags up to 2022 and take the pooled fit). With fewer than four panel years the levels are
not told apart from persistence and the AR(1) is fitted around the year's mean (``a = 0``),
as a stated fallback.

``drift`` (mean yearly log growth of a household's own income by type at the start of the
year) is still reported, for comparison; the simulation does not use it.

Household levels and the as-of deviation (:func:`observed_deviations`): the level is the best
linear predictor of ``alpha_i`` from the household's own non-shock years up to ``as_of`` under
the pooled fit (a shrunk mean: few years or noisy ones pull it towards the year's mean), and
the observed deviation is the as-of log income minus it. Why not the type-year mean: a
household's position within its type is mostly permanent (``a`` is most of the variance), so
starting every household from its type's mean would make rich and poor households of a type
converge, which no panel shows; the household's own level keeps who is where and lets only
the transitory part regress.

Types that move (:attr:`IncomeDynamics.labour_transitions`): the weighted yearly share of
households of each type (at ``t - 1``) in each labour group at ``t``, pooled over year pairs.
A type with fewer than ``MIN_PAIRS`` pairs takes its labour group's row pooled over both
monitoring statuses; with fewer still the households stay in their group (assumption: no
evidence of movement). The full 6 x 6 type matrix is reported too; in the simulation the
monitored half of the type is the monitoring system's enrolment, not a draw.

Shocks: the yearly frequency of illness and disaster, their effect on the growth of each
source in the shock year (difference in mean log growth between shocked and other households
in the same year), and the share of that effect recovered the following year (the growth gap,
the year after, between households shocked in ``t - 1`` and not in ``t`` and households
shocked in neither, divided by minus the effect).

The forecasting package's per-series forecasters fit aggregate series; this module needs
household-level persistence by type, so it is a plain statistical function over the panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.schema import SOURCES

SHOCKS: tuple[str, ...] = ("illness", "disaster")
LABOUR_GROUPS: tuple[str, ...] = ("no_labour", "one_labour", "multi_labour")
HOUSEHOLD_TYPES: tuple[str, ...] = tuple(
    f"{labour}/{status}" for status in ("alleviated", "monitored") for labour in LABOUR_GROUPS
)

# Fewer household pairs than this and a type's estimate falls back (to all types pooled, or
# for transitions to both monitoring statuses pooled): a share or a correlation from fewer
# than 30 pairs is mostly noise.
MIN_PAIRS = 30
# Persistence is kept inside [0, 0.99]: a unit root would make the monthly variance explode.
RHO_BOUNDS = (0.0, 0.99)
# Autocovariance lags used to separate levels from the AR(1); longer lags have few pairs and
# lean on the panel's first years.
MAX_LAG = 5
RHO_GRID = np.linspace(*RHO_BOUNDS, 991)
# A shock's recovery is a ratio to its effect: below 5 log points of effect it is noise.
MIN_EFFECT = 0.05
# Shares of a household's starting deviation still there, on which the mean correction of
# fading deviations is tabulated (:func:`observed_deviations`).
FADE_GRID = np.linspace(0.0, 1.0, 51)


def household_type_index(labour_force: np.ndarray, monitored: np.ndarray) -> np.ndarray:
    """Return the index into :data:`HOUSEHOLD_TYPES` of each household.

    Parameters
    ----------
    labour_force : array of int
        Members able to work.
    monitored : array of bool
        Under return-to-poverty monitoring.
    """
    labour = np.clip(np.asarray(labour_force), 0, 2).astype(np.int8)
    return (labour + 3 * np.asarray(monitored, dtype=np.int8)).astype(np.int8)


@dataclass(frozen=True)
class IncomeDynamics:
    """Fitted dynamics of household income by type and source.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by (``household_type``, ``source``); columns ``drift``, ``rho``, ``sigma``
        (yearly, log points), ``level_var`` (variance of household levels ``a``),
        ``deviation_var`` (stationary variance of the AR(1), ``s``), ``pairs`` (lag-1 pairs
        of the type) and ``basis`` (``"type"``, ``"pooled"`` or ``"no levels"``).
    pooled : pandas.DataFrame
        Indexed by source: ``rho``, ``level_var``, ``deviation_var`` of all types pooled (what
        household levels are predicted with).
    shock_rates : dict of str to float
        Weighted yearly share of households hit by each shock (NaN when the panel lacks it).
    shock_effects : pandas.DataFrame
        Indexed by shock, one column per source: mean log growth of shocked households minus
        that of the others in the same year (NaN when not estimable).
    shock_recovery : pandas.DataFrame
        Indexed by shock, one column per source: share of the shock-year effect recovered the
        following year (1: all of it, 0: none; NaN when not estimable).
    labour_transitions : pandas.DataFrame
        Indexed by household type at ``t - 1``, one column per labour group at ``t``: yearly
        transition probabilities (rows sum to one).
    transition_pairs : pandas.DataFrame
        Indexed by household type: ``pairs`` (household pairs behind the type's own row) and
        ``basis`` (``"type"``, ``"pooled over monitoring"`` or ``"assumed: no change"``).
    type_transitions : pandas.DataFrame
        Household type at ``t - 1`` by type at ``t``: weighted yearly shares (NaN rows for
        types never seen), reported for comparison.
    years : tuple of int
        First and last panel year used.
    """

    table: pd.DataFrame
    pooled: pd.DataFrame
    shock_rates: dict[str, float]
    shock_effects: pd.DataFrame
    shock_recovery: pd.DataFrame
    labour_transitions: pd.DataFrame
    transition_pairs: pd.DataFrame
    type_transitions: pd.DataFrame
    years: tuple[int, int]

    def arrays(self) -> dict[str, np.ndarray]:
        """Return ``drift``, ``rho``, ``sigma`` and ``deviation_var`` as arrays of shape
        (types, sources)."""
        out = {}
        for column in ("drift", "rho", "sigma", "deviation_var"):
            frame = (
                self.table[column]
                .unstack("source")
                .reindex(index=list(HOUSEHOLD_TYPES), columns=list(SOURCES))
            )
            out[column] = frame.to_numpy(dtype=float)
        return out

    def transition_matrix(self) -> np.ndarray:
        """Yearly labour-group transition probabilities, shape (types, labour groups)."""
        return self.labour_transitions.reindex(
            index=list(HOUSEHOLD_TYPES), columns=list(LABOUR_GROUPS)
        ).to_numpy(dtype=float)


def _log_positive(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


@dataclass
class _Grid:
    """The panel as household x year arrays (NaN or -1 where a household-year is absent)."""

    ids: np.ndarray  # household ids, one per row
    years: np.ndarray  # the panel's years, one per column
    weight: np.ndarray  # (H, T)
    kind: np.ndarray  # (H, T) household type index, -1 if absent
    shocked: np.ndarray  # (H, T) any shock that year
    hits: dict[str, np.ndarray]  # shock -> (H, T) bool (all False when the panel lacks it)
    known: dict[str, bool]  # shock -> the panel records it
    logs: dict[str, np.ndarray]  # source -> (H, T) log income (NaN if not positive)

    @classmethod
    def from_panel(cls, frame: pd.DataFrame) -> _Grid:
        ids, row = np.unique(frame["household_id"].to_numpy(), return_inverse=True)
        years = np.sort(frame["year"].unique())
        col = np.searchsorted(years, frame["year"].to_numpy())
        shape = (len(ids), len(years))

        def spread(values, fill, dtype):
            out = np.full(shape, fill, dtype=dtype)
            out[row, col] = values
            return out

        weight = spread(frame["weight"].to_numpy(dtype=float), np.nan, float)
        kind = spread(
            household_type_index(
                frame["labour_force"].to_numpy(), frame["monitored"].to_numpy(dtype=bool)
            ),
            -1,
            np.int8,
        )
        hits, known = {}, {}
        for shock in SHOCKS:
            column = f"shock_{shock}"
            known[shock] = column in frame and not frame[column].isna().all()
            flags = (
                frame[column].fillna(False).to_numpy(dtype=bool)
                if known[shock]
                else np.zeros(len(frame), dtype=bool)
            )
            hits[shock] = spread(flags, False, bool)
        shocked = np.logical_or.reduce(list(hits.values()))
        logs = {
            s: spread(_log_positive(frame[f"{s}_income"].to_numpy(dtype=float)), np.nan, float)
            for s in SOURCES
        }
        return cls(ids, years, weight, kind, shocked, hits, known, logs)

    def deviations(self, source: str) -> tuple[np.ndarray, np.ndarray]:
        """Log income minus the year's weighted mean over usable household-years: (usable
        deviations with NaN in shock years, deviations in every year with positive income)."""
        logs = self.logs[source]
        usable = np.isfinite(logs) & ~self.shocked
        w = np.where(usable, self.weight, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(w * np.where(usable, logs, 0.0), axis=0) / w.sum(axis=0)
        every = logs - mean[None, :]
        return np.where(usable, every, np.nan), every


def estimate_dynamics(panel: pd.DataFrame, as_of: int | None = None) -> IncomeDynamics:
    """Estimate levels, AR(1) persistence and innovation sd by type and source, shock
    statistics and type transitions.

    Parameters
    ----------
    panel : pandas.DataFrame
        Household panel in the canonical schema (:mod:`forecast.schema`), at least two years.
    as_of : int, optional
        Last year to use (later rows are ignored, so nothing leaks from the future).

    Returns
    -------
    IncomeDynamics

    Raises
    ------
    ValueError
        If fewer than two years remain.
    """
    frame = panel if as_of is None else panel[panel["year"] <= as_of]
    years = np.sort(frame["year"].unique())
    if len(years) < 2:
        raise ValueError(f"estimate_dynamics: need at least two panel years up to {as_of}")
    grid = _Grid.from_panel(frame)
    rows, pooled_rows, growth = [], [], {}
    consecutive = np.diff(grid.years) == 1  # (T-1,): column t-1 -> t is one year
    for source in SOURCES:
        usable, every = grid.deviations(source)
        logs = grid.logs[source]
        own = np.where(consecutive[None, :], logs[:, 1:] - logs[:, :-1], np.nan)
        growth[source] = own
        drifts = _drifts(own, grid)
        moments = _autocovariances(usable, grid)
        pooled = _fit_levels(*moments["pooled"])
        basis_pooled = "pooled"
        if pooled is None:
            pooled = _fit_without_levels(*moments["pooled"])
            basis_pooled = "no levels"
        pooled_rows.append((source, pooled[2], pooled[0], pooled[1]))
        for k, name in enumerate(HOUSEHOLD_TYPES):
            fitted = _fit_levels(*moments[k])
            basis = "type"
            if fitted is None:
                fitted, basis = pooled, basis_pooled
            level_var, deviation_var, rho = fitted
            sigma = float(np.sqrt(deviation_var * (1 - rho**2)))
            pairs = int(moments[k][1][1])
            rows.append(
                (name, source, drifts[k], rho, sigma, level_var, deviation_var, pairs, basis)
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "household_type",
            "source",
            "drift",
            "rho",
            "sigma",
            "level_var",
            "deviation_var",
            "pairs",
            "basis",
        ],
    ).set_index(["household_type", "source"])
    pooled = pd.DataFrame(
        pooled_rows, columns=["source", "rho", "level_var", "deviation_var"]
    ).set_index("source")
    rates, effects, recovery = _shock_statistics(grid, growth)
    labour, pairs, types = _transitions(grid)
    return IncomeDynamics(
        table=table,
        pooled=pooled,
        shock_rates=rates,
        shock_effects=effects,
        shock_recovery=recovery,
        labour_transitions=labour,
        transition_pairs=pairs,
        type_transitions=types,
        years=(int(years[0]), int(years[-1])),
    )


def _drifts(own: np.ndarray, grid: _Grid) -> list[float]:
    """Mean yearly log growth by type at the start of the year, averaged over year pairs
    (all types pooled where a type has no pair). Reported, not simulated."""
    start = grid.kind[:, :-1]
    w = grid.weight[:, 1:]
    grown = np.isfinite(own) & (start >= 0)
    by_year = []
    for j in range(own.shape[1]):
        g = grown[:, j]
        if g.any():
            by_year.append(np.average(own[g, j], weights=w[g, j]))
    pooled = float(np.mean(by_year)) if by_year else 0.0
    out = []
    for k in range(len(HOUSEHOLD_TYPES)):
        means = []
        for j in range(own.shape[1]):
            g = grown[:, j] & (start[:, j] == k)
            if g.any():
                means.append(np.average(own[g, j], weights=w[g, j]))
        out.append(float(np.mean(means)) if means else pooled)
    return out


def _autocovariances(d: np.ndarray, grid: _Grid) -> dict:
    """Weighted autocovariances of deviations at lags 0..MAX_LAG, by type of the earlier
    year of each pair and pooled: {group: (gamma (lags,), pairs (lags,))}."""
    n_types = len(HOUSEHOLD_TYPES)
    lags = min(MAX_LAG, len(grid.years) - 1) + 1
    sums = np.zeros((5, n_types, lags))  # w, w x, w y, w x y, pairs
    for k in range(lags):
        for j in range(k, len(grid.years)):
            i = j - k
            if grid.years[j] - grid.years[i] != k:
                continue  # a gap in the panel's years: not a lag-k pair
            x, y = d[:, i], d[:, j]
            ok = np.isfinite(x) & np.isfinite(y) & (grid.kind[:, i] >= 0)
            group, w = grid.kind[ok, i], grid.weight[ok, j]
            for slot, values in enumerate((w, w * x[ok], w * y[ok], w * x[ok] * y[ok])):
                sums[slot, :, k] += np.bincount(group, weights=values, minlength=n_types)
            sums[4, :, k] += np.bincount(group, minlength=n_types)

    def covariance(s):
        w, wx, wy, wxy, pairs = s
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = wxy / w - (wx / w) * (wy / w)
        return gamma, pairs

    out = {k: covariance(sums[:, k, :]) for k in range(n_types)}
    out["pooled"] = covariance(sums.sum(axis=1))
    return out


def _fit_levels(gamma: np.ndarray, pairs: np.ndarray) -> tuple[float, float, float] | None:
    """Fit ``gamma_k = a + (gamma_0 - a) rho^k`` for k >= 1 by weighted least squares.

    Returns (a, s, rho) with ``s = gamma_0 - a``, or None without ``MIN_PAIRS`` pairs at lags
    0 to 3: two parameters from three lags, so that a fit that does not hold shows (with two
    lags the fit is exact whatever the process, and a handful of pairs can put all the
    variance in the levels).
    """
    ok = (pairs >= MIN_PAIRS) & np.isfinite(gamma)
    if len(ok) < 4 or not ok[:4].all() or gamma[0] <= 0:
        return None
    lag = np.flatnonzero(ok[1:]) + 1
    g0, g, n = gamma[0], gamma[lag], pairs[lag].astype(float)
    power = RHO_GRID[:, None] ** lag[None, :]  # (grid, lags)
    target = g[None, :] - g0 * power  # = a (1 - rho^k)
    basis = 1 - power
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.sum(n * basis * target, axis=1) / np.sum(n * basis**2, axis=1)
    a = np.clip(np.nan_to_num(a), 0.0, g0)
    loss = np.sum(n * (target - a[:, None] * basis) ** 2, axis=1)
    best = int(np.argmin(loss))
    level_var = float(a[best])
    return level_var, float(g0 - level_var), float(RHO_GRID[best])


def _fit_without_levels(gamma: np.ndarray, pairs: np.ndarray) -> tuple[float, float, float]:
    """Fallback without levels (fewer than three years): AR(1) around the year's mean."""
    g0 = float(gamma[0]) if len(gamma) and np.isfinite(gamma[0]) and gamma[0] > 0 else 0.0
    rho = 0.0
    if len(gamma) > 1 and pairs[1] >= 2 and g0 > 0 and np.isfinite(gamma[1]):
        rho = float(np.clip(gamma[1] / g0, *RHO_BOUNDS))
    return 0.0, g0, rho


def _shock_statistics(
    grid: _Grid, growth: dict[str, np.ndarray]
) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Shock rates, shock-year effects and the share of the effect recovered a year later.

    ``growth[source]`` is (H, T-1): log growth from column j to j + 1.
    """
    rates: dict[str, float] = {}
    effects = pd.DataFrame(np.nan, index=list(SHOCKS), columns=list(SOURCES))
    recovery = pd.DataFrame(np.nan, index=list(SHOCKS), columns=list(SOURCES))
    present = np.isfinite(grid.weight)
    w_end = grid.weight[:, 1:]
    for shock in SHOCKS:
        if not grid.known[shock]:
            rates[shock] = float("nan")
            continue
        hit = grid.hits[shock]
        rates[shock] = float(
            np.sum(grid.weight[present] * hit[present]) / grid.weight[present].sum()
        )
        for source, own in growth.items():
            # Shock year: hit at t against everyone else at t (growth into t).
            effect = _gap(own, w_end, hit[:, 1:], ~hit[:, 1:])
            if effect is None:
                continue
            effects.loc[shock, source] = effect
            # Year after: hit at t-1, no shock at t, against no shock in either year.
            after = hit[:, :-1] & ~grid.shocked[:, 1:]
            calm = ~grid.shocked[:, :-1] & ~grid.shocked[:, 1:]
            gap = _gap(own, w_end, after, calm)
            if gap is not None and effect < -MIN_EFFECT:
                recovery.loc[shock, source] = float(-gap / effect)
    return rates, effects, recovery


def _gap(own, weight, group, other) -> float | None:
    """Weighted mean growth of ``group`` minus that of ``other`` within each year pair,
    averaged with the group's weight; None with fewer than MIN_PAIRS of either."""
    ok = np.isfinite(own)
    a, b = ok & group, ok & other
    if a.sum() < MIN_PAIRS or b.sum() < MIN_PAIRS:
        return None
    diffs, sizes = [], []
    for j in range(own.shape[1]):
        aj, bj = a[:, j], b[:, j]
        if aj.any() and bj.any():
            diffs.append(
                np.average(own[aj, j], weights=weight[aj, j])
                - np.average(own[bj, j], weights=weight[bj, j])
            )
            sizes.append(weight[aj, j].sum())
    return float(np.average(diffs, weights=sizes)) if diffs else None


def _transitions(grid: _Grid) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Weighted yearly transitions from the type at t-1 to the type (and labour group) at t."""
    n = len(HOUSEHOLD_TYPES)
    counts = np.zeros((n, n))
    pairs = np.zeros(n, dtype=np.int64)
    for j in range(1, len(grid.years)):
        if grid.years[j] - grid.years[j - 1] != 1:
            continue
        a, b = grid.kind[:, j - 1], grid.kind[:, j]
        ok = (a >= 0) & (b >= 0)
        np.add.at(counts, (a[ok], b[ok]), grid.weight[ok, j - 1])
        pairs += np.bincount(a[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        types = counts / counts.sum(axis=1, keepdims=True)
    to_group = counts[:, :3] + counts[:, 3:]  # (from type, labour group at t)
    labour = np.zeros((n, 3))
    basis = []
    for k in range(n):
        group = k % 3
        both = (group, group + 3)
        if pairs[k] >= MIN_PAIRS:
            row, why = to_group[k], "type"
        elif pairs[list(both)].sum() >= MIN_PAIRS:
            row, why = to_group[list(both)].sum(axis=0), "pooled over monitoring"
        else:
            row, why = np.eye(3)[group], "assumed: no change"
        labour[k] = row / row.sum()
        basis.append(why)
    index = pd.Index(list(HOUSEHOLD_TYPES), name="household_type")
    return (
        pd.DataFrame(labour, index=index, columns=list(LABOUR_GROUPS)),
        pd.DataFrame({"pairs": pairs, "basis": basis}, index=index),
        pd.DataFrame(types, index=index, columns=list(HOUSEHOLD_TYPES)),
    )


def observed_deviations(
    panel: pd.DataFrame, dynamics: IncomeDynamics, as_of: int, household_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each household's as-of deviation from its own level, by source.

    Parameters
    ----------
    panel : pandas.DataFrame
        The panel (rows after ``as_of`` are ignored).
    dynamics : IncomeDynamics
        Fitted on the same panel up to ``as_of`` (its ``pooled`` fit predicts the levels).
    as_of : int
        The year whose deviation is wanted.
    household_ids : array
        Households to return, in this order (all must be in the ``as_of`` year).

    Returns
    -------
    deviation : ndarray, shape (4, n)
        ``x_i = log y_iT - m_T - alpha_hat_i``: the as-of log income minus the household's
        level (best linear predictor from its non-shock years up to ``as_of``). It includes the
        effect of a shock in ``as_of``. NaN where the as-of income from the source is not
        positive.
    correction : ndarray, shape (4, len(FADE_GRID))
        ``g(R) = log(sum w L exp(R x) / sum w L)`` on :data:`FADE_GRID`, with ``L = y exp(-x)``
        the household's level in yuan, over households without a shock in ``as_of``. A
        household whose deviation has faded to ``R x`` earns ``L exp(R x + g(1) - g(R))``
        (before new noise): its as-of income at ``R = 1``, and a population mean income that
        stays what it was as the deviations fade (``R -> 0``), whatever their distribution.
        (A level is a median: without the correction, fading skewed deviations would move
        the mean.) Households hit by a shock are left out: their shock recovers by its rule.
    """
    frame = panel[panel["year"] <= as_of]
    grid = _Grid.from_panel(frame)
    rows = np.searchsorted(grid.ids, household_ids)
    rows = np.clip(rows, 0, len(grid.ids) - 1)
    if not np.array_equal(grid.ids[rows], household_ids):
        raise ValueError(f"observed_deviations: households missing from the panel in {as_of}")
    last = int(np.flatnonzero(grid.years == as_of)[0])
    deviation = np.full((len(SOURCES), len(household_ids)), np.nan)
    correction = np.zeros((len(SOURCES), len(FADE_GRID)))
    weight = grid.weight[rows, last]
    shocked_now = grid.shocked[rows, last]
    for s, source in enumerate(SOURCES):
        usable, every = grid.deviations(source)
        p = dynamics.pooled.loc[source]
        level = _predicted_levels(
            usable[rows, : last + 1],
            grid.years[: last + 1],
            float(p["level_var"]),
            float(p["deviation_var"]),
            float(p["rho"]),
        )
        deviation[s] = every[rows, last] - level
        ok = np.isfinite(deviation[s]) & ~shocked_now
        if ok.any():
            x = deviation[s][ok]
            held = weight[ok] * np.exp(grid.logs[source][rows, last][ok] - x)  # w L
            faded = [np.exp(fade * x) @ held for fade in FADE_GRID]  # one grid point at a time
            correction[s] = np.log(np.asarray(faded) / held.sum())
    return deviation, correction


def _predicted_levels(
    d: np.ndarray, years: np.ndarray, level_var: float, deviation_var: float, rho: float
) -> np.ndarray:
    """Best linear predictor of each household's level from its observed deviations ``d``
    (rows: households, NaN where unusable) under ``d_t = alpha + x_t``, ``var(alpha) =
    level_var``, ``x`` a stationary AR(1) of variance ``deviation_var`` and persistence
    ``rho``. Households are grouped by which years they have, one solve per pattern."""
    n, t = d.shape
    level = np.zeros(n)
    if level_var <= 0 or t == 0:
        return level
    seen = np.isfinite(d)
    code = seen @ (1 << np.arange(t, dtype=np.int64))
    lag = np.abs(years[:, None] - years[None, :])
    cov = level_var + deviation_var * rho**lag
    ridge = 1e-9 * (level_var + deviation_var)
    for pattern in np.unique(code):
        if pattern == 0:
            continue
        cols = np.flatnonzero((pattern >> np.arange(t)) & 1)
        sigma = cov[np.ix_(cols, cols)] + ridge * np.eye(len(cols))
        weights = level_var * np.linalg.solve(sigma, np.ones(len(cols)))
        members = code == pattern
        level[members] = d[np.ix_(members, cols)] @ weights
    return level

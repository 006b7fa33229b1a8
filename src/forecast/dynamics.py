"""Household income dynamics estimated from the panel: what the simulation steps forward.

For every household *type* and income *source* the panel gives three numbers:

``drift``
    mean yearly log growth of a household's own income from that source: the weighted mean
    of ``log(y_it / y_i,t-1)`` over households of the type *at the start of the year* (the
    type in ``t-1``) with positive income in both years, averaged over the panel's year
    pairs. (Growth of the type's mean income would also count households moving between
    types, e.g. leaving monitoring as they recover, as growth.);
``rho``
    AR(1) persistence of a household's log income around its type's yearly mean;
``sigma``
    standard deviation of the AR(1) innovation (yearly, in log points).

The AR(1) is fitted by pooled least squares on households with positive income from the
source in consecutive years: ``e_it = rho * e_i,t-1 + u_it`` where ``e_it`` is the household's
log income minus its type-year weighted mean log income. The panel also gives the yearly
frequency of illness and disaster shocks and their effect on the growth of each source
(difference in mean log growth between shocked and other households), used by the simulation
in place of typed-in severities.

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

# Pooled AR(1) estimates need enough household pairs; fewer fall back to all types pooled.
MIN_PAIRS = 30
# Persistence is kept inside (0, 0.99]: a unit root would make the monthly variance explode.
RHO_BOUNDS = (0.0, 0.99)


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
        (yearly, log points) and ``pairs`` (household-year pairs behind ``rho``/``sigma``).
    shock_rates : dict of str to float
        Weighted yearly share of households hit by each shock (NaN when the panel lacks it).
    shock_effects : pandas.DataFrame
        Indexed by shock, one column per source: mean log growth of shocked households minus
        that of the others in the same year (NaN when not estimable).
    years : tuple of int
        First and last panel year used.
    """

    table: pd.DataFrame
    shock_rates: dict[str, float]
    shock_effects: pd.DataFrame
    years: tuple[int, int]

    def arrays(self) -> dict[str, np.ndarray]:
        """Return ``drift``, ``rho`` and ``sigma`` as arrays of shape (types, sources)."""
        out = {}
        for column in ("drift", "rho", "sigma"):
            frame = (
                self.table[column]
                .unstack("source")
                .reindex(index=list(HOUSEHOLD_TYPES), columns=list(SOURCES))
            )
            out[column] = frame.to_numpy(dtype=float)
        return out


def _log_positive(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def estimate_dynamics(panel: pd.DataFrame, as_of: int | None = None) -> IncomeDynamics:
    """Estimate drift, AR(1) persistence and innovation sd of each source by household type.

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
    frame = frame.sort_values(["household_id", "year"])
    hid = frame["household_id"].to_numpy()
    year = frame["year"].to_numpy()
    weight = frame["weight"].to_numpy(dtype=float)
    kind = household_type_index(
        frame["labour_force"].to_numpy(), frame["monitored"].to_numpy(dtype=bool)
    )
    # Each row's predecessor is the same household's previous year.
    previous = np.r_[False, (hid[1:] == hid[:-1]) & (year[1:] == year[:-1] + 1)]
    cell = (year - years[0]) * len(HOUSEHOLD_TYPES) + kind  # type-year cell of each row
    n_cells = len(years) * len(HOUSEHOLD_TYPES)

    rows = []
    log_growth = {}
    for source in SOURCES:
        values = frame[f"{source}_income"].to_numpy(dtype=float)
        logs = _log_positive(values)
        # Drift: households' own log growth, grouped by their type at the start of the
        # year; the mean over year pairs (all types pooled where a type has no pair).
        own = np.where(previous, logs - np.r_[np.nan, logs[:-1]], np.nan)
        grown = np.isfinite(own)
        start_cell = (year - years[0]) * len(HOUSEHOLD_TYPES) + np.r_[0, kind[:-1]]
        sums = np.bincount(start_cell[grown], weights=(weight * own)[grown], minlength=n_cells)
        totals = np.bincount(start_cell[grown], weights=weight[grown], minlength=n_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = (sums / np.where(totals > 0, totals, np.nan)).reshape(len(years), -1)[1:]
            by_year = np.bincount(year[grown] - years[0], weights=(weight * own)[grown])
            by_year /= np.bincount(year[grown] - years[0], weights=weight[grown])
        pooled_growth = float(np.nanmean(by_year[1:])) if grown.any() else 0.0
        # Deviation from the type-year weighted mean log income.
        ok = np.isfinite(logs)
        log_sums = np.bincount(cell[ok], weights=(weight * logs)[ok], minlength=n_cells)
        log_totals = np.bincount(cell[ok], weights=weight[ok], minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            deviation = logs - (log_sums / log_totals)[cell]
        lagged = np.r_[np.nan, deviation[:-1]]
        pair = previous & np.isfinite(deviation) & np.isfinite(lagged)
        log_growth[source] = own
        all_rho, all_sigma = _ar1(lagged[pair], deviation[pair], weight[pair])
        for k, name in enumerate(HOUSEHOLD_TYPES):
            finite = growth[:, k][np.isfinite(growth[:, k])]
            drift = float(finite.mean()) if len(finite) else pooled_growth
            mine = pair & (kind == k)
            n_pairs = int(mine.sum())
            if n_pairs >= MIN_PAIRS:
                rho, sigma = _ar1(lagged[mine], deviation[mine], weight[mine])
            else:
                rho, sigma = all_rho, all_sigma
            rows.append((name, source, drift, rho, sigma, n_pairs))
    table = pd.DataFrame(
        rows, columns=["household_type", "source", "drift", "rho", "sigma", "pairs"]
    ).set_index(["household_type", "source"])
    rates, effects = _shock_statistics(frame, weight, year, log_growth)
    return IncomeDynamics(table, rates, effects, (int(years[0]), int(years[-1])))


def _ar1(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted least squares of ``y = rho x + u`` through the origin; returns (rho, sd(u))."""
    if len(x) < 2 or np.sum(w * x * x) <= 0:
        return 0.0, 0.0
    rho = float(np.clip(np.sum(w * x * y) / np.sum(w * x * x), *RHO_BOUNDS))
    residual = y - rho * x
    return rho, float(np.sqrt(np.sum(w * residual**2) / np.sum(w)))


def _shock_statistics(
    frame: pd.DataFrame, weight: np.ndarray, year: np.ndarray, log_growth: dict[str, np.ndarray]
) -> tuple[dict[str, float], pd.DataFrame]:
    rates: dict[str, float] = {}
    effects = pd.DataFrame(np.nan, index=list(SHOCKS), columns=list(SOURCES))
    for shock in SHOCKS:
        column = f"shock_{shock}"
        if column not in frame or frame[column].isna().all():
            rates[shock] = float("nan")
            continue
        hit = frame[column].fillna(False).to_numpy(dtype=bool)
        rates[shock] = float(np.sum(weight * hit) / np.sum(weight))
        for source, growth in log_growth.items():
            ok = np.isfinite(growth)
            shocked, other = ok & hit, ok & ~hit
            if shocked.sum() < MIN_PAIRS or other.sum() < MIN_PAIRS:
                continue
            # Compare within years so a bad year does not count as a shock effect.
            diffs, sizes = [], []
            for y in np.unique(year[shocked]):
                a, b = shocked & (year == y), other & (year == y)
                if a.any() and b.any():
                    diffs.append(
                        np.average(growth[a], weights=weight[a])
                        - np.average(growth[b], weights=weight[b])
                    )
                    sizes.append(weight[a].sum())
            if diffs:
                effects.loc[shock, source] = float(np.average(diffs, weights=sizes))
    return rates, effects

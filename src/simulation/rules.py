"""The household rules, written once for arrays and used by both models.

Every function takes NumPy arrays (or scalars, which broadcast) so that the vectorised model
applies it to a whole province at once and the per-household reference model applies it to one
household at a time: the two models differ only in how they loop, not in what they compute.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from forecast.schema import SOURCES as SOURCES  # the schema's sources, no "_income"

WAGE, OPERATING, PROPERTY, TRANSFER = range(4)

# Flags a village lever may mark its villages with (``marks:`` in the lever's YAML); the
# households of a marked village carry the flag in their state, for eligibility rules.
MARKS: tuple[str, ...] = ("tourism_village",)

# Who a lever may reach. Each rule reads the household state (a mapping of arrays) and the
# lever (for its own thresholds).
ELIGIBILITY: dict[str, Callable[[dict, Any], np.ndarray]] = {
    "all": lambda s, m: np.ones_like(s["members"], dtype=bool),
    "with_labour": lambda s, m: s["labour_force"] > 0,
    "with_two_labour": lambda s, m: s["labour_force"] >= 2,
    "with_operating": lambda s, m: s["operating"] > 0,
    "in_tourism_village": lambda s, m: s["tourism_village"],
    "with_labour_in_tourism_village": lambda s, m: (s["labour_force"] > 0) & s["tourism_village"],
    "with_labour_in_key_county": lambda s, m: (s["labour_force"] > 0) & s["key_county"],
    "relocated_with_labour": lambda s, m: (s["labour_force"] > 0) & s["relocated"],
    # 一对一帮扶: households under the lever's own threshold (yuan per person).
    "under_one_to_one_threshold": lambda s, m: (
        s["income_per_capita"] < float(m.extra["threshold"].value)
    ),
}


def shortfall_reason(
    unit: str,
    asked: float,
    available: float,
    refused_capacity: float = 0.0,
    refused_budget: float = 0.0,
) -> str:
    """Why a lever could not reach the scale it asked for (``""`` when it could).

    ``unit`` is what its scale counts: ``households`` and ``villages`` run out of eligible
    ones; a ``yuan`` pool finds no eligible household to spread over. Counties refuse
    households (or villages) for want of places (``refused_capacity``) or of funds
    (``refused_budget``); each reason is named with what it refused.
    """
    reasons = []
    if asked > available * (1 + 1e-9) and asked > 0:
        if unit == "yuan":
            reasons.append("no eligible household to spread the money over")
        else:
            reasons.append(
                f"eligible pool exhausted: {available:,.0f} eligible {unit} for {asked:,.0f} asked"
            )
    if refused_capacity > 0:
        reasons.append(f"capacity: {refused_capacity:,.0f} {unit} refused for want of places")
    if refused_budget > 0:
        reasons.append(f"budget: {refused_budget:,.0f} {unit} refused for want of funds")
    return "; ".join(reasons)


def eligible(measure, state: dict) -> np.ndarray:
    """Mask of the households ``measure`` may reach (its ``eligible`` rule)."""
    return ELIGIBILITY[measure.eligible](state, measure)


def stream(seed: int, name: str) -> np.random.Generator:
    """Return the generator of one named random stream of a replication.

    Streams are keyed by name, not by order of creation, so switching a measure off leaves
    the draws of every other component unchanged (common random numbers across scenarios).
    """
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def monthly_ar1(rho: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn yearly AR(1) persistence and innovation sd into monthly ones.

    The monthly persistence is ``rho ** (1/12)``; the monthly innovation sd keeps the
    stationary variance ``sigma**2 / (1 - rho**2)`` of the yearly process.
    """
    rho = np.asarray(rho, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    rho_m = rho ** (1 / 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rho < 1, (1 - rho_m**2) / (1 - rho**2), 1 / 12)
    return rho_m, sigma * np.sqrt(ratio)


def ar1_step(deviation, rho_m, sigma_m, innovation):
    """Advance log deviations one month (in place for arrays) and return them."""
    deviation *= rho_m
    deviation += sigma_m * innovation
    return deviation


def ar1_variance(variance, rho_m, sigma_m):
    """Variance of the deviations after one more month (what the mean-one correction uses)."""
    return rho_m**2 * variance + sigma_m**2


def fading_correction(table, fade):
    """Log correction that keeps the population's mean as starting deviations fade.

    ``table`` (sources, grid) holds ``g(R)`` on an even grid of ``R`` from 0 to 1
    (:func:`forecast.dynamics.observed_deviations`); ``fade`` (sources, n) is the share ``R``
    of each household's starting deviation still there. Returns ``g(1) - g(R)``.
    """
    table = np.asarray(table, dtype=float)
    grid = np.linspace(0.0, 1.0, table.shape[1])
    out = np.empty(np.shape(fade))
    for s in range(table.shape[0]):
        out[s] = table[s, -1] - np.interp(fade[s], grid, table[s])
    return out


def trend_income(base, log_trend, variance, deviation):
    """Yearly income rate of a source: base x trend x AR(1) noise, the noise's mean made one
    by ``-variance / 2`` (one exponential for all three)."""
    exponent = log_trend - 0.5 * variance
    exponent += deviation
    return base * np.exp(exponent, out=exponent)


def monthly_hazard(yearly_rate) -> np.ndarray:
    """Monthly probability equivalent to a yearly probability."""
    return 1 - (1 - np.asarray(yearly_rate, dtype=float)) ** (1 / 12)


def shock_multiplier(log_effect, active, insured_share=0.0):
    """Income multiplier while a shock is active; insurance pays back a share of the loss."""
    loss = 1 - np.exp(log_effect)
    return np.where(active, 1 - loss * (1 - insured_share), 1.0)


def shock_effect(remaining, full, effect, decay):
    """A shock's log effect this month: ``effect`` while in its full period (``full``),
    afterwards the remaining effect times ``decay`` (the monthly share of it that stays)."""
    return np.where(full, effect, remaining * decay)


def monthly_decay(recovery_rate) -> float:
    """Monthly share of a shock's remaining loss that stays, from the yearly share recovered."""
    return float((1 - np.clip(recovery_rate, 0.0, 1.0)) ** (1 / 12))


def remaining_share(recovery_rate: float, duration: int) -> float:
    """Share of a shock's shock-year effect on yearly income still there the following year.

    The rule: the full effect for ``duration`` months from a strike in a month drawn
    uniformly over the year, then the remaining effect decays by :func:`monthly_decay`.
    The shares are of yearly mean log effects (months averaged, strike months averaged): the
    annual view the panel gives.
    """
    decay = monthly_decay(recovery_rate)
    months = np.arange(24)
    this_year = next_year = 0.0
    for strike in range(12):
        since = months - strike
        after = since - duration + 1  # months past the full period
        profile = np.where(since < 0, 0.0, np.where(after <= 0, 1.0, decay ** np.maximum(after, 0)))
        this_year += profile[:12].sum()
        next_year += profile[12:].sum()
    return float(next_year / this_year)


def recovery_rate(recovered_share: float, duration: int) -> float:
    """Yearly recovery rate under which the rule (:func:`remaining_share`) leaves
    ``1 - recovered_share`` of the shock-year effect the following year.

    The panel gives ``recovered_share`` (the growth gap the year after a shock over the
    shock-year gap). A share the full period alone cannot reach (the period spills into the
    next year) gives 1: the effect ends with its period; a share at or below what a permanent
    effect leaves gives 0. Solved by bisection.
    """
    target = 1 - float(recovered_share)
    if target <= remaining_share(1.0, duration):
        return 1.0
    if target >= remaining_share(0.0, duration):
        return 0.0
    low, high = 0.0, 1.0  # remaining_share falls as the rate rises
    for _ in range(60):
        mid = 0.5 * (low + high)
        if remaining_share(mid, duration) > target:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def effect_amount(kind: str, size: float, source_income, members, per_member: bool):
    """Yuan per household per year a recipient gains from a lever's effect on one source.

    ``add``: a fixed amount (per member if ``per_member``); ``scale``: a share of the
    household's current income from the source (nothing if it is not positive).
    """
    if kind == "add":
        return size * (members if per_member else 1) + 0 * np.asarray(source_income)
    if kind == "scale":
        return size * np.maximum(source_income, 0)
    raise ValueError(f"effect kind {kind!r} has no per-household amount")


def assistance_topup(income_per_capita, line, members, gap_closure):
    """Yuan per household per year that closes ``gap_closure`` of the gap to the line."""
    return gap_closure * np.maximum(line - income_per_capita, 0) * members


def detection_lag(township_interval: float, county_interval: float) -> float:
    """Mean months from a village flag to county scheduling.

    Village screening is continuous; a flag waits on average half a township interval for
    review and half a county interval for scheduling.
    """
    return 0.5 * float(township_interval) + 0.5 * float(county_interval)


def lag_months(mean_lag: float, uniform):
    """Whole months of detection lag with mean ``mean_lag``: its whole part, plus one more
    month with probability equal to its fractional part (``uniform`` on [0, 1))."""
    whole = np.floor(mean_lag)
    return (whole + (np.asarray(uniform) < mean_lag - whole)).astype(np.int32)


def select_lowest(values: np.ndarray, weights: np.ndarray, quota: float) -> np.ndarray:
    """Return a mask of the households with the lowest values whose weights fill ``quota``."""
    order = np.argsort(values, kind="stable")
    filled = np.cumsum(weights[order]) - weights[order]  # weight before each household
    chosen = np.zeros(len(values), dtype=bool)
    chosen[order[filled < quota]] = True
    return chosen


def select_share(values: np.ndarray, weights: np.ndarray, quota: float, strict: bool = False):
    """Mask of the lowest ``values`` whose weights fill ``quota`` without bias or beyond it.

    A household is taken when the middle of its weight falls within the quota (rounding to
    the nearest household: the expected total is the quota), or, ``strict``, when all of
    it does (the total never exceeds the quota: a budget or a count of places).
    """
    order = np.argsort(values, kind="stable")
    w = weights[order]
    filled = np.cumsum(w) - (0.0 if strict else 0.5 * w)
    chosen = np.zeros(len(values), dtype=bool)
    chosen[order[filled <= quota * (1 + 1e-12)]] = True
    return chosen


def weight_before(group: np.ndarray, key: np.ndarray, weight: np.ndarray, mask: np.ndarray):
    """For each of the ``mask``-ed units, the weight of its group's masked units with a lower
    ``key``, plus half its own (the middle of its weight in its group's queue); ``inf``
    elsewhere. One sort for every group: a county taking its lowest keys up to a quota takes
    the units whose value is within the quota (as :func:`select_share`, all counties at once).
    """
    idx = np.flatnonzero(mask)
    if not len(idx):
        return np.full(len(key), np.inf)
    k, g = key[idx], group[idx]
    # One sort of a combined key (groups apart by more than the keys' span). The keys are
    # continuous draws, so no two are equal and the order does not depend on the algorithm.
    low = float(k.min())
    span = float(k.max()) - low + 1.0
    perm = np.argsort(g * span + (k - low))
    order, g = idx[perm], g[perm]
    w = weight[order]
    cum = np.cumsum(w)
    counts = np.bincount(g)
    first = (np.cumsum(counts) - counts)[g]  # each unit's group's first position
    before_group = np.concatenate(([0.0], cum))[first]
    out = np.full(len(key), np.inf)
    out[order] = cum - before_group - 0.5 * w
    return out

"""A synthetic panel of Yunnan's poverty-alleviated and monitored households.

Real microdata of the income monitoring system is not public. This generator draws a sample of
households whose weighted aggregates match what is published (``data/public_statistics.yaml``)
and whose histories have the structure income models need: persistent household differences,
serially correlated shocks, occasional large shocks (illness, disaster), a labour-market shock
year, and the plan's measures. Every parameter sits in ``data/synthetic_panel.yaml`` with a
source or an assumption.

How the calibration works: each source's income is a fixed part (sourced yuan amounts of
measures: ranger and public-welfare wages, minimum-living allowance, collective dividends) plus
a variable part drawn from the household's earning power. Each year, the variable part of each
source is scaled by one factor so that the weighted mean per person equals the published (or
interpolated) figure for that source. Measures therefore change *who* earns what, while the
province's mean is pinned to the published series: the panel cannot claim income gains that
the statistics do not show.

The monitoring mechanism (防止返贫动态监测和帮扶, from 2020): each year, households whose
per-capita income before assistance is under the year's monitoring line are identified
(``monitored`` from then on, typed by ``monitored_type``) and lifted above the line by the end
of the year through transfer income, except a stated residual share found too late. The
assistance is part of the published transfer mean, not added to it: transfers are scaled last,
with the assistance paid out of their variable part, so every published mean still holds. From
the year every household under the line was reached (2022, Yunnan's floor of 7,000 yuan) all
of them are identified; before it, identification was partial and reaches a stated share of
people, poorest first. The line, the shares and the targets the calibration report checks
(``targets``) are in the parameter file, with their sources.

As of an origin year: ``synthesize_panel(..., as_of=Y)`` reads only what was known at the end
of Y. Year-keyed parameters are cut at Y before interpolation, parameters (or years of them)
derived from a later publication declare ``known_in:`` and give way to a stated
``before_known:`` assumption, and parameters that cite a published figure (``statistic:``)
must agree with ``public_statistics.yaml`` as of Y.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.parameters import ParameterError, by_year, load_parameters
from forecast.paths import data_file
from forecast.progress import progress_bar
from forecast.schema import (
    COLUMN_NAMES,
    HEAD_EDUCATION_LEVELS,
    KEY_COUNTY_LEVELS,
    MEASURES,
    MONITORED_TYPES,
    SOURCES,
)
from forecast.statistics import PublicStatistics, StatisticsError, as_statistics

FIRST_YEAR = 2016
LAST_PUBLISHED_YEAR = 2022
MONITORING_STREAM = 1  # second word of the monitoring stream's seed: [seed, 1]


def load_generator_parameters(
    path: str | Path | None = None,
    *,
    as_of: int | None = None,
    statistics: PublicStatistics | str | Path | None = None,
) -> dict[str, Any]:
    """Read the generator's parameter file, optionally as known at the end of ``as_of``.

    Parameters
    ----------
    path : path, optional
        Parameter file; default ``data/synthetic_panel.yaml``.
    as_of : int, optional
        Origin year. Year-keyed values after it are cut (interpolation then holds the last
        value at or before it flat); an entry, or a year of it, whose ``known_in`` is after it
        is dropped and its ``before_known`` values (a stated assumption) fill the gap.
        Default: everything in the file.
    statistics : PublicStatistics or path, optional
        Published statistics that entries citing ``statistic: KEY.PATH`` must agree with, as
        of ``as_of``, in every year both give; default ``data/public_statistics.yaml``.

    Returns
    -------
    dict
        ``{group: {name: value}}``, the values of :func:`forecast.parameters.load_parameters`.

    Raises
    ------
    ParameterError
        Naming the file, the key and the reason: a malformed entry, a ``known_in`` without a
        ``before_known`` assumption, nothing known as of ``as_of``, or a value that differs
        from the published figure it cites.
    """
    path = Path(path) if path else data_file("synthetic_panel.yaml")
    entries_by_group = load_parameters(path)  # each with a unit and a source or an assumption
    stats = as_statistics(statistics)
    if as_of is not None:
        stats = stats.until(as_of)
    resolved: dict[str, Any] = {}
    for group, entries in entries_by_group.items():
        if not isinstance(entries, dict):
            resolved[group] = entries
            continue
        resolved[group] = {}
        for name, sourced in entries.items():
            entry, key = {"value": sourced.value, **sourced.extra}, f"{group}.{name}"
            value = _value_as_of(entry, as_of, path, key)
            if "statistic" in entry:
                _check_statistic(value, entry["statistic"], stats, path, key)
            resolved[group][name] = value
    anchors = resolved["income"]["mean_per_capita"]
    if len(anchors) < 2:
        raise ParameterError(
            path,
            "income.mean_per_capita",
            f"as of {as_of} only {sorted(anchors)} is known; the income path needs a second "
            "published mean (the next in the file is later)",
        )
    return resolved


def _is_year(key: Any) -> bool:
    return isinstance(key, int) and not isinstance(key, bool)


def _is_year_map(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(map(_is_year, value))


def _value_as_of(entry: Mapping, origin: int | None, path: Path, key: str) -> Any:
    """An entry's value as known at the end of ``origin`` (``None``: the whole value)."""
    value, known_in, earlier = entry["value"], entry.get("known_in"), entry.get("before_known")
    if known_in is not None:
        late_years = known_in if isinstance(known_in, Mapping) else {}
        if not (_is_year(known_in) or late_years and _is_year_map(value)):
            raise ParameterError(
                path,
                f"{key}.known_in",
                f"expected a year, or {{year: year}} for a year-keyed value, got {known_in!r}",
            )
        if any(y not in value or not _is_year(k) or k < y for y, k in late_years.items()):
            raise ParameterError(
                path,
                f"{key}.known_in",
                "each year must be one of the value's years and be published no earlier than "
                f"itself, got {known_in!r}",
            )
        if not (isinstance(earlier, Mapping) and {"value", "assumption"} <= set(earlier)):
            raise ParameterError(
                path,
                key,
                "known_in needs a before_known with a value and the assumption that stands in "
                "for earlier origins",
            )
    if origin is None:
        return value
    if _is_year(known_in) and known_in > origin:
        value = earlier["value"]
    if not _is_year_map(value):
        return value
    late_years = known_in if isinstance(known_in, Mapping) else {}
    kept = {y: v for y, v in value.items() if y <= origin and late_years.get(y, y) <= origin}
    if any(y <= origin < late_years.get(y, y) for y in value):
        for year, v in earlier["value"].items():
            if year <= origin:
                kept.setdefault(year, v)
    if not kept:
        raise ParameterError(path, key, f"no value is known as of {origin}")
    return dict(sorted(kept.items()))


def _cut_years(values: Mapping[str, Any], origin: int) -> dict[str, Any]:
    """Parsed values ``{group: {name: value}}`` without the years after ``origin``."""
    return {
        group: {
            name: _value_as_of({"value": value}, origin, Path("<parameters>"), f"{group}.{name}")
            for name, value in entries.items()
        }
        if isinstance(entries, Mapping)
        else entries
        for group, entries in values.items()
    }


def _check_statistic(
    value: Any, cited: str | Mapping, stats: PublicStatistics, path: Path, key: str
) -> None:
    """Refuse a parameter that differs from the published figure it cites.

    ``cited`` is a dotted key, or ``{year: dotted key}`` for a year-keyed value whose years are
    published under different keys (only the years the value holds are checked).
    """
    if isinstance(cited, Mapping):
        if not _is_year_map(value) or not _is_year_map(cited):
            raise ParameterError(
                path, f"{key}.statistic", "{year: key} citations need a year-keyed value"
            )
        for year, one in cited.items():
            if year in value:
                _check_statistic(value[year], str(one), stats, path, f"{key}.{year}")
        return
    keys = tuple(int(part) if part.isdigit() else part for part in str(cited).split("."))
    try:
        published = stats.entry(*keys)
    except StatisticsError as error:
        raise ParameterError(path, key, f"cites {cited}: {error}") from error
    if _is_year_map(value):
        if not isinstance(published, Mapping):
            raise ParameterError(path, key, f"cites {cited}, which is not keyed by year")
        pairs = [(f".{y}", v, published[y]) for y, v in value.items() if y in published]
    else:
        pairs = [("", value, published)]
    for year, mine, theirs in pairs:
        number = theirs.get("value") if isinstance(theirs, Mapping) else theirs
        if not (isinstance(number, int | float) and math.isclose(mine, number, rel_tol=1e-9)):
            raise ParameterError(
                path,
                f"{key}{year}",
                f"{mine!r} differs from the published {number!r} ({stats.path}: {cited}{year})",
            )


def anchor_means(params: dict[str, Any], years: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted mean per-capita income of each source in each year (yuan/person/year).

    The total passes through the published means the parameters give; between two of them
    it is geometric, the labour-shock year growing at a stated fraction of the others' rate,
    and after the last it keeps the last segment's growth. Shares of the sources are
    interpolated between the years the parameters give.
    """
    income = params["income"]
    published = {int(k): float(v) for k, v in income["mean_per_capita"].items()}
    anchors = sorted(published)
    if len(anchors) < 2 or min(years) <= anchors[0]:
        raise ValueError(
            f"income.mean_per_capita: needs two published means, the first before {min(years)}; "
            f"got {anchors}"
        )
    shock_year = int(income["labour_shock_year"])
    relative = float(income["growth_2020_relative"])

    def rate(year: int, g: float) -> float:
        return relative * g if year == shock_year else g

    totals = {anchors[0]: published[anchors[0]]}
    for first, last in zip(anchors, anchors[1:], strict=False):
        # Solve (1+g)^(n-k) * (1 + relative*g)^k = ratio for the common growth rate g, where
        # k says whether the shock year falls in the segment.
        ratio, n = published[last] / published[first], last - first
        shocked = first < shock_year <= last
        lo, hi = 0.0, 1.0
        for _ in range(60):
            g = (lo + hi) / 2
            grown = (1 + g) ** (n - 1) * (1 + relative * g) if shocked else (1 + g) ** n
            lo, hi = (g, hi) if grown < ratio else (lo, g)
        for year in range(first + 1, last):
            totals[year] = totals[year - 1] * (1 + rate(year, g))
        totals[last] = published[last]
    for year in range(anchors[-1] + 1, int(max(years)) + 1):
        totals[year] = totals[year - 1] * (1 + rate(year, g))
    shares = income["shares"]
    means = {}
    for source in SOURCES:
        share = by_year({y: s[source] for y, s in shares.items()}, years)
        means[source] = np.array([totals[int(y)] for y in years]) * share
    return means


@dataclass
class _Households:
    """Fixed attributes of the sampled households (one entry per household)."""

    county: np.ndarray
    village: np.ndarray
    members: np.ndarray
    labour: np.ndarray
    head_age: np.ndarray  # in the as-of year
    education: np.ndarray
    relocated: np.ndarray
    weight: np.ndarray


def synthesize_panel(
    households: int,
    *,
    seed: int,
    as_of: int = LAST_PUBLISHED_YEAR,
    parameters: str | Path | Mapping[str, Any] | None = None,
    statistics: PublicStatistics | str | Path | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Draw a synthetic household panel calibrated to Yunnan's published statistics.

    Parameters
    ----------
    households : int
        Number of sampled households. Weights scale the sample to the province's 7.957
        million people (about 2.1 million households); at full scale each weight is about 1.
    seed : int
        Seed of the generator: the same seed and size give the same panel.
    as_of : int
        Last year of the panel and the origin: nothing known only after it is read (see
        :func:`load_generator_parameters`). At most 2022, the last published year; with the
        shipped parameter file at least 2021, the first published mean after 2015. The panel
        covers 2016 through ``as_of``.
    parameters : path or dict, optional
        Parameter file; default ``data/synthetic_panel.yaml``. A dict as
        :func:`load_generator_parameters` returns is cut at ``as_of`` again, but it no longer
        carries ``known_in``: pass a path to have those honoured.
    statistics : PublicStatistics or path, optional
        Published statistics the cited parameters are checked against; default
        ``data/public_statistics.yaml``.
    progress : bool
        Show a progress bar over the simulated years.

    Returns
    -------
    pandas.DataFrame
        One row per household and year in the schema of :mod:`forecast.schema`.
    """
    if households < 1:
        raise ValueError(f"households must be at least 1, got {households}")
    if not FIRST_YEAR + 2 <= as_of <= LAST_PUBLISHED_YEAR:
        raise ValueError(
            f"as_of must be between {FIRST_YEAR + 2} and {LAST_PUBLISHED_YEAR}: "
            f"later years have no published statistics to calibrate against (got {as_of})"
        )
    if isinstance(parameters, Mapping):
        params = _cut_years(parameters, as_of)
    else:
        params = load_generator_parameters(parameters, as_of=as_of, statistics=statistics)
    rng = np.random.default_rng(seed)
    # Identification and assistance draw from their own stream, so that switching them off
    # (or changing their parameters) leaves every income draw unchanged.
    monitoring_rng = np.random.default_rng([seed, MONITORING_STREAM])
    years = np.arange(FIRST_YEAR, as_of + 1)
    county_codes, key_level, village_county = _counties_and_villages(params, rng)
    hh = _draw_households(households, params, rng, village_county, span=years.size - 1)
    columns = _simulate_years(hh, params, (rng, monitoring_rng), years, village_county, progress)
    return _assemble(hh, columns, years, county_codes, key_level, village_county)


def _counties_and_villages(params, rng):
    pop = params["population"]
    n_counties, n_villages = int(pop["counties"]), int(pop["villages"])
    sizes = rng.lognormal(0.0, float(pop["county_size_sigma"]), n_counties)
    codes = np.array(
        [f"53{c:04d}" for c in rng.choice(np.arange(100, 3500), n_counties, replace=False)]
    )
    key_level = np.zeros(n_counties, dtype=np.int8)  # index into schema.KEY_COUNTY_LEVELS
    order = rng.permutation(n_counties)
    n_nat, n_prov = int(pop["national_key_counties"]), int(pop["provincial_key_counties"])
    key_level[order[:n_nat]] = 2
    key_level[order[n_nat : n_nat + n_prov]] = 1
    villages_per_county = np.maximum(1, np.round(n_villages * sizes / sizes.sum())).astype(int)
    village_county = np.repeat(np.arange(n_counties), villages_per_county)
    return codes, key_level, village_county


def _draw_households(n, params, rng, village_county, span: int) -> _Households:
    pop = params["population"]
    # Villages hold households in proportion to their county's size: draw villages uniformly.
    village = rng.integers(0, village_county.size, n)
    members = 1 + np.minimum(
        rng.poisson(float(pop["extra_members_mean"]), n), int(pop["max_members"]) - 1
    )
    # Heads are at least 20 in the first panel year and at most 90 in the last.
    age = rng.normal(float(pop["head_age_mean"]), float(pop["head_age_sd"]), n)
    head_age = np.clip(age, 20 + span, 90).astype(int)
    able = float(pop["labour_share"]) * np.where(head_age >= 65, 0.6, 1.0)
    labour = rng.binomial(members, able)
    shares = pop["head_education_shares"]
    education = rng.choice(len(shares), n, p=np.array(list(shares.values())) / sum(shares.values()))
    relocated = rng.random(n) < float(pop["relocated_share"])
    weight = np.full(n, float(pop["people"]) / members.sum())  # weighted people = 7.957 million
    return _Households(
        village_county[village], village, members, labour, head_age, education, relocated, weight
    )


def _select_lowest(target: float, weights: np.ndarray, units, propensity: np.ndarray) -> np.ndarray:
    """Mask of the households with the lowest ``propensity`` whose weighted ``units`` add up
    to ``target`` (a household is in when the midpoint of its weight falls under it)."""
    order = np.argsort(propensity, kind="stable")
    size = np.broadcast_to(weights * units, propensity.shape)[order]
    chosen = np.zeros(propensity.size, dtype=bool)
    chosen[order] = np.cumsum(size) - size / 2 < target
    return chosen


def _scaled(fixed, variable: np.ndarray, target: float, w: np.ndarray) -> np.ndarray:
    """A source's income: the fixed part plus the variable part scaled so that the weighted
    total is ``target``."""
    fixed = np.broadcast_to(fixed, variable.shape)
    scale = (target - (w * fixed).sum()) / (w * variable).sum()
    if scale > 0:
        return fixed + scale * variable
    # A tiny sample drew too many recipients: scale the whole source instead.
    return (fixed + variable) * target / (w * (fixed + variable)).sum()


@dataclass(frozen=True)
class _Monitoring:
    """The monitoring mechanism in one year: its line, whom it finds, and its draws."""

    line: float  # yuan/person: households under it before assistance are identified
    identified_share: float | None  # cumulative share of people found; None: all under the line
    residual_share: float  # share of the found people under the line not lifted by year end
    risk_noise: np.ndarray  # who is found first when not all are
    late: np.ndarray  # who is found too late to be lifted (lowest first)
    margin: np.ndarray  # how far above the line assistance lands (share of the line)

    @classmethod
    def of_year(cls, mon: Mapping, year: int, rng: np.random.Generator, n: int) -> _Monitoring:
        margin = mon["assistance_margin"]
        everyone = year >= int(mon["full_coverage_year"])
        return cls(
            line=float(by_year(mon["line"], [year])[0]),
            identified_share=None if everyone else float(by_year(mon["people_share"], [year])[0]),
            residual_share=float(mon["residual_share"]),
            risk_noise=rng.normal(0, 0.3, n),
            late=rng.random(n),
            margin=rng.uniform(margin["low"], margin["high"], n),
        )


def _monitor_and_assist(
    year: _Monitoring,
    other: np.ndarray,
    transfer: tuple,
    w: np.ndarray,
    m: np.ndarray,
    monitored: np.ndarray,
    *,
    shocked: np.ndarray,
    people: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Transfer income of one year with the monitoring mechanism's assistance.

    Households whose per-capita income before assistance is under the year's line are
    identified: all of them from the full-coverage year on, before it only the riskiest (under
    the line first, then lowest income and shocked first) until the year's cumulative share of
    people is reached. ``monitored`` is updated in place and never cleared. Every monitored
    household under the line is lifted above it (by its drawn margin) through transfer income,
    except the residual share of their people found too late in the year.

    The assistance is paid out of the published transfer mean: the variable part of every
    household's transfer is scaled down until the weighted total, assistance included, equals
    ``target``. Lower transfers can push more households under the line; from the
    full-coverage year they are identified and the scale solved again until nobody new falls
    under (before it, they were not found). When a tiny sample leaves no room in the transfer
    mean, households are identified but not lifted.

    Parameters
    ----------
    transfer : (fixed, variable, target)
        Fixed and variable parts of each household's transfer income (yuan/household) and the
        weighted total they must add up to (yuan).

    Returns
    -------
    transfer, assistance : ndarray
        Each household's transfer income with the assistance, and the assistance alone
        (yuan/household; the panel's ``assistance_income``).
    """
    fixed, variable, target = transfer
    fixed = np.broadcast_to(np.asarray(fixed, dtype=float), other.shape)
    free = (target - (w * fixed).sum()) / (w * variable).sum()  # the scale without assistance
    plain = _scaled(fixed, variable, target, w)
    pc = (other + plain) / m
    under = pc < year.line
    if year.identified_share is None:
        monitored |= under
    else:
        need = year.identified_share * people - (w * m * monitored).sum()
        if need > 0:
            risk = np.log(np.maximum(pc, 100)) - 0.7 * shocked + year.risk_noise
            risk = np.where(under, risk, risk + 1e3)  # under the line first
            risk[monitored] = np.inf
            monitored |= _select_lowest(need, w, m, risk)
    if free <= 0:  # a tiny sample drew too many recipients: no room for assistance
        return plain, np.zeros_like(plain)
    goal = year.line * (1 + year.margin) * m - other  # transfer that lifts to the goal
    for _ in range(100):
        if year.identified_share is None:
            monitored |= under
        candidates = monitored & under
        late = _select_lowest(
            year.residual_share * (w * m * candidates).sum(),
            w,
            m,
            np.where(candidates, year.late, np.inf),
        )
        lifted = candidates & ~late
        scale, shrink = _assisted_scale(fixed, variable, goal, lifted, target, w, free)
        pc = (other + fixed + scale * variable) / m
        newly = (pc < year.line) & ~under
        if shrink < 1 or not newly.any():
            break
        under |= newly
    base = fixed + scale * variable
    assistance = np.where(lifted, np.maximum(goal - base, 0.0), 0.0) * shrink
    return base * shrink + assistance, assistance


def _assisted_scale(fixed, variable, goal, lifted, target, w, free) -> tuple[float, float]:
    """Scale of the variable transfer so that the weighted total with ``lifted`` households
    raised to ``goal`` is ``target``; the total rises with the scale, so bisect on
    ``[0, free]``. When even a zero scale leaves too much (a tiny sample), the scale is 0 and
    the second value shrinks every transfer in proportion."""

    def total(scale: float) -> float:
        base = fixed + scale * variable
        return float((w * np.where(lifted, np.maximum(base, goal), base)).sum())

    at_zero = total(0.0)
    if at_zero >= target:
        return 0.0, target / at_zero
    lo, hi = 0.0, free
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if total(mid) < target else (lo, mid)
    return hi, 1.0


def _simulate_years(hh: _Households, params, streams, years, village_county, progress):
    rng, monitoring_rng = streams
    inc, mea, mon = params["income"], params["measures"], params["monitoring"]
    n, T = hh.members.size, years.size
    w, m = hh.weight, hh.members
    people = (w * m).sum()
    targets = anchor_means(params, years)

    # Persistent earning power by source (log scale), partly common across sources.
    sd = float(inc["household_effect_sd"])
    common = rng.normal(0, sd * 0.8, n)
    effect = common[:, None] + rng.normal(0, sd * 0.6, (n, 4)) - (sd**2) / 2
    rho, shock_sd = float(inc["shock_persistence"]), float(inc["shock_sd"])
    ar = rng.normal(0, shock_sd / np.sqrt(1 - rho**2), (n, 4))

    # Stable propensities: who tends to migrate, guard forests, hold a post, get dibao.
    migrant_propensity = rng.gamma(2.0, 0.5, n)
    ranger_rank = rng.random(n) - 0.3 * (hh.labour > 0)
    post_rank = rng.random(n) + 0.25 * common / sd
    dibao_rank = 0.5 * common / sd + 0.4 * (hh.labour / m) + rng.random(n) * 0.6
    village_rank = rng.random(village_county.size)
    tourism_village = village_rank < float(mea["tourism_village_share"])
    dividend_rank = rng.random(village_county.size)
    tourism_participant = rng.random(n) < float(mea["tourism_participation"])
    trained_ever = np.zeros(n, dtype=bool)
    monitored = np.zeros(n, dtype=bool)
    monitored_type = np.zeros(n, dtype=np.int8)

    out = {k: np.zeros((n, T)) for k in ("wage", "operating", "property", "transfer")}
    assistance = np.zeros((n, T))  # the monitoring mechanism's part of the transfers
    flags = {
        k: np.zeros((n, T), dtype=bool)
        for k in (*MEASURES, "shock_illness", "shock_disaster", "monitored")
    }
    mtype = np.zeros((n, T), dtype=np.int8)
    age_offset = years - years[-1]
    prev_pc = None
    for t, year in enumerate(
        progress_bar(years, description="synthetic panel", unit="year", enabled=progress)
    ):
        yr = [int(year)]
        ar = rho * ar + rng.normal(0, shock_sd, (n, 4))
        level = np.exp(effect + ar)
        illness = rng.random(n) < float(inc["illness_probability"])
        hit_village = rng.random(village_county.size) < float(inc["disaster_village_probability"])
        disaster = hit_village[hh.village] & (
            rng.random(n) < float(inc["disaster_household_probability"])
        )
        loss = float(inc["illness_income_loss"])

        # Measures received this year.
        lf = hh.labour
        p_mig = by_year(mea["migrant_workers"], yr)[0] / (w * lf).sum()
        migrants = rng.binomial(lf, np.clip(p_mig * migrant_propensity, 0, 1))
        ranger = _select_lowest(by_year(mea["forest_rangers"], yr)[0], w, 1, ranger_rank)
        posts = by_year(mea["public_welfare_posts"], yr)[0]
        post = _select_lowest(posts, w, 1, post_rank) & ~ranger
        trained_share = by_year(mea["trained_person_times"], yr)[0] / 1.5 / w.sum()
        trained = (lf > 0) & (rng.random(n) < trained_share)
        credit = rng.random(n) < float(mea["microcredit_share"])
        dibao_share = by_year(mea["minimum_living_share"], yr)[0]
        dibao = dibao_rank + rng.normal(0, 0.05, n) <= np.quantile(dibao_rank, dibao_share)
        tourism = (
            (year >= int(mea["tourism_start_year"]))
            & tourism_village[hh.village]
            & tourism_participant
        )
        dividend = dividend_rank[hh.village] < by_year(mea["collective_dividend_share"], yr)[0]
        if prev_pc is None or year < int(mea["one_to_one_start_year"]):
            one_to_one = np.zeros(n, dtype=bool)
        else:
            one_to_one = prev_pc < float(mea["one_to_one_threshold"])

        # Fixed (sourced amounts) and variable (earning-power) parts of each source.
        local_workers = lf - migrants
        premium = float(mea["migrant_wage_premium"])
        migrant_part = migrants * premium * level[:, 0]
        if year == int(inc["labour_shock_year"]):
            migrant_part *= 1 - float(inc["labour_shock_migrant_wage_loss"])
        wage_var = (local_workers * level[:, 0] + migrant_part) * np.where(
            trained_ever, 1 + float(mea["training_wage_gain"]), 1.0
        )
        wage_fixed = ranger * float(mea["forest_ranger_wage"]) + post * float(
            mea["public_welfare_wage"]
        )
        op_var = (
            m * level[:, 1] * np.where(hh.relocated, float(mea["relocated_operating_factor"]), 1.0)
        )
        op_var *= (
            1
            + tourism * float(mea["tourism_operating_gain"])
            + credit * float(mea["microcredit_operating_gain"])
        )
        prop_var = m * level[:, 2] * (1 + tourism)
        prop_fixed = dividend * float(mea["collective_dividend_amount"])
        older = (hh.head_age + age_offset[t]) >= 60
        trans_var = m * level[:, 3] * (1 + 0.5 * older)
        trans_fixed = dibao * m * by_year(mea["minimum_living_per_person"], yr)[0]

        parts = {
            "wage": (wage_fixed, wage_var * np.where(illness, 1 - loss, 1.0)),
            "operating": (0.0, op_var * np.where(illness, 1 - loss, 1.0)),
            "property": (prop_fixed, prop_var),
        }
        for source, (fixed, variable) in parts.items():
            out[source][:, t] = _scaled(fixed, variable, targets[source][t] * people, w)
        # A disaster destroys part of a household's harvest and can turn its net operating
        # income negative; the province's mean stays pinned to the published figure.
        loss_range = inc["disaster_operating_loss"]
        disaster_loss = rng.uniform(loss_range["low"], loss_range["high"], n)
        out["operating"][:, t] *= np.where(disaster, 1 - disaster_loss, 1.0)
        rescale = targets["operating"][t] * people / (w * out["operating"][:, t]).sum()
        out["operating"][:, t] *= rescale

        # Transfers last: monitoring assistance is transfer income, paid out of the
        # published transfer mean (the variable part shrinks to make room for it).
        transfer_target = targets["transfer"][t] * people
        if year >= int(mon["start_year"]):
            other = out["wage"][:, t] + out["operating"][:, t] + out["property"][:, t]
            before = monitored.copy()
            out["transfer"][:, t], assistance[:, t] = _monitor_and_assist(
                _Monitoring.of_year(mon, int(year), monitoring_rng, n),
                other,
                (trans_fixed, trans_var, transfer_target),
                w,
                m,
                monitored,  # updated in place: identified households stay monitored
                shocked=illness | disaster,
                people=people,
            )
            new = monitored & ~before
            marginal = monitoring_rng.random(n) < float(mon["marginal_share"])
            monitored_type[new] = np.where(
                illness[new] | disaster[new], 3, np.where(marginal[new], 2, 1)
            )
        else:
            out["transfer"][:, t] = _scaled(trans_fixed, trans_var, transfer_target, w)

        total = sum(out[s][:, t] for s in SOURCES)
        pc = total / m

        trained_ever |= trained
        for name, value in (
            ("skills_training", trained),
            ("migrant_work", migrants > 0),
            ("public_welfare_post", post),
            ("forest_ranger", ranger),
            ("tourism_village", tourism),
            ("collective_dividend", dividend),
            ("microcredit", credit),
            ("minimum_living_allowance", dibao),
            ("one_to_one_assistance", one_to_one),
            ("shock_illness", illness),
            ("shock_disaster", disaster),
            ("monitored", monitored),
        ):
            flags[name][:, t] = value
        mtype[:, t] = monitored_type
        prev_pc = pc
    return {"income": out, "assistance": assistance, "flags": flags, "monitored_type": mtype}


def _assemble(hh, columns, years, county_codes, key_level, village_county) -> pd.DataFrame:
    n, T = hh.members.size, years.size

    def per_row(values: np.ndarray) -> np.ndarray:  # household attribute -> every row
        return np.repeat(values, T)

    # Pseudonymous ids in sample order, so rows come out sorted by (household_id, year).
    ids = np.char.add("H", np.char.zfill(np.arange(n).astype(str), 7))
    # Number villages within their county: code = county code + 3 digits.
    within = np.zeros(village_county.size, dtype=int)
    for c in range(county_codes.size):
        idx = np.flatnonzero(village_county == c)
        within[idx] = np.arange(idx.size)
    village_codes = np.char.add(county_codes[village_county], np.char.zfill(within.astype(str), 3))
    income = columns["income"]
    flags = columns["flags"]
    frame = {
        "household_id": pd.array(per_row(ids), dtype="str"),
        "year": np.tile(years, n).astype(np.int64),
        "county_code": pd.array(per_row(county_codes[hh.county]), dtype="str"),
        "village_code": pd.array(per_row(village_codes[hh.village]), dtype="str"),
        "members": per_row(hh.members).astype(np.int64),
        "labour_force": per_row(hh.labour).astype(np.int64),
        "head_age": pd.array(per_row(hh.head_age) + np.tile(years - years[-1], n), dtype="Int64"),
        "head_education": pd.Categorical.from_codes(
            per_row(hh.education), categories=list(HEAD_EDUCATION_LEVELS)
        ),
        "wage_income": income["wage"].ravel(),
        "operating_income": income["operating"].ravel(),
        "property_income": income["property"].ravel(),
        "transfer_income": income["transfer"].ravel(),
        "assistance_income": columns["assistance"].ravel(),
        "weight": per_row(hh.weight),
        "monitored": flags["monitored"].ravel(),
        "monitored_type": pd.Categorical.from_codes(
            columns["monitored_type"].ravel(), categories=list(MONITORED_TYPES)
        ),
        "relocated": per_row(hh.relocated),
        "key_county": pd.Categorical.from_codes(
            per_row(key_level[hh.county]), categories=list(KEY_COUNTY_LEVELS)
        ),
        "shock_illness": pd.array(flags["shock_illness"].ravel(), dtype="boolean"),
        "shock_disaster": pd.array(flags["shock_disaster"].ravel(), dtype="boolean"),
    }
    for name in MEASURES:
        frame[f"received_{name}"] = flags[name].ravel()
    panel = pd.DataFrame(frame)
    members = panel["members"].to_numpy()
    panel["net_income_per_capita"] = (
        panel[["wage_income", "operating_income", "property_income", "transfer_income"]].sum(axis=1)
        / members
    )
    return panel[list(COLUMN_NAMES)]

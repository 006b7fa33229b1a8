"""How a lever reaches households, one small strategy per kind.

A lever's YAML says what it is: how it reaches (``households``, ``villages``, a money
``pool``), the kind of its effects (``add``, ``scale``, ``insurance``, ``pool``,
``collective``) and what it marks (``marks: [tourism_village]``). :func:`strategy_for` picks
the strategy from that, never from the lever's name, so a new lever of an existing kind is a
YAML entry and nothing else.

Every strategy draws from the lever's own named stream (``measure.<name>.<year>``), so
switching one lever off leaves every other lever's draws unchanged.

An effect marked ``cumulative: true`` (the minimum-living standard, "raised every year") is a
yearly raise: a year's entitlement holds every raise since the as-of year
(:func:`raised_level`), so a household reached in the first and the second simulated year
receives one raise, then two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from simulation import rules
from simulation.agents import AllocationRound, County
from simulation.scenario import ALL, Measure, Parameter

if TYPE_CHECKING:  # annotations only: the model imports this module
    from simulation.model import Province


class Allocation:
    """What every strategy starts from: the lever's stream, the household state, who is
    eligible and how many units the scale asks for this year."""

    def __init__(self, model: Province, measure: Measure, year: int) -> None:
        self.rng = rules.stream(model.seed, f"measure.{measure.name}.{year}")
        self.state = model.household_state()
        self.eligible = rules.eligible(measure, self.state)
        self.weight = self.state["weight"]
        self.per_unit = float(measure.reach_per_unit.value)
        scale = measure.scale.at(year)
        self.units = (
            np.sum(self.weight[self.eligible]) / self.per_unit if scale == ALL else float(scale)
        )
        self.start_month = 12 * (year - model.first_year)
        self.last_month = (
            self.start_month
            + 11
            + int(measure.delay_months.value)
            + int(measure.duration_months.value)
        )


class Strategy(Protocol):
    def allocate(self, model: Province, measure: Measure, year: int) -> None: ...


class HouseholdLever:
    """Households picked by their counties (randomly or lowest income first), each granted
    the lever's effects; a household holding a multi-year lever is not picked again."""

    def allocate(self, model: Province, measure: Measure, year: int) -> None:
        a = Allocation(model, measure, year)
        eligible, w = a.eligible, a.weight
        multi_year = int(measure.duration_months.value) > 12
        if multi_year:  # a household trained, hired or lent to is not picked again
            holding = model.holding.setdefault(measure.name, np.full(len(w), -1, dtype=np.int32))
            eligible = eligible & (holding <= a.start_month)
        eligible_weight = float(np.sum(w[eligible]))
        quota = min(a.units * a.per_unit, eligible_weight)
        share = quota / eligible_weight if eligible_weight > 0 else 0.0
        uniform = a.rng.random(len(w))
        budget = model.budgets.limit(measure)
        queued = model.capacities.waiting(measure, len(w))
        rank = None
        if budget is not None and measure.priority == "random":
            key = np.where(queued, uniform - 1.0, uniform)  # the queue first, in random order
            rank = rules.weight_before(a.state["county"], key, w, eligible)
        job = AllocationRound(
            measure,
            year,
            a.state,
            eligible,
            uniform,
            share,
            quota,
            eligible_weight,
            budget=budget,
            capacity=model.capacities.limit(measure, eligible, w, a.state["county"]),
            queued=queued,
            rank=rank,
        )
        model.agents_by_type[County].do("allocate", job)
        picked = model.collect_chosen()
        model.choices[(measure.name, year)] = picked
        model.capacities.refuse(measure, job.refused_of("capacity"))
        model.budgets.pay_deferred(
            measure, np.bincount(a.state["county"][picked], w[picked], len(model.counties))
        )
        if multi_year:
            holding[picked] = a.last_month
        units = float(np.sum(w[picked])) / a.per_unit
        model.record_reach(
            measure.name,
            year,
            "households",
            a.units * a.per_unit,
            eligible_weight,
            units * a.per_unit,
            job.refused_weight("capacity"),
            job.refused_weight("budget"),
        )
        take = a.rng.random(len(w))[picked] < measure.take_up.value
        model.grant_effects(measure, year, a.state, picked[take], a.rng, units, spread=True)


class VillageLever:
    """Villages picked by their counties among those with an eligible household and not
    holding the lever; their households (who take it up) are granted its effects, and the
    villages get the marks the lever declares."""

    def allocate(self, model: Province, measure: Measure, year: int) -> None:
        a = Allocation(model, measure, year)
        villages = model.villages
        uniform = a.rng.random(len(villages))
        has_eligible = np.bincount(
            a.state["village"], weights=a.weight * a.eligible, minlength=len(uniform)
        )
        free = villages.free_of(measure.name, a.start_month)
        available = (has_eligible > 0) & free
        weight_v = np.bincount(a.state["village"], weights=a.weight, minlength=len(uniform))
        share_available = float(weight_v[available].sum() / weight_v.sum())
        villages_available = model.spec.province["villages"].value * share_available
        share = min(1.0, a.units * a.per_unit / villages_available) if villages_available else 0.0
        budget = model.budgets.limit(measure)
        rank = None
        if budget is not None:
            county = model.population.village_county
            rank = rules.weight_before(county, uniform, model.villages.represents, available)
        job = AllocationRound(
            measure,
            year,
            a.state,
            available,
            uniform,
            share,
            0.0,
            0.0,
            budget=budget,
            unit_weight=model.villages.represents,
            rank=rank,
        )
        model.agents_by_type[County].do("choose_villages", job)
        chosen = model.collect_chosen()
        model.choices[(measure.name, year)] = chosen
        county_of = model.population.village_county[chosen]
        model.budgets.pay_deferred(
            measure,
            np.bincount(county_of, model.villages.represents[chosen], len(model.counties)),
        )
        members = np.zeros(len(villages), dtype=bool)
        members[chosen] = True
        if int(measure.duration_months.value) > 12:
            villages.hold(measure.name, chosen, a.last_month)
        villages.mark(chosen, measure.marks)
        for mark in measure.marks:
            model.households.mark(mark, villages.marked[mark])
        in_village = members[a.state["village"]]
        take = a.rng.random(len(a.weight)) < measure.take_up.value
        recipients = np.flatnonzero(a.eligible & in_village & take)
        units = float(np.sum(villages.represents[chosen])) / a.per_unit
        model.record_reach(
            measure.name,
            year,
            "villages",
            a.units * a.per_unit,
            villages_available,
            units * a.per_unit,
            0.0,
            job.refused_weight("budget"),
        )
        model.grant_effects(measure, year, a.state, recipients, a.rng, units, spread=False)


class PoolLever:
    """A sum of money spread over eligible households in proportion to their income from
    the source it buys from (consumption aid: purchases of their products)."""

    def allocate(self, model: Province, measure: Measure, year: int) -> None:
        a = Allocation(model, measure, year)
        yuan = a.units
        ((source, _effect),) = measure.effects.items()
        w = a.weight
        base = np.where(a.eligible, np.maximum(a.state[source], 0.0), 0.0)
        total = float(np.sum(w * base))
        share = model.parameters[f"{measure.name}.{source}"]
        recipients = np.flatnonzero(base > 0)
        if total > 0:
            amount = yuan * share * base[recipients] / total
            start = a.start_month + int(measure.delay_months.value)
            model.grant(
                recipients,
                start,
                start + int(measure.duration_months.value),
                rules.SOURCES.index(source),
                amount,
            )
        model.reach[(measure.name, year)] += float(np.sum(w[recipients]))
        spread = yuan if total > 0 else 0.0  # nobody eligible sells: the money finds no one
        model.record_reach(measure.name, year, "yuan", yuan, spread, spread)
        model.spend(measure.name, year, yuan * float(measure.unit_cost.value), recipients)


class CollectiveLever:
    """Villages' collective income raised to the lever's minimum; a share of the top-up is
    paid out to member households as dividends (property income), the rest is invested as
    collective assets (:class:`simulation.institutions.VillageEconomy`)."""

    def allocate(self, model: Province, measure: Measure, year: int) -> None:
        a = Allocation(model, measure, year)
        share_topped = a.units
        minimum = measure.extra["collective_income_minimum"].value
        per_village = model.spec.province["households_per_village"].value
        ((source, _effect),) = measure.effects.items()
        dividend_share = model.parameters[f"{measure.name}.{source}"]
        chosen = a.rng.random(len(model.villages)) < share_topped
        gap = np.where(chosen, np.maximum(minimum - model.village_economy.income, 0.0), 0.0)
        dividend = gap * dividend_share / per_village
        cost = float(np.sum(gap * model.villages.represents))
        model.village_economy.invest(gap * (1 - dividend_share))
        hv = model.population.village
        recipients = np.flatnonzero(dividend[hv] > 0)
        start = a.start_month + int(measure.delay_months.value)
        end = start + int(measure.duration_months.value)
        model.grant(recipients, start, end, rules.SOURCES.index(source), dividend[hv][recipients])
        model.reach[(measure.name, year)] += float(np.sum(model.population.weight[recipients]))
        villages = float(model.spec.province["villages"].value)
        topped = float(np.sum(model.villages.represents[chosen]))
        model.record_reach(
            measure.name, year, "villages", share_topped * villages, villages, topped
        )
        model.spend(measure.name, year, cost * float(measure.unit_cost.value), recipients)


def raised_level(effect: Parameter, size: float, year: int, first_year: int) -> float:
    """The effect's size granted in ``year``: one raise per simulated year for a cumulative one.

    Parameters
    ----------
    effect : Parameter
        A lever's effect; ``cumulative`` marks a yearly raise of an entitlement.
    size : float
        The replication's size of the effect (its draw, or the central value): one year's raise.
    year, first_year : int
        The year granted and the first simulated year (the year after the as-of year, whose
        incomes already hold the raises up to it).

    Returns
    -------
    float
        ``size`` for an effect that does not accumulate; ``size x (year - first_year + 1)``
        for one that does: the standard raised in each simulated year up to ``year``.
    """
    if not effect.cumulative:
        return float(size)
    if year < first_year:
        raise ValueError(f"year {year} before the first simulated year {first_year}")
    return float(size) * (year - first_year + 1)


def strategy_for(measure: Measure) -> Strategy:
    """The strategy of a lever, from how it reaches and the kind of its effects."""
    if measure.reach == "pool":
        return PoolLever()
    if any(effect.kind == "collective" for effect in measure.effects.values()):
        return CollectiveLever()
    if measure.reach == "villages":
        return VillageLever()
    return HouseholdLever()


def collective_lever(levers: dict[str, Measure]) -> Measure | None:
    """The catalogue's lever of kind ``collective`` (its YAML holds the villages'
    collective-income distribution), if any."""
    for measure in levers.values():
        if any(effect.kind == "collective" for effect in measure.effects.values()):
            return measure
    return None

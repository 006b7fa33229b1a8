"""The institutions' own rules (issue 13): county budgets, capacities, market entities and the
villages' collective economy. Parameters are the catalogue's ``agents`` section (and a lever's
``capacity``, ``link_entity``, ``link_arrangement``, ``linked_households_per_entity``); each
mechanism has a switch, so the model can run without it (:meth:`Scenario.without_agents`).

Everything here acts on arrays of households, counties, villages or entities at once, and
only through the model's institutions (allocation, grants, the month's context), so the
vectorised and the per-household reference backends follow the same rules.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation import rules
from simulation.scenario import ALL, Measure

if TYPE_CHECKING:  # annotations only: the model imports this module
    from simulation.model import Province

BUDGETED_PER = ("once", "year")  # costs a county pays from its funds (not `paid` entitlements)


def switched_on(model: Province, switch: str) -> bool:
    """Whether the scenario switches the mechanism ``agents.<switch>`` on (on without an
    ``agents`` section: the catalogue's default)."""
    p = model.spec.agents.get(switch)
    return p is not None and float(p.value) == 1.0


def agent_value(model: Province, key: str) -> float:
    """The replication's value of ``agents.<key>`` (its central value), recorded in its
    parameters so every figure can be traced."""
    value = float(model.spec.agents[key].draw(None))
    model.parameters[f"agents.{key}"] = value
    return value


def budgeted(measure: Measure) -> bool:
    """Whether a county pays ``measure`` from its funds: a household or village lever paid
    once or per year (entitlements paid as they pay, pools and the collective top-up are
    funded apart)."""
    collective = any(e.kind == "collective" for e in measure.effects.values())
    return (
        measure.reach in ("households", "villages")
        and measure.unit_cost.per in BUDGETED_PER
        and not collective
    )


def booked_share(measure: Measure, years_since: int) -> float:
    """Share of a cohort's yearly cost (units x unit cost) booked ``years_since`` years after
    it was allocated: all at once, or a year's worth while the lever lasts
    (as :meth:`Province._account` books it)."""
    if measure.unit_cost.per == "once":
        return 1.0 if years_since == 0 else 0.0
    months_left = int(measure.duration_months.value) - 12 * years_since
    return float(np.clip(months_left, 0, 12)) / 12


class CountyBudgets:
    """Each county's funds and how it spends them (``agents.budgets``).

    Provincial funds of a year are ``funding_ratio`` x the spending the scenario plans on
    budgeted levers that year (every cohort at its full asked scale), split over counties by
    alleviated households (under the ``performance`` rule, less a reward pool given to the
    counties whose alleviated population's income grew at least at the median the year
    before); east-west cooperation funds add ``east_west_share`` of them, to the key counties
    by households. A county pays
    its earlier commitments first, then funds this year's levers by its ``spending_rule``; a
    lever reaches no more households than its grant pays for.
    """

    def __init__(self, model: Province) -> None:
        self.on = switched_on(model, "budgets")
        pop = model.population
        k = len(pop.county_codes)
        self.households = np.bincount(pop.county, weights=pop.weight, minlength=k)
        key = np.zeros(k, dtype=bool)
        key[pop.county[pop.key_county]] = True
        self.key = key
        self.years = range(model.first_year, model.first_year + (model.months - 1) // 12 + 1)
        self.funds: dict[int, np.ndarray] = {}
        self.unfunded: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(k))
        self.grants: dict[str, np.ndarray] = {}
        self.deferred: set[str] = set()
        self.free = np.zeros(k)
        if not self.on:
            return
        self.ratio = agent_value(model, "funding_ratio")
        self.east_west = agent_value(model, "east_west_share")
        self.reward = agent_value(model, "performance_reward_share")
        self.funds_rule = str(model.spec.agent("funds_rule"))
        self.spending_rule = str(model.spec.agent("spending_rule"))
        self.planned = self._planned(model)

    def _planned(self, model: Province) -> dict[int, float]:
        """Yuan the scenario plans to spend on budgeted levers in each simulated year."""
        state = model.household_state()
        planned = dict.fromkeys(self.years, 0.0)
        for name in model.spec.measures:
            m = model.spec.levers[name]
            if not budgeted(m):
                continue
            for start in self.years:
                scale = m.scale.at(start)
                if scale == ALL:
                    w = model.population.weight
                    eligible = rules.eligible(m, state)
                    units = float(np.sum(w[eligible])) / float(m.reach_per_unit.value)
                else:
                    units = float(scale)
                for year in self.years:
                    if year >= start:
                        share = booked_share(m, year - start)
                        planned[year] += units * float(m.unit_cost.value) * share
        return planned

    def open_year(self, model: Province, year: int, asks: dict[str, np.ndarray]) -> None:
        """January: the counties' funds of ``year`` and each budgeted lever's grant.

        ``asks`` holds, per budgeted lever, the yuan its asked scale would book this year in
        each county (its share of the lever's eligible households). A budgeted lever with no
        eligible household in January (eligible only in villages a lever of the year marks)
        is deferred: it is paid from what the county has left when its turn comes.
        """
        if not self.on:
            return
        share = self.households / self.households.sum()
        if self.funds_rule == "performance" and year > model.first_year:
            growth = model.county_growth()
            good = growth >= np.nanmedian(growth)
            rewarded = self.households * good
            if rewarded.sum() > 0:
                share = (1 - self.reward) * share + self.reward * rewarded / rewarded.sum()
        key_share = self.households * self.key
        key_share = key_share / key_share.sum() if key_share.sum() > 0 else share
        provincial = self.ratio * self.planned[year]
        funds = provincial * share + provincial * self.east_west * key_share
        self.funds[year] = funds
        committed = np.array(
            [
                sum(v for (m, y), v in c.spent.items() if y == year and m in asks)
                for c in model.counties
            ]
        )
        free = np.maximum(funds - committed, 0.0)
        order = self._order(model, asks)
        if self.spending_rule == "pro_rata":
            total = sum(asks.values(), np.zeros_like(free))
            factor = np.where(total > 0, np.minimum(1.0, free / np.where(total > 0, total, 1)), 1)
            self.grants = {m: asks[m] * factor for m in order}
        else:
            self.grants = {}
            for m in order:
                self.grants[m] = np.minimum(asks[m], free)
                free = free - self.grants[m]
        for m in order:
            self.unfunded[year] += asks[m] - self.grants[m]
        self.free = free if self.spending_rule != "pro_rata" else free - sum(self.grants.values())
        self.free = np.maximum(self.free, 0.0)
        self.deferred = {m for m in model.spec.measures if budgeted(model.spec.levers[m])}
        self.deferred -= set(asks)

    @staticmethod
    def _order(model: Province, asks: dict[str, np.ndarray]) -> list[str]:
        """The plan's priorities: levers reaching the lowest incomes first (safeguard 4),
        then the others in the scenario's (the plan's) order."""
        names = [m for m in model.spec.measures if m in asks]
        return sorted(names, key=lambda m: model.spec.levers[m].priority != "lowest_income")

    def limit(self, measure: Measure) -> np.ndarray | None:
        """Units of reach (weighted households, or villages) each county's grant for
        ``measure`` pays for this year; None when the lever is not budget-bound."""
        if not self.on or not (measure.name in self.grants or measure.name in self.deferred):
            return None
        per_unit_cost = float(measure.unit_cost.value) * booked_share(measure, 0)
        if per_unit_cost <= 0:
            return None
        grant = self.grants.get(measure.name, self.free)
        return grant / per_unit_cost * float(measure.reach_per_unit.value)

    def pay_deferred(self, measure: Measure, reached_by_county: np.ndarray) -> None:
        """A deferred lever's picks (reach units by county) use up what the county had left."""
        if self.on and measure.name in self.deferred:
            per_unit_cost = float(measure.unit_cost.value) * booked_share(measure, 0)
            cost = reached_by_county / float(measure.reach_per_unit.value) * per_unit_cost
            self.free = np.maximum(self.free - cost, 0.0)


class Capacities:
    """Places, jobs and posts per county (a lever's ``capacity``, ``agents.capacities``) and
    the queue of households refused for want of one (``agents.capacity_rule``)."""

    def __init__(self, model: Province) -> None:
        self.on = switched_on(model, "capacities")
        self.queue = self.on and str(model.spec.agent("capacity_rule")) == "queue"
        self.model_counties = model.population.county_codes
        self.queued: dict[str, np.ndarray] = {}
        if not self.on:
            return
        for name in model.spec.measures:
            m = model.spec.levers[name]
            if "capacity" in m.extra and m.reach == "households":
                self.queued[name] = np.zeros(model.population.size, dtype=bool)

    def limit(self, measure: Measure, eligible: np.ndarray, weight: np.ndarray, county):
        """Weighted households each county can place this year (None: no capacity): the
        lever's capacity split by the county's share of its eligible households this year
        (places sit where the lever's people are)."""
        if not self.on or measure.name not in self.queued:
            return None
        k = len(self.model_counties)
        where = np.bincount(county[eligible], weights=weight[eligible], minlength=k)
        total = where.sum()
        capacity = float(measure.extra["capacity"].value)
        return capacity * where / total if total > 0 else np.zeros(k)

    def waiting(self, measure: Measure, n: int) -> np.ndarray:
        """Households first in line for ``measure`` (refused last year, queue rule)."""
        return self.queued.get(measure.name, np.zeros(n, dtype=bool))

    def refuse(self, measure: Measure, refused: np.ndarray) -> None:
        """Remember who was refused for want of a place (first in line next year)."""
        if self.queue and measure.name in self.queued:
            self.queued[measure.name][:] = False
            self.queued[measure.name][refused] = True


def caseload_lags(model: Province, enrolled: np.ndarray) -> np.ndarray:
    """Each county's mean detection lag (months) for the year: the monitoring system's lag,
    times the officers' caseload over its standard where above it (``agents.caseload_delay``).

    Officers (``monitoring.officers``) are split over counties by alleviated households; the
    caseload is the county's enrolled households per officer.
    """
    pop = model.population
    k = len(pop.county_codes)
    base = np.full(k, model.monitoring.lag)
    if not switched_on(model, "caseload_delay"):
        return base
    p = model.spec.monitoring
    households = np.bincount(pop.county, weights=pop.weight, minlength=k)
    officers = float(p["officers"].value) * households / households.sum()
    standard = float(p["caseload_standard"].draw(None))
    model.parameters["monitoring.caseload_standard"] = standard
    cases = np.bincount(pop.county[enrolled], weights=pop.weight[enrolled], minlength=k)
    caseload = np.divide(cases, officers, out=np.zeros(k), where=officers > 0)
    return base * np.maximum(1.0, caseload / standard)


class MarketEntities(mesa.Agent):
    """Firms, cooperatives and workshops and their links to households (``agents.entities``).

    A lever with ``link_entity`` forms links when it grants its effects: the households it
    reached in a county are spread at random over that county's entities of the cohort
    (weighted reached households / ``linked_households_per_entity`` of them). Each month an
    open entity is struck with ``entity_shock_rate``; its linked households then lose
    ``pass_through x (1 - exp(entity_shock_effect))`` of their income from the link for
    ``entity_shock_duration`` months (the pass-through of the lever's ``link_arrangement``);
    ``entity_closure_share`` of the struck close and their links break: the linked households
    lose the link's income for the rest of its duration. Entities are arrays (thousands of
    them), owned by this one agent.
    """

    def __init__(self, model: Province) -> None:
        super().__init__(model)
        self.on = switched_on(model, "entities")
        self.shocks = rules.stream(model.seed, "entities")
        self.open = np.zeros(0, dtype=bool)
        self.struck_until = np.zeros(0, dtype=np.int32)
        self.pass_through = np.zeros(0)
        self.county = np.zeros(0, dtype=np.int64)
        # One row per link: household, entity, source, yuan a year, first and end month.
        self.links = {
            k: np.zeros(0, dtype=t)
            for k, t in (
                ("household", np.int64),
                ("entity", np.int64),
                ("source", np.int64),
                ("amount", float),
                ("start", np.int32),
                ("end", np.int32),
            )
        }
        self.links_formed = 0
        years = model.months // 12 + 1
        self.struck_households = np.zeros(years)  # weighted households whose link was struck
        self.broken_households = np.zeros(years)  # weighted households whose link broke
        if self.on:
            self.rate = rules.monthly_hazard(agent_value(model, "entity_shock_rate"))
            self.effect = agent_value(model, "entity_shock_effect")
            self.duration = int(model.spec.agents["entity_shock_duration"].value)
            self.closure = agent_value(model, "entity_closure_share")
            self.pass_throughs = {
                a: agent_value(model, f"pass_through_{a}")
                for a in ("orders", "equity", "shared_risk")
            }

    def link(self, measure: Measure, year: int, recipients, start, end, source: int, amount):
        """Link the households a lever reached to entities of their counties."""
        if not self.on or "link_entity" not in measure.extra or not len(recipients):
            return
        model = self.model
        pop = model.population
        rng = rules.stream(model.seed, f"entities.links.{measure.name}.{year}")
        per_entity = float(measure.extra["linked_households_per_entity"].value)
        county = pop.county[recipients]
        k = len(pop.county_codes)
        reached = np.bincount(county, weights=pop.weight[recipients], minlength=k)
        count = np.maximum(1, np.ceil(reached / per_entity)).astype(np.int64)
        offset = np.concatenate([[0], np.cumsum(count)[:-1]])
        slot = offset[county] + np.floor(rng.random(len(recipients)) * count[county]).astype(int)
        used, entity = np.unique(slot, return_inverse=True)  # entities with a sampled household
        first = len(self.open)
        arrangement = str(measure.extra["link_arrangement"].value)
        n_new = len(used)
        self.open = np.concatenate([self.open, np.ones(n_new, dtype=bool)])
        self.struck_until = np.concatenate([self.struck_until, np.full(n_new, -1, np.int32)])
        self.pass_through = np.concatenate(
            [self.pass_through, np.full(n_new, self.pass_throughs[arrangement])]
        )
        self.county = np.concatenate([self.county, np.searchsorted(offset, used, "right") - 1])
        n = len(recipients)
        new = {
            "household": np.asarray(recipients, dtype=np.int64),
            "entity": first + entity,
            "source": np.full(n, source),
            "amount": np.broadcast_to(np.asarray(amount, dtype=float), (n,)),
            "start": np.broadcast_to(np.asarray(start, dtype=np.int32), (n,)),
            "end": np.broadcast_to(np.asarray(end, dtype=np.int32), (n,)),
        }
        for key, values in new.items():
            self.links[key] = np.concatenate([self.links[key], values])
        self.links_formed += n

    def strike(self, month: int) -> None:
        """This month's entity shocks, passed to linked households; closures break links."""
        if not self.on or not len(self.open):
            return
        draws = self.shocks.random((2, len(self.open)))
        hit = (draws[0] < self.rate) & self.open & (self.struck_until < month)
        if not hit.any():
            return
        closed = hit & (draws[1] < self.closure)
        self.struck_until[hit] = month + self.duration - 1
        links = self.links
        live = (links["end"] > month) & hit[links["entity"]]
        model, w = self.model, self.model.population.weight
        y = month // 12
        for source in np.unique(links["source"][live]):
            rows = np.flatnonzero(live & (links["source"] == source))
            h, e = links["household"][rows], links["entity"][rows]
            end = links["end"][rows]
            begin = np.maximum(links["start"][rows], month)
            gone = closed[e]
            loss = np.where(
                gone,
                links["amount"][rows],
                self.pass_through[e] * (1 - np.exp(self.effect)) * links["amount"][rows],
            )
            stop = np.where(gone, end, np.minimum(end, month + self.duration))
            keep = stop > begin
            model.grant(h[keep], begin[keep], stop[keep], int(source), -loss[keep])
            self.struck_households[y] += float(np.sum(w[h[keep]]))
            self.broken_households[y] += float(np.sum(w[h[keep & gone]]))
        self.open[closed] = False
        if closed.any():
            kept = ~closed[links["entity"]]
            self.links = {key: values[kept] for key, values in links.items()}


class VillageEconomy:
    """The villages' collective income as a living account (``agents.village_economy``).

    Own income grows by ``collective_growth`` a year; the part of the collective lever's
    top-up not paid out as dividends is invested as collective assets, which earn
    ``collective_asset_return`` a year from the next year. The plan's minimum (the collective
    lever's ``collective_income_minimum``) is tracked: the share of villages (each standing for
    the real villages it represents) whose own income meets it, each year.
    """

    def __init__(self, model: Province, income: np.ndarray) -> None:
        self.on = switched_on(model, "village_economy")
        self.own = np.asarray(income, dtype=float).copy()
        self.assets = np.zeros(len(self.own))
        self.invested = np.zeros(len(self.own))
        self.goal_share: dict[int, float] = {}
        if self.on:
            self.growth = agent_value(model, "collective_growth")
            self.asset_return = agent_value(model, "collective_asset_return")

    @property
    def income(self) -> np.ndarray:
        """Each village's collective income this year (yuan): own plus the assets' return."""
        return self.own + (self.asset_return * self.assets if self.on else 0.0)

    def track(self, year: int, minimum: float | None, represents: np.ndarray) -> None:
        """Record the share of (real) villages whose collective income meets ``minimum``."""
        if minimum is None or represents.sum() <= 0:
            self.goal_share[year] = float("nan")
            return
        met = self.income >= minimum
        self.goal_share[year] = float(np.sum(represents * met) / represents.sum())

    def invest(self, yuan: np.ndarray) -> None:
        """The retained part of this year's top-up (yuan by village), assets from next year."""
        if self.on:
            self.invested += yuan

    def close_year(self) -> None:
        """December: own income grows, this year's investment becomes assets."""
        if self.on:
            self.own *= np.exp(self.growth)
            self.assets += self.invested
            self.invested[:] = 0.0

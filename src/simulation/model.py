"""The Mesa model of the province: counties, villages, market entities and the monitoring
system as agents; households as arrays (:class:`Province`) or, in the reference model, one
agent each (:mod:`simulation.reference`). One step is one month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from simulation import rules
from simulation.households import NEVER, HouseholdBlock, MonthContext
from simulation.monitoring import monitoring_line
from simulation.population import Population
from simulation.results import ReplicationResult
from simulation.scenario import ALL, TARGETING, Measure, Scenario
from simulation.trend import cumulative_growth, expected_trend

RiskScorer = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass
class AllocationRound:
    """One lever's allocation in one year, shared by every county."""

    measure: Measure
    year: int
    state: dict[str, np.ndarray]
    eligible: np.ndarray
    uniform: np.ndarray  # one draw per household (or per village for village levers)
    share: float  # province-wide share of eligible weight (or villages) to reach
    quota: float  # province-wide weighted households to reach (lowest_income priority)
    eligible_weight: float


class County(mesa.Agent):
    """A county (县): allocates levers among its households and villages, keeps the accounts."""

    def __init__(self, model: ProvinceBase, code: str, households: np.ndarray, villages):
        super().__init__(model)
        self.code = code
        self.households = households
        self.villages = villages
        self.key_county = bool(model.population.key_county[households].any())  # 重点帮扶县
        self.spent: dict[tuple[str, int], float] = defaultdict(float)  # yuan by (lever, year)
        self.chosen: list[np.ndarray] = []

    def allocate(self, job: AllocationRound) -> None:
        """Pick this county's recipients of a household lever."""
        idx = self.households[job.eligible[self.households]]
        if not len(idx):
            return
        if job.measure.priority == "random":
            picked = idx[job.uniform[idx] < job.share]
        else:
            weight = job.state["weight"][idx]
            quota = job.quota * weight.sum() / job.eligible_weight
            order_key = job.state["income_per_capita"][idx]
            picked = idx[rules.select_lowest(order_key, weight, quota)]
        self.chosen.append(picked)

    def choose_villages(self, job: AllocationRound) -> None:
        """Pick this county's villages for a village lever, among the eligible ones
        (``job.eligible`` is then a mask over villages)."""
        v = self.villages
        self.chosen.append(v[job.eligible[v] & (job.uniform[v] < job.share)])


class Village(mesa.Agent):
    """An administrative village (行政村): collective economy and tourism status."""

    def __init__(self, model: ProvinceBase, code: str, households: float, collective: float):
        super().__init__(model)
        self.code = code
        self.households = households  # weighted alleviated households in the sample village
        self.collective_income = collective  # yuan per year
        self.tourism = False
        self.levers: dict[str, int] = {}  # lever -> month its effect ends in this village

    def represents(self) -> float:
        """Real villages this sampled village stands for."""
        per_village = self.model.spec.province["households_per_village"].value
        return self.households / per_village

    def top_up(self, minimum: float) -> float:
        """Yuan that raise this year's collective income to the minimum (paid every year)."""
        return max(minimum - self.collective_income, 0.0)


class MarketEntity(mesa.Agent):
    """Firms, cooperatives and assistance workshops of a county: the jobs and links they give."""

    def __init__(self, model: ProvinceBase, county: County):
        super().__init__(model)
        self.county = county
        self.links: dict[tuple[str, int], float] = defaultdict(float)

    def link(self, measure: str, year: int, households: float) -> None:
        """Record weighted households hired or linked through a lever."""
        self.links[(measure, year)] += households


class MonitoringSystem(mesa.Agent):
    """The income monitoring system: the yearly line, screening cadence and targeting."""

    def __init__(self, model: ProvinceBase, targeting: str, risk_scorer: RiskScorer | None):
        super().__init__(model)
        self.targeting = targeting
        self.risk_scorer = risk_scorer
        p = model.spec.monitoring
        self.capacity = float(p["capacity"].value)
        self.hit_rate = float(p["village_screening_hit_rate"].value)
        self.lag = rules.detection_lag(
            p["township_review_interval"].value, p["county_scheduling_interval"].value
        )
        self.assistance_delay = int(p["assistance_delay"].value)
        self.gap_closure = float(p["assistance_gap_closure"].value)
        self.assistance_duration = int(p["assistance_duration"].value)
        self.preventive = float(p["preventive_support"].value)
        self.unit_cost = float(p["enrolled_unit_cost"].value)
        line = p["line"].value
        self.line_override = None if line == "data" else float(line)

    def line(self, year: int) -> float:
        """Monitoring line for ``year`` (yuan per person per year)."""
        return self.line_override if self.line_override is not None else monitoring_line(year)

    def enrol(self, year: int) -> np.ndarray:
        """Choose the year's monitored households (监测对象) up to capacity; return the mask.

        ``income`` targeting (status quo) takes the lowest incomes; ``risk`` targeting the
        highest scores of the risk scorer over the household arrays.
        """
        state = self.model.household_state()
        if self.targeting == "income":
            key = state["income_per_capita"]
        else:
            scores = np.asarray(self.risk_scorer(state), dtype=float)
            if scores.shape != state["weight"].shape or not np.all(np.isfinite(scores)):
                raise ValueError("risk_scorer: expected one finite probability per household")
            key = -scores
        return rules.select_lowest(key, state["weight"], self.capacity)


class ProvinceBase(mesa.Model):
    """Institutions, levers, shocks and accounts shared by the vectorised and reference models.

    Parameters
    ----------
    scenario : Scenario
    population : Population
    seed : int
        Seed of the replication; every random stream derives from it by name.
    draw_parameters : bool
        Draw effect sizes within their ranges (True) or use central values.
    targeting : {"income", "risk"}, optional
        Overrides the scenario's ``monitoring.targeting`` rule.
    risk_scorer : callable, optional
        ``risk_scorer(state_arrays) -> probabilities``; required for ``risk`` targeting
        (:func:`simulation.risk.panel_risk_scorer` trains one without MLflow).
    months : int, optional
        Months to run (default: to December of the scenario's last year).
    trend : sequence of float, optional
        Yunnan's yearly log growth for each simulated year (a replication's draw of the
        macro layer, :mod:`simulation.trend`); default: the macro layer's expected path.
    """

    def __init__(
        self,
        scenario: Scenario,
        population: Population,
        *,
        seed: int,
        draw_parameters: bool = True,
        targeting: str | None = None,
        risk_scorer: RiskScorer | None = None,
        months: int | None = None,
        trend: Sequence[float] | None = None,
    ) -> None:
        super().__init__(rng=rules.stream(seed, "mesa"))
        targeting = scenario.targeting if targeting is None else targeting
        if targeting not in TARGETING:
            raise ValueError(f"targeting: {targeting!r} not one of {TARGETING}")
        if targeting == "risk" and risk_scorer is None:
            raise ValueError("targeting='risk' needs a risk_scorer (see simulation.risk)")
        first = population.as_of + 1
        if not scenario.years[0] <= first <= scenario.years[1]:
            raise ValueError(
                f"{scenario.path}: years: the run starts in {first}, outside the scenario's "
                f"years {scenario.years[0]}-{scenario.years[1]}"
            )
        horizon = 12 * (scenario.years[1] - population.as_of)
        self.months = horizon if months is None else int(months)
        if not 1 <= self.months <= horizon:
            raise ValueError(f"months: {self.months} outside 1..{horizon}")
        self.spec, self.population, self.seed = scenario, population, seed
        self.first_year = first
        self.month = 0
        self.parameters = self._draw_parameters(draw_parameters)
        self._dynamics(population, scenario.years[1], trend)
        self._shock_parameters(population)
        self.streams = {
            name: rules.stream(seed, name)
            for name in (
                "households.dynamics",
                "households.shocks",
                "households.screening",
                "villages",
                "shocks.village",
                "shocks.market",
                "shocks.labour",
            )
        }
        self.monitoring = MonitoringSystem(self, targeting, risk_scorer)
        self._institutions(population)
        self._build_households(population)
        self.costs: dict[tuple[str, int], float] = defaultdict(float)
        self.reach: dict[tuple[str, int], float] = defaultdict(float)
        # Who each lever picked (indices of villages or households) by (lever, year), and
        # the month until which a household holds a multi-year lever (not picked again).
        self.choices: dict[tuple[str, int], np.ndarray] = {}
        self.holding: dict[str, np.ndarray] = {}
        self.monthly: list[tuple] = []
        self.annual: list[dict] = []
        self.annual_history: dict[int, np.ndarray] = {}
        self.price_log, self.price_variance = 0.0, 0.0
        self.labour_bad_until = -1
        self.datacollector = mesa.DataCollector(
            model_reporters={
                s: (lambda m, i=i: m.monthly[-1][i + 1]) for i, s in enumerate(rules.SOURCES)
            }
        )

    # -- set-up ----------------------------------------------------------------------------
    def _draw_parameters(self, draw: bool) -> dict[str, float]:
        values = {}
        for name in self.spec.levers:
            for source, effect in self.spec.levers[name].effects.items():
                key = f"{name}.{source}"
                values[key] = effect.draw(
                    rules.stream(self.seed, f"parameters.{key}") if draw else None
                )
        for key, p in self.spec.calibration.items():
            values[f"calibration.{key}"] = float(p.value)
        return values

    def _dynamics(
        self, population: Population, last_year: int, trend: Sequence[float] | None
    ) -> None:
        years = last_year - population.as_of
        if trend is None:
            trend = expected_trend(population.as_of, last_year)
        self.trend_path = np.asarray(trend, dtype=float)
        if self.trend_path.shape != (years,):
            raise ValueError(
                f"trend: {self.trend_path.shape[0]} yearly growth rates for {years} years "
                f"({population.as_of + 1}-{last_year})"
            )
        for i, year in enumerate(range(population.as_of + 1, last_year + 1)):
            self.parameters[f"trend.{year}"] = float(self.trend_path[i])
        arrays = population.dynamics.arrays()
        # Optional shifts of a source's trend (log points a year; in-sample calibration).
        self.trend_shift = np.array(
            [self.parameters.get(f"calibration.{s}_drift_shift", 0.0) for s in rules.SOURCES]
        )
        self.rho_m, self.sigma_m = rules.monthly_ar1(arrays["rho"], arrays["sigma"])
        self.variance = np.zeros_like(arrays["rho"])

    def _shock_parameters(self, population: Population) -> None:
        s, dyn = self.spec.shocks, population.dynamics

        def from_panel(name: str, estimate: float) -> float:
            p = s[name]
            if p.value == "panel":
                return (
                    float(estimate) if np.isfinite(estimate) else float(s[f"{name}_fallback"].value)
                )
            return float(p.value)

        illness_effect = dyn.shock_effects.loc["illness", "wage"]
        disaster_effect = dyn.shock_effects.loc["disaster", "operating"]
        self.shock = {
            "illness_hazard": float(
                rules.monthly_hazard(from_panel("illness_rate", dyn.shock_rates["illness"]))
            ),
            "illness_effect": min(from_panel("illness_wage_effect", illness_effect), 0.0),
            "illness_duration": int(s["illness_duration"].value),
            "disaster_hazard": float(
                rules.monthly_hazard(from_panel("disaster_rate", dyn.shock_rates["disaster"]))
            ),
            "disaster_effect": min(from_panel("disaster_operating_effect", disaster_effect), 0.0),
            "disaster_duration": int(s["disaster_duration"].value),
        }
        for key, value in self.shock.items():
            self.parameters[f"shocks.{key}"] = float(value)

    def _institutions(self, population: Population) -> None:
        villages_rng = self.streams["villages"]
        lever = self.spec.levers["collective_assets"].extra
        median = lever["collective_income_median"].value
        spread = lever["collective_income_dispersion"].value
        weights = np.bincount(
            population.village, weights=population.weight, minlength=len(population.village_codes)
        )
        collective = median * np.exp(spread * villages_rng.standard_normal(len(weights)))
        self.villages = [
            Village(self, code, float(w), float(c))
            for code, w, c in zip(population.village_codes, weights, collective, strict=True)
        ]
        order = np.argsort(population.county, kind="stable")
        bounds = np.searchsorted(
            population.county[order], np.arange(len(population.county_codes) + 1)
        )
        v_order = np.argsort(population.village_county, kind="stable")
        v_bounds = np.searchsorted(
            population.village_county[v_order], np.arange(len(population.county_codes) + 1)
        )
        self.counties = []
        for c, code in enumerate(population.county_codes):
            county = County(
                self, code, order[bounds[c] : bounds[c + 1]], v_order[v_bounds[c] : v_bounds[c + 1]]
            )
            county.market = MarketEntity(self, county)
            self.counties.append(county)
        self.village_disaster_until = np.full(len(self.villages), -1, dtype=np.int32)

    # -- households: implemented by the vectorised and the reference model ----------------
    def _build_households(self, population: Population) -> None:
        raise NotImplementedError

    def household_state(self) -> dict:
        """Arrays of household state the institutions and a risk scorer read.

        Those of :meth:`HouseholdBlock.state`, plus ``year`` (the year being allocated) and
        ``annual_history`` ({year: income by source (4, n)} of the simulated years so far).
        """
        state = self.household_arrays()
        state["year"] = self.year
        state["annual_history"] = self.annual_history
        return state

    def household_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def grant(self, idx, start, end, source: int, amount) -> None:
        raise NotImplementedError

    def insure(self, idx, until: int, cover: float) -> None:
        raise NotImplementedError

    def mark_tourism(self, village_is_tourism: np.ndarray) -> None:
        """Flag households living in tourism demonstration villages."""
        raise NotImplementedError

    def enrol(self, enrolled: np.ndarray, preventive: float) -> None:
        """Set the year's monitored households and their preventive support (yuan/year)."""
        raise NotImplementedError

    def advance_households(self, ctx: MonthContext) -> None:
        raise NotImplementedError

    def household_totals(self) -> np.ndarray:
        """Weighted sum of this month's yearly income rate by source, shape (4,)."""
        raise NotImplementedError

    def close_household_year(self) -> np.ndarray:
        """Each household's income of the closing year by source, shape (4, n)."""
        raise NotImplementedError

    def monitoring_counters(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    # -- the month -------------------------------------------------------------------------
    def step(self) -> None:
        """One month: allocate (in January), shocks, households, monitoring, accounts."""
        if self.month % 12 == 0:
            self.start_year()
        ctx = self.month_context()
        self.advance_households(ctx)
        totals = self.household_totals()
        people = float(np.sum(self.population.weight * self.population.members))
        self.monthly.append((self.month, *(totals / 12 / people)))
        self.datacollector.collect(self)
        if self.month % 12 == 11 or self.month == self.months - 1:
            self.close_year(ctx)
        self.month += 1

    @property
    def year(self) -> int:
        return self.first_year + self.month // 12

    def start_year(self) -> None:
        """January: monitoring enrolment, labour-demand shock, allocation of every lever."""
        year = self.year
        threshold = self.spec.levers["one_to_one_assistance"].extra["threshold"].value
        self.threshold = float(threshold)
        enrolled = self.monitoring.enrol(year)
        w = self.population.weight
        self.spend(
            "monitoring",
            year,
            float(np.sum(w[enrolled]) * (self.monitoring.unit_cost + self.monitoring.preventive)),
            np.flatnonzero(enrolled),
        )
        self.reach[("monitoring", year)] += float(np.sum(w[enrolled]))
        self.enrol(enrolled, self.monitoring.preventive)
        s = self.spec.shocks
        if self.streams["shocks.labour"].random() < s["labour_demand_rate"].value:
            self.labour_bad_until = self.month + int(s["labour_demand_duration"].value) - 1
        for name in self.spec.measures:
            self.allocate(self.spec.levers[name], year)

    def allocate(self, measure: Measure, year: int) -> None:
        """Allocate one lever for one year through the counties and grant its effects."""
        rng = rules.stream(self.seed, f"measure.{measure.name}.{year}")
        state = self.household_state()
        eligible = rules.ELIGIBILITY[measure.eligible](state)
        w = state["weight"]
        scale = measure.scale.at(year)
        per_unit = float(measure.reach_per_unit.value)
        n_units = (np.sum(w[eligible]) / per_unit) if scale == ALL else float(scale)
        if measure.reach == "pool":
            self._allocate_pool(measure, year, state, eligible, n_units)
            return
        if measure.name == "collective_assets":
            self._allocate_collective(measure, year, n_units)
            return
        # A lever lasting more than a year is held: the village or household it picked is not
        # picked again (nor charged again) while its effect runs. Yearly levers are renewed.
        multi_year = int(measure.duration_months.value) > 12
        start_month = 12 * (year - self.first_year)
        last_month = start_month + 11 + int(measure.delay_months.value)
        last_month += int(measure.duration_months.value)
        if measure.reach == "villages":
            uniform = rng.random(len(self.villages))
            # Villages with a household the lever is for, not already holding the lever.
            has_eligible = np.bincount(
                state["village"], weights=w * eligible, minlength=len(uniform)
            )
            free = np.array([v.levers.get(measure.name, -1) <= start_month for v in self.villages])
            available = (has_eligible > 0) & free
            weight_v = np.bincount(state["village"], weights=w, minlength=len(uniform))
            share_available = float(weight_v[available].sum() / weight_v.sum())
            villages_available = self.spec.province["villages"].value * share_available
            share = min(1.0, n_units * per_unit / villages_available) if villages_available else 0.0
            job = AllocationRound(measure, year, state, available, uniform, share, 0.0, 0.0)
            self.agents_by_type[County].do("choose_villages", job)
            chosen_v = self._collect_chosen()
            self.choices[(measure.name, year)] = chosen_v
            members = np.zeros(len(self.villages), dtype=bool)
            members[chosen_v] = True
            for v in chosen_v:
                if multi_year:
                    self.villages[v].levers[measure.name] = last_month
                if measure.name == "tourism_villages":
                    self.villages[v].tourism = True
            if measure.name == "tourism_villages":
                self.mark_tourism(np.array([v.tourism for v in self.villages], dtype=bool))
            in_village = members[state["village"]]
            take = rng.random(len(w)) < measure.take_up.value
            recipients = np.flatnonzero(eligible & in_village & take)
            units = sum(self.villages[v].represents() for v in chosen_v) / per_unit
            self._grant_effects(measure, year, state, recipients, rng, units, spread=False)
            return
        if multi_year:  # a household trained, hired or lent to is not picked again
            holding = self.holding.setdefault(measure.name, np.full(len(w), -1, dtype=np.int32))
            eligible = eligible & (holding <= start_month)
        eligible_weight = float(np.sum(w[eligible]))
        quota = min(n_units * per_unit, eligible_weight)
        share = quota / eligible_weight if eligible_weight > 0 else 0.0
        uniform = rng.random(len(w))
        job = AllocationRound(
            measure, year, state, eligible, uniform, share, quota, eligible_weight
        )
        self.agents_by_type[County].do("allocate", job)
        picked = self._collect_chosen()
        self.choices[(measure.name, year)] = picked
        if multi_year:
            holding[picked] = last_month
        units = float(np.sum(w[picked])) / per_unit
        take = rng.random(len(w))[picked] < measure.take_up.value
        self._link_market(measure, year, picked[take])
        self._grant_effects(measure, year, state, picked[take], rng, units, spread=True)

    def _collect_chosen(self) -> np.ndarray:
        chosen = [c for county in self.counties for c in county.chosen]
        for county in self.counties:
            county.chosen = []
        return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)

    def _link_market(self, measure: Measure, year: int, recipients: np.ndarray) -> None:
        if measure.name not in ("eastern_firms", "local_leaders", "workshops"):
            return
        w = np.bincount(
            self.population.county[recipients],
            weights=self.population.weight[recipients],
            minlength=len(self.counties),
        )
        for county, households in zip(self.counties, w, strict=True):
            if households:
                county.market.link(measure.name, year, float(households))

    def _grant_effects(self, measure, year, state, recipients, rng, units, spread: bool) -> None:
        """Grant a lever's effects to recipients; account cost and reach."""
        start_month = 12 * (year - self.first_year)
        delay = int(measure.delay_months.value)
        duration = int(measure.duration_months.value)
        n = len(recipients)
        # Levers renewed every year start in January; cohorts (training, loans) spread over it.
        offset = rng.integers(0, 12, n) if spread and duration > 12 else np.zeros(n, dtype=int)
        start = start_month + offset + delay
        end = start + duration
        for source, effect in measure.effects.items():
            i = rules.SOURCES.index(source)
            size = self.parameters[f"{measure.name}.{source}"]
            if effect.kind == "insurance":
                self.insure(recipients, start_month + duration - 1, size)
                continue
            amount = rules.effect_amount(
                effect.kind,
                size,
                state[source][recipients],
                state["members"][recipients],
                effect.per_member,
            )
            self.grant(recipients, start, end, i, amount)
            if measure.unit_cost.per == "paid":
                self._account_paid(
                    measure, state["weight"][recipients] * amount, start, end, recipients
                )
        w = state["weight"]
        self.reach[(measure.name, year)] += float(np.sum(w[recipients]))
        if measure.unit_cost.per != "paid":
            self._account(measure, year, units, duration, recipients)

    def spend(self, measure: str, year: int, yuan: float, recipients=None) -> None:
        """Book public spending on a lever: province accounts and each county's share.

        Counties carry the cost in proportion to the weighted recipients they hold (to all
        their households when the spending has no recipients, e.g. no trainee found a job).
        """
        self.costs[(measure, year)] += yuan
        share = np.zeros(len(self.counties))
        if recipients is not None and len(recipients):
            share = np.bincount(
                self.population.county[recipients],
                weights=self.population.weight[recipients],
                minlength=len(self.counties),
            )
        if share.sum() <= 0:
            share = np.bincount(
                self.population.county, weights=self.population.weight, minlength=len(self.counties)
            )
        for c in np.flatnonzero(share):
            self.counties[c].spent[(measure, year)] += yuan * share[c] / share.sum()

    def _account_paid(self, measure: Measure, yearly_yuan, start, end, recipients) -> None:
        """Cost of a lever paid out to households: yuan per year x months active each year."""
        for y in range(self.first_year, self.first_year + (self.months - 1) // 12 + 1):
            lo = 12 * (y - self.first_year)
            months = np.clip(np.minimum(end, lo + 12) - np.maximum(start, lo), 0, 12)
            paid = float(np.sum(yearly_yuan * months / 12)) * float(measure.unit_cost.value)
            if paid:
                self.spend(measure.name, y, paid, recipients)

    def _account(
        self, measure: Measure, year: int, units: float, duration: int, recipients
    ) -> None:
        cost = units * float(measure.unit_cost.value)
        if measure.unit_cost.per == "once":
            self.spend(measure.name, year, cost, recipients)
            return
        last = self.first_year + (self.months - 1) // 12
        months_left = duration
        for y in range(year, last + 1):
            share = min(12, months_left) / 12
            if share <= 0:
                break
            self.spend(measure.name, y, cost * share, recipients)
            months_left -= 12

    def _allocate_pool(self, measure, year, state, eligible, yuan: float) -> None:
        """Spread a sum of money over eligible households in proportion to their income."""
        ((source, effect),) = measure.effects.items()
        w = state["weight"]
        base = np.where(eligible, np.maximum(state[source], 0.0), 0.0)
        total = float(np.sum(w * base))
        share = self.parameters[f"{measure.name}.{source}"]
        recipients = np.flatnonzero(base > 0)
        if total > 0:
            amount = yuan * share * base[recipients] / total
            start = 12 * (year - self.first_year) + int(measure.delay_months.value)
            self.grant(
                recipients,
                start,
                start + int(measure.duration_months.value),
                rules.SOURCES.index(source),
                amount,
            )
        self.reach[(measure.name, year)] += float(np.sum(w[recipients]))
        self.spend(measure.name, year, yuan * float(measure.unit_cost.value), recipients)

    def _allocate_collective(self, measure, year, share_topped: float) -> None:
        """Villages' collective income raised to the minimum; a share paid out as dividends."""
        minimum = measure.extra["collective_income_minimum"].value
        per_village = self.spec.province["households_per_village"].value
        dividend_share = self.parameters[f"{measure.name}.property"]
        rng = rules.stream(self.seed, f"measure.{measure.name}.{year}")
        chosen = rng.random(len(self.villages)) < share_topped
        dividend = np.zeros(len(self.villages))
        cost = 0.0
        for v, village in enumerate(self.villages):
            if chosen[v]:
                gap = village.top_up(minimum)
                dividend[v] = gap * dividend_share / per_village
                cost += gap * village.represents()
        hv = self.population.village
        recipients = np.flatnonzero(dividend[hv] > 0)
        start = 12 * (year - self.first_year) + int(measure.delay_months.value)
        end = start + int(measure.duration_months.value)
        self.grant(recipients, start, end, rules.PROPERTY, dividend[hv][recipients])
        self.reach[(measure.name, year)] += float(np.sum(self.population.weight[recipients]))
        self.spend(measure.name, year, cost * float(measure.unit_cost.value), recipients)

    def month_context(self) -> MonthContext:
        """Province-wide draws and institutional settings for this month."""
        k, s = self.month, self.spec.shocks
        self.variance = self.rho_m**2 * self.variance + self.sigma_m**2
        village_hit = self.streams["shocks.village"].random(
            len(self.villages)
        ) < rules.monthly_hazard(s["village_disaster_rate"].value)
        idle = self.village_disaster_until < k
        self.village_disaster_until[village_hit & idle] = (
            k + int(s["village_disaster_duration"].value) - 1
        )
        rho, sd = s["price_persistence"].value, s["price_volatility"].value
        self.price_log = rho * self.price_log + sd * self.streams["shocks.market"].standard_normal()
        self.price_variance = rho**2 * self.price_variance + sd**2
        return MonthContext(
            month=k,
            elapsed_years=(k + 6.5) / 12,
            year_index=k // 12,
            trend=self._log_trend((k + 6.5) / 12),
            rho_m=self.rho_m,
            sigma_m=self.sigma_m,
            variance=self.variance,
            village_disaster_active=self.village_disaster_until >= k,
            village_disaster_effect=float(s["village_disaster_operating_effect"].value),
            price_multiplier=float(np.exp(self.price_log - 0.5 * self.price_variance)),
            labour_multiplier=float(
                np.exp(s["labour_demand_wage_effect"].value) if k <= self.labour_bad_until else 1.0
            ),
            line=self.monitoring.line(self.year),
            hit_rate=self.monitoring.hit_rate,
            detection_lag=self.monitoring.lag,
            assistance_delay=self.monitoring.assistance_delay,
            gap_closure=self.monitoring.gap_closure,
            assistance_duration=self.monitoring.assistance_duration,
            **self.shock,
        )

    def _log_trend(self, elapsed_years: float) -> np.ndarray:
        """Log trend of every (household type, source) ``elapsed_years`` after the as-of
        year's middle: the provincial path, the same for every type (no type grows apart
        from the others forever), plus any source shift."""
        common = cumulative_growth(self.trend_path, elapsed_years)
        row = common + self.trend_shift * elapsed_years
        return np.broadcast_to(row, self.variance.shape)

    def close_year(self, ctx: MonthContext) -> None:
        """December: the year's per-capita income by source and the monitoring figures."""
        annual = self.close_household_year()
        w, members = self.population.weight, self.population.members
        people = float(np.sum(w * members))
        months_in_year = self.month % 12 + 1
        by_source = annual @ w / people * (12 / months_in_year)
        per_capita = annual.sum(axis=0) / members * (12 / months_in_year)
        if months_in_year == 12:
            self.annual_history[self.year] = annual  # what a risk scorer reads as history
        self.household_income_per_capita = per_capita  # each household's, for distribution checks
        counters = self.monitoring_counters()
        y = ctx.year_index
        newly = counters["newly_under"][y]
        detected = counters["newly_detected"][y]
        self.spend("monitoring_assistance", self.year, float(counters["assistance_paid"][y]))
        self.annual.append(
            {
                "year": self.year,
                "net_income_per_capita": float(by_source.sum()),
                **{s: float(v) for s, v in zip(rules.SOURCES, by_source, strict=True)},
                "line_yuan": ctx.line,
                "share_people_under_line": float(
                    np.sum((w * members)[per_capita < ctx.line]) / people
                ),
                "households_newly_under_line": float(newly),
                "share_newly_under_detected": float(detected / newly) if newly else np.nan,
                "mean_detection_delay_months": float(counters["delay_weighted"][y] / detected)
                if detected
                else np.nan,
                "months": months_in_year,
            }
        )

    def run(self) -> ReplicationResult:
        """Run every month and return the replication's result."""
        while self.month < self.months:
            self.step()
        return self.result()

    def result(self) -> ReplicationResult:
        """Gather the collected figures into a :class:`ReplicationResult`."""
        start = pd.Period(f"{self.first_year}-01", freq="M")
        monthly = pd.DataFrame(self.monthly, columns=["month", *rules.SOURCES])
        monthly["month"] = [start + int(k) for k in monthly["month"]]
        monthly["net_income_per_capita"] = monthly[list(rules.SOURCES)].sum(axis=1)
        annual = pd.DataFrame(self.annual).set_index("year")
        cost = pd.DataFrame(
            [(m, y, c) for (m, y), c in sorted(self.costs.items())],
            columns=["measure", "year", "cost_yuan"],
        )
        reach = pd.DataFrame(
            [(m, y, h) for (m, y), h in sorted(self.reach.items())],
            columns=["measure", "year", "households"],
        )
        return ReplicationResult(
            scenario=self.spec.name,
            seed=self.seed,
            as_of=self.population.as_of,
            annual=annual,
            monthly=monthly.set_index("month"),
            cost=cost,
            reach=reach,
            parameters=dict(self.parameters),
        )


def household_columns(population: Population) -> dict[str, np.ndarray]:
    """The population's arrays a :class:`HouseholdBlock` starts from."""
    return {
        "weight": population.weight,
        "members": population.members.astype(float),
        "labour_force": population.labour_force,
        "household_type": population.household_type,
        "county": population.county,
        "village": population.village,
        "key_county": population.key_county,
        "relocated": population.relocated,
        "monitored": population.monitored,
        "income": population.income,
    }


class Province(ProvinceBase):
    """The vectorised model: all households in one array block, stepped at once."""

    def _build_households(self, population: Population) -> None:
        self.block = HouseholdBlock(household_columns(population), years=self.months // 12 + 1)

    def household_arrays(self) -> dict[str, np.ndarray]:
        return self.block.state(getattr(self, "threshold", np.inf))

    def grant(self, idx, start, end, source, amount) -> None:
        self.block.grant(idx, start, end, source, amount)

    def insure(self, idx, until, cover) -> None:
        self.block.insure(idx, until, cover)

    def mark_tourism(self, village_is_tourism) -> None:
        self.block.tourism_village = village_is_tourism[self.block.village]

    def enrol(self, enrolled, preventive) -> None:
        self.block.enrolled = enrolled
        self.block.preventive = np.full(self.block.n, preventive)

    def advance_households(self, ctx: MonthContext) -> None:
        n = self.block.n
        draws = {
            "innovation": self.streams["households.dynamics"].standard_normal((4, n)),
            "illness": self.streams["households.shocks"].random(n),
            "disaster": self.streams["households.shocks"].random(n),
            "screen": self.streams["households.screening"].random(n),
        }
        self.block.step(ctx, draws)

    def household_totals(self) -> np.ndarray:
        # einsum, not BLAS: the same summation order whatever the number of threads.
        return np.einsum("sn,n->s", self.block.income, self.block.weight)

    def close_household_year(self) -> np.ndarray:
        return self.block.close_year()

    def monitoring_counters(self) -> dict[str, np.ndarray]:
        b = self.block
        return {
            "newly_under": b.newly_under,
            "newly_detected": b.newly_detected,
            "delay_weighted": b.delay_weighted,
            "assistance_paid": b.assistance_paid,
        }


__all__ = [
    "NEVER",
    "County",
    "MarketEntity",
    "MonitoringSystem",
    "Province",
    "ProvinceBase",
    "Village",
]

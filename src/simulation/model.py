"""The Mesa model of the province: counties and the monitoring system as agents
(:mod:`simulation.agents`), levers as strategies (:mod:`simulation.levers`), villages and
households as arrays (villages in :mod:`simulation.agents`; households stepped by a backend,
:mod:`simulation.households`, or one agent each in :mod:`simulation.reference`). One step is
one month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import mesa
import numpy as np
import pandas as pd

from simulation import rules
from simulation.agents import County, MonitoringSystem, RiskScorer, Villages
from simulation.households import MonthContext, VectorisedHouseholds
from simulation.institutions import (
    Capacities,
    CountyBudgets,
    MarketEntities,
    VillageEconomy,
    booked_share,
    budgeted,
    caseload_lags,
)
from simulation.levers import collective_lever, raised_level, strategy_for
from simulation.population import Population
from simulation.results import ReplicationResult
from simulation.scenario import ALL, TARGETING, Measure, Scenario
from simulation.trend import cumulative_growth, expected_trend, shift_carried

# The annual accounts, one row per simulated year (collected by the DataCollector).
ANNUAL_COLUMNS: tuple[str, ...] = (
    "year",
    "net_income_per_capita",
    *rules.SOURCES,
    "line_yuan",
    "share_people_under_line",
    "households_newly_under_line",
    "share_newly_under_detected",
    "mean_detection_delay_months",
    "share_villages_collective_goal",
    "households_link_struck",
    "households_link_broken",
    "months",
)


class Province(mesa.Model):
    """The province, month by month: institutions, levers, shocks, households and accounts.

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
    households : type, optional
        The households backend: :class:`~simulation.households.VectorisedHouseholds` (all
        households stepped at once, the default) or
        :class:`~simulation.reference.ReferenceHouseholds` (one Mesa agent each, the same
        rules; for checking the vectorised one).
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
        households: type = VectorisedHouseholds,
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
        self.households = households(self, population, years=self.months // 12 + 1)
        self.costs: dict[tuple[str, int], float] = defaultdict(float)
        self.reach: dict[tuple[str, int], float] = defaultdict(float)
        # Households reached by any lever this year, and each county's year (close_year).
        self.reached = np.zeros(population.size, dtype=bool)
        self.county_years: list[pd.DataFrame] = []
        # Per (lever, year): the unit of its scale, what it asked, what the eligible pool
        # held and what it reached (record_reach), so that a shortfall is reported.
        self.reach_accounts: dict[tuple[str, int], tuple[str, float, float, float]] = {}
        # Who each lever picked (indices of villages or households) by (lever, year), and
        # the month until which a household holds a multi-year lever (not picked again).
        self.choices: dict[tuple[str, int], np.ndarray] = {}
        self.holding: dict[str, np.ndarray] = {}
        self.annual_history: dict[int, np.ndarray] = {}
        self.price_log, self.price_variance = 0.0, 0.0
        self.labour_bad_until = -1
        # The institutions' own rules (simulation.institutions), each switchable.
        self.budgets = CountyBudgets(self)
        self.capacities = Capacities(self)
        self.entities = MarketEntities(self)
        self.county_lag = np.full(len(self.counties), self.monitoring.lag)
        # Measurement, apart from the rules: the monthly per-capita income by source, and one
        # row per year of the annual accounts (what ReplicationResult reads).
        self.month_income = np.zeros(len(rules.SOURCES))
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "month": lambda m: m.month,
                **{s: (lambda m, i=i: m.month_income[i]) for i, s in enumerate(rules.SOURCES)},
            },
            tables={"annual": list(ANNUAL_COLUMNS)},
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
            values[f"calibration.{key}"] = p.draw(None)
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
        dynamics = population.dynamics
        arrays = dynamics.arrays()
        # Shifts of each source's trend (log points a year) from the calibration: the full
        # shift in the calibration year, then carried on with its persistence (none before).
        shift = np.array(
            [self.parameters.get(f"calibration.{s}_drift_shift", 0.0) for s in rules.SOURCES]
        )
        self.shift_path = shift[:, None] * shift_carried(
            range(population.as_of + 1, last_year + 1),
            int(self.parameters.get("calibration.calibration_year", population.as_of + 1)),
            self.parameters.get("calibration.shift_persistence", 1.0),
        )
        self.rho_m, self.sigma_m = rules.monthly_ar1(arrays["rho"], arrays["sigma"])
        # Types that move: labour groups each January from the panel's yearly matrix, drawn
        # from a stream of their own so every other stream's draws stay as they were.
        self.labour_transitions = dynamics.transition_matrix()
        self.transitions_stream = rules.stream(self.seed, "households.transitions")
        # Shocks that recover: after its full period a shock's remaining effect decays at a
        # yearly rate, from the panel (the share of the shock-year effect recovered the next
        # year, turned into the rule's rate) or stated.
        s = self.spec.shocks
        self.shock_decay = {}
        for shock, source in (("illness", "wage"), ("disaster", "operating")):
            stated = s[f"{shock}_recovery_rate"].value
            if stated == "panel":
                recovered = dynamics.shock_recovery.loc[shock, source]
                rate = (
                    rules.recovery_rate(recovered, int(s[f"{shock}_duration"].value))
                    if np.isfinite(recovered)
                    else float(s[f"{shock}_recovery_rate_fallback"].value)
                )
            else:
                rate = float(stated)
            self.parameters[f"shocks.{shock}_recovery_rate"] = float(rate)
            self.shock_decay[f"{shock}_decay"] = rules.monthly_decay(rate)

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
        weights = np.bincount(
            population.village, weights=population.weight, minlength=len(population.village_codes)
        )
        # The villages' collective income is declared with the catalogue's collective lever.
        lever = collective_lever(self.spec.levers)
        draws = villages_rng.standard_normal(len(weights))
        if lever is None:
            collective = np.zeros(len(weights))
        else:
            median = lever.extra["collective_income_median"].value
            spread = lever.extra["collective_income_dispersion"].value
            collective = median * np.exp(spread * draws)
        self.village_economy = VillageEconomy(self, collective)
        per_village = self.spec.province["households_per_village"].value
        self.villages = Villages(population.village_codes, weights, per_village)
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
                self,
                c,
                code,
                order[bounds[c] : bounds[c + 1]],
                v_order[v_bounds[c] : v_bounds[c + 1]],
            )
            self.counties.append(county)
        self.village_disaster_until = np.full(len(self.villages), -1, dtype=np.int32)

    # -- households ----------------------------------------------------------------------------
    def household_state(self) -> dict:
        """Arrays of household state the institutions and a risk scorer read.

        The backend's arrays (:meth:`HouseholdBlock.state`), plus ``year`` (the year being
        allocated) and ``annual_history`` ({year: income by source (4, n)} of the simulated
        years so far).
        """
        state = self.households.arrays()
        state["year"] = self.year
        state["annual_history"] = self.annual_history
        return state

    def grant(self, idx, start, end, source: int, amount) -> None:
        """Give households ``idx`` ``amount`` yuan/year on ``source`` from ``start`` to ``end``."""
        self.households.grant(idx, start, end, source, amount)

    # -- the month -------------------------------------------------------------------------
    def step(self) -> None:
        """One month: allocate (in January), shocks, households, monitoring, accounts."""
        if self.month % 12 == 0:
            self.start_year()
        self.entities.strike(self.month)  # market shocks reach linked households
        ctx = self.month_context()
        self.households.advance(ctx)
        people = float(np.sum(self.population.weight * self.population.members))
        self.month_income = self.households.totals() / 12 / people
        self.datacollector.collect(self)
        if self.month % 12 == 11 or self.month == self.months - 1:
            self.close_year(ctx)
        self.month += 1

    @property
    def year(self) -> int:
        return self.first_year + self.month // 12

    def start_year(self) -> None:
        """January: monitoring enrolment, household types, labour-demand shock, allocation
        of every lever."""
        year = self.year
        self.reached[:] = False
        enrolled = self.monitoring.enrol(year)
        w = self.population.weight
        self.spend(
            "monitoring",
            year,
            float(np.sum(w[enrolled]) * (self.monitoring.unit_cost + self.monitoring.preventive)),
            np.flatnonzero(enrolled),
        )
        self.reach[("monitoring", year)] += float(np.sum(w[enrolled]))
        self.households.enrol(enrolled, self.monitoring.preventive)
        self.county_lag = caseload_lags(self, enrolled)
        lever = collective_lever(self.spec.levers)
        minimum = None if lever is None else lever.extra["collective_income_minimum"].value
        self.village_economy.track(year, minimum, self.villages.represents)
        self.households.transition(self.labour_transitions, self.transitions_stream)
        s = self.spec.shocks
        if self.streams["shocks.labour"].random() < s["labour_demand_rate"].value:
            self.labour_bad_until = self.month + int(s["labour_demand_duration"].value) - 1
        self.budgets.open_year(self, year, self._asks(year))
        for name in self.spec.measures:
            measure = self.spec.levers[name]
            strategy_for(measure).allocate(self, measure, year)

    def _asks(self, year: int) -> dict[str, np.ndarray]:
        """Yuan each budgeted lever's asked scale would book this year, by county: its
        share of the lever's eligible households (what a county asks its funds for)."""
        if not self.budgets.on:
            return {}
        state, pop = self.household_state(), self.population
        k = len(self.counties)
        asks = {}
        for name in self.spec.measures:
            m = self.spec.levers[name]
            if not budgeted(m):
                continue
            eligible = rules.eligible(m, state)
            if m.name in self.holding:  # households holding a multi-year lever ask nothing
                eligible = eligible & (self.holding[m.name] <= 12 * (year - self.first_year))
            where = np.bincount(pop.county[eligible], weights=pop.weight[eligible], minlength=k)
            if where.sum() <= 0:  # eligible once a lever of the year marks villages: deferred
                continue
            scale = m.scale.at(year)
            units = where.sum() / float(m.reach_per_unit.value) if scale == ALL else float(scale)
            yuan = units * float(m.unit_cost.value) * booked_share(m, 0)
            asks[name] = yuan * where / where.sum()
        return asks

    def county_growth(self) -> np.ndarray:
        """Each county's log growth of its alleviated population's per-capita income over the
        last closed year (from the as-of year's income for the first): what performance
        evaluation reads (safeguard 2)."""
        pop = self.population
        k = len(self.counties)
        people = np.bincount(pop.county, weights=pop.weight * pop.members, minlength=k)
        if len(self.county_years) >= 2:
            before = self.county_years[-2]["net_income_per_capita"].to_numpy()
        else:
            as_of = np.bincount(
                pop.county, weights=pop.weight * pop.income.sum(axis=0), minlength=k
            )
            before = np.divide(as_of, people, out=np.full(k, np.nan), where=people > 0)
        last = self.county_years[-1]["net_income_per_capita"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(last / before)

    def collect_chosen(self) -> np.ndarray:
        """The households or villages the counties chose in this round, in index order."""
        chosen = [c for county in self.counties for c in county.chosen]
        for county in self.counties:
            county.chosen = []
        return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)

    def grant_effects(self, measure, year, state, recipients, rng, units, spread: bool) -> None:
        """Grant a lever's effects to recipients; account cost and reach.

        A cumulative effect (a yearly entitlement raised every year) is granted at the level
        of ``year``, every raise since the as-of year (:func:`simulation.levers.raised_level`),
        and a lever paid as it pays out (``unit_cost.per: paid``) costs that level.
        """
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
            size = raised_level(
                effect, self.parameters[f"{measure.name}.{source}"], year, self.first_year
            )
            if effect.kind == "insurance":
                self.households.insure(recipients, start_month + duration - 1, size)
                continue
            amount = rules.effect_amount(
                effect.kind,
                size,
                state[source][recipients],
                state["members"][recipients],
                effect.per_member,
            )
            self.grant(recipients, start, end, i, amount)
            self.entities.link(measure, year, recipients, start, end, i, amount)
            if measure.unit_cost.per == "paid":
                self._account_paid(
                    measure, state["weight"][recipients] * amount, start, end, recipients
                )
        w = state["weight"]
        self.reach[(measure.name, year)] += float(np.sum(w[recipients]))
        self.reached[recipients] = True
        if measure.unit_cost.per != "paid":
            self._account(measure, year, units, duration, recipients)

    def record_reach(
        self,
        measure: str,
        year: int,
        unit: str,
        asked: float,
        available: float,
        reached: float,
        refused_capacity: float = 0.0,
        refused_budget: float = 0.0,
    ) -> None:
        """Book what a lever asked for in ``year`` (its scale in households, villages or
        yuan), what its eligible pool held, what it reached, and what its counties refused
        for want of places or funds (simulation.institutions)."""
        self.reach_accounts[(measure, year)] = (
            unit,
            float(asked),
            float(available),
            float(reached),
            float(refused_capacity),
            float(refused_budget),
        )

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

    def month_context(self) -> MonthContext:
        """Province-wide draws and institutional settings for this month."""
        k, s = self.month, self.spec.shocks
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
            village_disaster_active=self.village_disaster_until >= k,
            village_disaster_effect=float(s["village_disaster_operating_effect"].value),
            price_multiplier=float(np.exp(self.price_log - 0.5 * self.price_variance)),
            labour_multiplier=float(
                np.exp(s["labour_demand_wage_effect"].value) if k <= self.labour_bad_until else 1.0
            ),
            line=self.monitoring.line(self.year),
            hit_rate=self.monitoring.hit_rate,
            detection_lag=self.county_lag,
            assistance_delay=self.monitoring.assistance_delay,
            gap_closure=self.monitoring.gap_closure,
            assistance_duration=self.monitoring.assistance_duration,
            **self.shock,
            **self.shock_decay,
        )

    def _log_trend(self, elapsed_years: float) -> np.ndarray:
        """Log trend of every (household type, source) ``elapsed_years`` after the as-of
        year's middle: the provincial path, the same for every type (no type grows apart
        from the others forever), plus any source shift."""
        common = cumulative_growth(self.trend_path, elapsed_years)
        row = common + np.array([cumulative_growth(p, elapsed_years) for p in self.shift_path])
        return np.broadcast_to(row, self.rho_m.shape)

    def close_year(self, ctx: MonthContext) -> None:
        """December: the year's per-capita income by source and the monitoring figures."""
        annual = self.households.close_year()
        w, members = self.population.weight, self.population.members
        people = float(np.sum(w * members))
        months_in_year = self.month % 12 + 1
        by_source = annual @ w / people * (12 / months_in_year)
        per_capita = annual.sum(axis=0) / members * (12 / months_in_year)
        if months_in_year == 12:
            self.annual_history[self.year] = annual  # what a risk scorer reads as history
            self.village_economy.close_year()
        self.household_income_per_capita = per_capita  # each household's, for distribution checks
        counters = self.households.counters()
        y = ctx.year_index
        newly = counters["newly_under"][y]
        detected = counters["newly_detected"][y]
        self.spend("monitoring_assistance", self.year, float(counters["assistance_paid"][y]))
        self.datacollector.add_table_row(
            "annual",
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
                "share_villages_collective_goal": self.village_economy.goal_share.get(
                    self.year, np.nan
                ),
                "households_link_struck": float(self.entities.struck_households[y]),
                "households_link_broken": float(self.entities.broken_households[y]),
                "months": months_in_year,
            },
        )
        self.county_years.append(self._county_year(per_capita, ctx.line))

    def _county_year(self, per_capita: np.ndarray, line: float) -> pd.DataFrame:
        """Each county's people, mean per-capita income, share under the line and households
        reached by any lever in the year just closed (cost is added by :meth:`result`)."""
        pop = self.population
        people_w = pop.weight * pop.members
        k = len(self.counties)

        def total(values: np.ndarray) -> np.ndarray:
            return np.bincount(pop.county, weights=values, minlength=k)

        people = total(people_w)
        return pd.DataFrame(
            {
                "year": self.year,
                "county": [c.code for c in self.counties],
                "key_county": [c.key_county for c in self.counties],
                "people": people,
                "net_income_per_capita": total(people_w * per_capita) / people,
                "share_people_under_line": total(people_w * (per_capita < line)) / people,
                "households_reached": total(pop.weight * self.reached),
            }
        )

    def _county_budgets(self) -> pd.DataFrame:
        """Each county's funds, its spending on budgeted levers, what it left unspent and
        what its levers asked but its funds could not pay (NaN without budgets)."""
        rows = []
        budgeted_levers = {m for m in self.spec.measures if budgeted(self.spec.levers[m])}
        for year in sorted({int(f["year"].iloc[0]) for f in self.county_years}):
            funds = self.budgets.funds.get(year)
            for c in self.counties:
                spent = sum(
                    v for (m, y), v in c.spent.items() if y == year and m in budgeted_levers
                )
                has = funds is not None
                rows.append(
                    (
                        c.code,
                        year,
                        funds[c.index] if has else np.nan,
                        spent,
                        max(funds[c.index] - spent, 0.0) if has else np.nan,
                        self.budgets.unfunded[year][c.index] if has else np.nan,
                    )
                )
        return pd.DataFrame(
            rows,
            columns=[
                "county",
                "year",
                "funds_yuan",
                "budget_spent_yuan",
                "unspent_yuan",
                "unfunded_yuan",
            ],
        )

    def run(self) -> ReplicationResult:
        """Run every month and return the replication's result."""
        while self.month < self.months:
            self.step()
        return self.result()

    def result(self) -> ReplicationResult:
        """Gather the collected figures into a :class:`ReplicationResult`."""
        start = pd.Period(f"{self.first_year}-01", freq="M")
        monthly = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        monthly["month"] = [start + int(k) for k in monthly["month"]]
        monthly["net_income_per_capita"] = monthly[list(rules.SOURCES)].sum(axis=1)
        annual = self.datacollector.get_table_dataframe("annual").set_index("year")
        cost = pd.DataFrame(
            [(m, y, c) for (m, y), c in sorted(self.costs.items())],
            columns=["measure", "year", "cost_yuan"],
        )
        reach = pd.DataFrame(
            [(m, y, h) for (m, y), h in sorted(self.reach.items())],
            columns=["measure", "year", "households"],
        )
        counties = pd.concat(self.county_years, ignore_index=True)
        spent = pd.DataFrame(
            [(c.code, y, yuan) for c in self.counties for (_, y), yuan in c.spent.items()],
            columns=["county", "year", "cost_yuan"],
        )
        spent = spent.groupby(["county", "year"], as_index=False)["cost_yuan"].sum()
        counties = counties.merge(spent, on=["county", "year"], how="left")
        counties["cost_yuan"] = counties["cost_yuan"].fillna(0.0)
        counties = counties.merge(self._county_budgets(), on=["county", "year"], how="left")
        accounts = pd.DataFrame(
            [(m, y, *a) for (m, y), a in sorted(self.reach_accounts.items())],
            columns=[
                "measure",
                "year",
                "unit",
                "asked",
                "available",
                "reached",
                "refused_capacity",
                "refused_budget",
            ],
        )
        accounts["shortfall"] = [
            rules.shortfall_reason(*row)
            for row in accounts[
                ["unit", "asked", "available", "refused_capacity", "refused_budget"]
            ].itertuples(index=False)
        ]
        reach = reach.merge(accounts, on=["measure", "year"], how="outer")
        return ReplicationResult(
            scenario=self.spec.name,
            seed=self.seed,
            as_of=self.population.as_of,
            annual=annual,
            monthly=monthly.set_index("month"),
            cost=cost,
            reach=reach,
            parameters=dict(self.parameters),
            counties=counties,
        )


__all__ = ["ANNUAL_COLUMNS", "Province"]

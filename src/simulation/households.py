"""Household state as arrays and the monthly household rules applied to them.

A :class:`HouseholdBlock` holds any number of households. The vectorised model keeps the
whole province in one block; the reference model gives each household agent a block of one.
Both step with the same :meth:`HouseholdBlock.step`, fed with random draws of the same shape
per household, so they follow the same rules with different loops.

A household's state that moves (:mod:`forecast.dynamics` estimates its rates from the panel):

- income from each source is ``base x trend x exp(deviation - variance / 2 + correction)``:
  ``base`` is the household's own level, the deviation an AR(1) that starts from the
  household's observed as-of deviation from that level and fades at its type's persistence,
  ``variance`` the variance of the noise added since the start (per household, so the noise
  keeps a mean of one whatever types the household passes through) and ``correction``
  keeps the population's mean where it was as the starting deviations fade
  (:func:`simulation.rules.fading_correction`);
- its type (labour group x monitored) changes each January: the labour group by a draw from
  the panel's yearly transition matrix, the monitored flag by the monitoring system's
  enrolment; the AR(1) parameters follow the current type;
- a shock (illness on wage, disaster on operating income) has its full effect for its stated
  duration, then the remaining effect decays at its recovery rate; a shock the household
  reported in the as-of year is carried into the run as struck in the middle of that year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.dynamics import household_type_index
from simulation import parallel, rules
from simulation.rules import OPERATING, TRANSFER, WAGE

NEVER = np.iinfo(np.int32).max
# Columns that hold one value per source for every household, not one per household.
SHARED_COLUMNS: tuple[str, ...] = ("deviation_correction",)
# A shock reported in the as-of year is taken as struck in its middle: month -6 of the run.
AS_OF_STRIKE_MONTH = -6


@dataclass
class MonthContext:
    """What institutions and province-wide shocks decided for this month."""

    month: int  # 0 = January of as_of + 1
    elapsed_years: float  # since the middle of the as_of income year
    year_index: int
    trend: np.ndarray  # (types, sources), log growth since the as-of year's middle
    rho_m: np.ndarray  # (types, sources)
    sigma_m: np.ndarray  # (types, sources)
    illness_hazard: float
    illness_effect: float
    illness_duration: int
    disaster_hazard: float
    disaster_effect: float
    disaster_duration: int
    illness_decay: float  # monthly share of the remaining effect kept after the full period
    disaster_decay: float
    village_disaster_active: np.ndarray  # by village
    village_disaster_effect: float
    price_multiplier: float
    labour_multiplier: float
    line: float
    hit_rate: float
    detection_lag: np.ndarray  # mean months from flag to county scheduling, by county
    assistance_delay: int
    gap_closure: float
    assistance_duration: int


class HouseholdBlock:
    """State of a set of households and the rules that move it one month.

    Parameters
    ----------
    columns : dict of str to ndarray
        ``weight``, ``members``, ``labour_force``, ``household_type``, ``county``, ``village``,
        ``key_county``, ``relocated``, ``monitored`` (one entry per household) and
        ``income`` of shape (4, n). Optional: ``deviation`` (4, n), the observed as-of log
        deviation from the household's level (NaN: none; default none),
        ``deviation_correction`` (4, grid), the mean correction of fading deviations
        (default none), and ``shocks`` (2, n), illness and disaster reported in the as-of
        year (default none).
    years : int
        Number of simulated years (for the monitoring counters).
    """

    def __init__(self, columns: dict[str, np.ndarray], years: int) -> None:
        for key, value in columns.items():
            setattr(self, key, value)
        n = len(self.weight)
        self.n = n
        # Threads stepping the households' own dynamics (the same result for any number).
        self.threads = parallel.threads_for(n)
        if self.threads > 1:
            parallel.reuse_freed_memory()
        # State that moves is copied: the columns may be the population's own arrays.
        self.labour_force = np.array(columns["labour_force"], copy=True)
        self.household_type = np.array(columns["household_type"], dtype=np.int8, copy=True)
        income = np.asarray(columns["income"], dtype=float)
        observed = np.asarray(columns.get("deviation", np.full((4, n), np.nan)), dtype=float)
        self.correction_table = np.asarray(
            columns.get("deviation_correction", np.zeros((4, 2))), dtype=float
        )
        self.known = np.isfinite(observed)  # a level and a starting deviation, (4, n)
        self.deviation = np.where(self.known, observed, 0.0)
        self.base = income * np.exp(-self.deviation)  # the household's own level
        self.fade = np.ones((4, n))  # share of the starting deviation still there
        self.variance = np.zeros((4, n))  # of the noise added since the start
        self.income = income.copy()  # yearly rate this month
        self.annual = np.zeros((4, n))
        self.illness_until = np.full(n, -1, dtype=np.int32)
        self.disaster_until = np.full(n, -1, dtype=np.int32)
        self.illness_log = np.zeros(n)  # log effect on wage this month
        self.disaster_log = np.zeros(n)  # log effect on operating income this month
        self.as_of_shocks = np.asarray(columns.get("shocks", np.zeros((2, n), dtype=bool)))
        self._carried = False  # as-of shocks carried into the run (at month 0)
        self.insured_until = np.full(n, -1, dtype=np.int32)
        self.insured_cover = np.zeros(n)
        self.enrolled = np.asarray(columns["monitored"], dtype=bool).copy()
        self.preventive = np.zeros(n)  # yuan per year while enrolled
        # Screening reads the income of the last 12 months, not one month's annualised rate:
        # the AR(1) noise of a single month is as large as a year's, so screening it against
        # the yearly line would flag hundreds of thousands of transient dips a year. The
        # window starts filled with the as-of year's income (the 12 months before month 0).
        self.recent = np.repeat(income.sum(axis=0)[None, :], 12, axis=0)
        self.under: np.ndarray | None = None  # set at month 0 from the as-of year's income
        self.under_since = np.full(n, -1, dtype=np.int32)
        self.detect_at = np.full(n, NEVER, dtype=np.int32)
        self.assist_from = np.full(n, NEVER, dtype=np.int32)
        self.assist_until = np.full(n, -1, dtype=np.int32)
        self.topup = np.zeros(n)
        self.marks = {mark: np.zeros(n, dtype=bool) for mark in rules.MARKS}
        self.spells: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]] = []
        # Weighted monitoring counters by simulated year.
        self.newly_under = np.zeros(years)
        self.newly_detected = np.zeros(years)
        self.delay_weighted = np.zeros(years)
        self.assistance_paid = np.zeros(years)

    # -- measures ------------------------------------------------------------------------
    def grant(self, idx, start, end, source: int, amount) -> None:
        """Give households ``idx`` ``amount`` yuan/year on ``source`` from ``start`` to ``end``."""
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx):
            n = len(idx)
            self.spells.append(
                (
                    idx,
                    np.broadcast_to(np.asarray(start, dtype=np.int32), (n,)).copy(),
                    np.broadcast_to(np.asarray(end, dtype=np.int32), (n,)).copy(),
                    source,
                    np.broadcast_to(np.asarray(amount, dtype=float), (n,)).copy(),
                )
            )

    def insure(self, idx, until: int, cover: float) -> None:
        """Insure households ``idx`` against disaster losses until month ``until``."""
        self.insured_until[idx] = until
        self.insured_cover[idx] = cover

    def gains(self, month: int) -> np.ndarray:
        """Yuan per year each household receives from levers active this month, by source."""
        gain = np.zeros((4, self.n))
        live = []
        for spell in self.spells:
            idx, start, end, source, amount = spell
            if end.max() <= month:
                continue  # expired for good
            live.append(spell)
            active = (start <= month) & (month < end)
            # A spell holds each household once, so fancy-index addition is exact.
            if active.all():
                gain[source, idx] += amount
            elif active.any():
                gain[source, idx[active]] += amount[active]
        self.spells = live
        return gain

    # -- the month -----------------------------------------------------------------------
    def step(self, ctx: MonthContext, draws: dict[str, np.ndarray]) -> None:
        """Advance one month.

        Parameters
        ----------
        ctx : MonthContext
        draws : dict
            ``innovation`` (4, n) standard normals; ``illness``, ``disaster``, ``screen``
            (n,) uniforms on [0, 1).
        """
        k = ctx.month
        if not self._carried:
            self.carry_as_of_shocks(ctx)
        self.strike(ctx, draws)
        income = np.empty((4, self.n))
        rho_m, sigma_m = self._per_household(ctx)
        trend = self._trend(ctx)
        insured = np.where(self.insured_until >= k, self.insured_cover, 0.0)
        village_hit = ctx.village_disaster_active[self.village]

        def move(part: slice) -> None:
            """The AR(1) noise, trend and shocks of households ``part`` (views, in place)."""
            rho, deviation = rho_m[:, part], self.deviation[:, part]
            rules.ar1_step(deviation, rho, sigma_m[:, part], draws["innovation"][:, part])
            variance = rules.ar1_variance(self.variance[:, part], rho, sigma_m[:, part])
            self.variance[:, part] = variance
            self.fade[:, part] *= rho
            known = self.known[:, part]
            log_trend = trend[:, part] + np.where(
                known, rules.fading_correction(self.correction_table, self.fade[:, part]), 0.0
            )
            rate = rules.trend_income(self.base[:, part], log_trend, variance, deviation)
            ill = self.illness_log[part]
            rate[WAGE] *= rules.shock_multiplier(ill, ill < 0) * ctx.labour_multiplier
            hit, cover = self.disaster_log[part], insured[part]
            rate[OPERATING] *= (
                rules.shock_multiplier(hit, hit < 0, cover)
                * rules.shock_multiplier(ctx.village_disaster_effect, village_hit[part], cover)
                * ctx.price_multiplier
            )
            income[:, part] = rate

        parallel.over_slices(move, self.n, self.threads)
        income += self.gains(k)
        income[TRANSFER] += np.where(self.enrolled, self.preventive, 0.0)
        assisted = (self.assist_from <= k) & (k < self.assist_until)
        paid = np.where(assisted, self.topup, 0.0)
        income[TRANSFER] += paid
        self.assistance_paid[ctx.year_index] += float(np.einsum("n,n->", self.weight, paid)) / 12
        self.income = income
        self.annual += income / 12
        self.screen(ctx, draws["screen"], own=income.sum(axis=0) - paid)

    def _per_household(self, ctx: MonthContext) -> tuple[np.ndarray, np.ndarray]:
        """Monthly AR(1) persistence and innovation sd of each household, shape (4, n)."""
        key = (id(ctx.rho_m), id(ctx.sigma_m))
        if getattr(self, "_ar1_key", None) != key:
            self._ar1 = (ctx.rho_m.T[:, self.household_type], ctx.sigma_m.T[:, self.household_type])
            self._ar1_key = key
        return self._ar1

    def _trend(self, ctx: MonthContext) -> np.ndarray:
        """Log trend of each household's sources this month, shape (4, n)."""
        first = ctx.trend[0]
        if np.all(ctx.trend == first):  # the same for every type (the provincial path)
            return np.broadcast_to(first[:, None], (4, self.n))
        return ctx.trend.T[:, self.household_type]

    def carry_as_of_shocks(self, ctx: MonthContext) -> None:
        """Carry the shocks reported in the as-of year into the run (once, at month 0).

        A household hit in the as-of year is taken as struck in its middle
        (:data:`AS_OF_STRIKE_MONTH`): its full period and recovery continue from there, and
        the shock's effect moves out of its observed deviation (which then holds only what
        the AR(1) fades), so its income at the start is unchanged. Only sources with a known
        deviation (positive as-of income) carry the shock.
        """
        self._carried = True
        illness = (WAGE, ctx.illness_effect, ctx.illness_duration)
        disaster = (OPERATING, ctx.disaster_effect, ctx.disaster_duration)
        for flags, (source, effect, duration), until, log in (
            (self.as_of_shocks[0], illness, self.illness_until, self.illness_log),
            (self.as_of_shocks[1], disaster, self.disaster_until, self.disaster_log),
        ):
            hit = flags & self.known[source]
            until[hit] = AS_OF_STRIKE_MONTH + duration - 1
            log[hit] = effect
            self.deviation[source, hit] -= effect

    def transition(self, labour_transitions: np.ndarray, uniform: np.ndarray) -> None:
        """January: move households between labour groups and set their types.

        Parameters
        ----------
        labour_transitions : ndarray, shape (types, 3)
            Yearly probability of each labour group given the type of the past year
            (:meth:`forecast.dynamics.IncomeDynamics.transition_matrix`).
        uniform : ndarray, shape (n,)
            Uniforms on [0, 1) of the transitions stream.

        The monitored half of the type is this year's enrolment (already set by
        :meth:`VectorisedHouseholds.enrol`), not a draw. A household changing group gets
        that group's count of workers (two for two or more), at most its members; one that
        stays keeps its count.
        """
        cumulative = np.cumsum(labour_transitions, axis=1)[self.household_type]
        group = (uniform[:, None] >= cumulative[:, :2]).sum(axis=1)
        moved = group != np.clip(self.labour_force, 0, 2)
        if moved.any():
            workers = np.minimum(group[moved], self.members[moved])
            self.labour_force[moved] = workers.astype(self.labour_force.dtype)
        self.household_type = household_type_index(self.labour_force, self.enrolled)
        self._ar1_key = None  # the AR(1) parameters follow the new types

    def strike(self, ctx: MonthContext, draws: dict[str, np.ndarray]) -> None:
        """Household shocks: illness and disaster start with their monthly hazards, hold
        their full effect for their duration, then decay at their recovery rate."""
        k = ctx.month
        ill = (draws["illness"] < ctx.illness_hazard) & (self.illness_until < k)
        self.illness_until[ill] = k + ctx.illness_duration - 1
        hit = (draws["disaster"] < ctx.disaster_hazard) & (self.disaster_until < k)
        self.disaster_until[hit] = k + ctx.disaster_duration - 1
        self.illness_log = rules.shock_effect(
            self.illness_log, self.illness_until >= k, ctx.illness_effect, ctx.illness_decay
        )
        self.disaster_log = rules.shock_effect(
            self.disaster_log, self.disaster_until >= k, ctx.disaster_effect, ctx.disaster_decay
        )

    def rolling_per_capita(self) -> np.ndarray:
        """Per-capita net income of the last 12 months (yuan per person)."""
        return self.recent.mean(axis=0) / self.members

    def screen(self, ctx: MonthContext, uniform: np.ndarray, own: np.ndarray | None = None) -> None:
        """Monitoring: who is under the line, who gets flagged, detected and assisted.

        A household is under the line when its income of the last 12 months is; households
        already under at the start (the as-of year's income against the first year's line)
        are the stock, not newly under, and do not enter the detection-delay figures.
        ``own`` is this month's income rate without the monitoring top-up (default: all of
        ``self.income``): the system screens what a household earns without its own help, so
        a household still poor when its assistance ends is found again at once.
        """
        k, y = ctx.month, ctx.year_index
        if self.under is None:
            self.under = self.rolling_per_capita() < ctx.line
        earned = self.income.sum(axis=0) if own is None else own
        self.recent[k % 12] = earned
        per_capita = self.rolling_per_capita()
        under = per_capita < ctx.line
        newly = under & ~self.under
        self.under_since[newly] = k
        self.newly_under[y] += np.sum(self.weight[newly])
        waiting = under & (self.detect_at == NEVER) & (self.assist_until < k)
        hit_rate = np.where(self.enrolled, 1.0, ctx.hit_rate)
        flagged = waiting & (uniform < hit_rate)
        # Given a flag, uniform / hit_rate is again uniform on [0, 1): it draws the extra month.
        # Each county's lag: longer where its officers' caseload is above standard.
        mean_lag = np.asarray(ctx.detection_lag)
        if mean_lag.ndim:
            mean_lag = mean_lag[self.county[flagged]]
        lag = rules.lag_months(mean_lag, uniform[flagged] / hit_rate[flagged])
        self.detect_at[flagged] = k + lag
        detected = self.detect_at == k
        if detected.any():
            fell = detected & (self.under_since >= 0)  # newly under, not the starting stock
            delay = k - self.under_since[fell]
            year_fell = np.minimum(self.under_since[fell] // 12, len(self.newly_under) - 1)
            np.add.at(self.newly_detected, year_fell, self.weight[fell])
            np.add.at(self.delay_weighted, year_fell, self.weight[fell] * delay)
            self.assist_from[detected] = k + ctx.assistance_delay
            self.assist_until[detected] = k + ctx.assistance_delay + ctx.assistance_duration
            # Assistance is set on what the household earns now: a shock lowers the last 12
            # months' income only month by month, so that alone would leave it under the line.
            now = np.minimum(per_capita[detected], earned[detected] / self.members[detected])
            gap = rules.assistance_topup(now, ctx.line, self.members[detected], ctx.gap_closure)
            self.topup[detected] = gap
            self.detect_at[detected] = NEVER
        self.detect_at[~under & (self.detect_at > k)] = NEVER  # recovered before detection
        self.under = under

    # -- reading ---------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """Arrays the institutions read: eligibility, targeting and risk scoring."""
        per_capita = self.income.sum(axis=0) / self.members
        return {
            "weight": self.weight,
            "members": self.members,
            "labour_force": self.labour_force,
            "key_county": self.key_county,
            "relocated": self.relocated,
            "monitored": self.enrolled,
            **self.marks,
            "village": self.village,
            "county": self.county,
            "wage": self.income[WAGE],
            "operating": self.income[OPERATING],
            "property": self.income[2],
            "transfer": self.income[TRANSFER],
            "income_per_capita": per_capita,
        }

    def close_year(self) -> np.ndarray:
        """Return this year's income by source (4, n) and reset the accumulator."""
        annual, self.annual = self.annual, np.zeros_like(self.annual)
        return annual


def household_columns(population) -> dict[str, np.ndarray]:
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
        "deviation": population.deviation,
        "deviation_correction": population.deviation_correction,
        "shocks": population.shocks,
    }


class VectorisedHouseholds:
    """The households backend of the province: all households in one block, stepped at once.

    The reference backend (:class:`simulation.reference.ReferenceHouseholds`) has the same
    methods and applies the same rules one Mesa agent per household.
    """

    def __init__(self, model, population, years: int) -> None:
        self.model = model
        self.block = HouseholdBlock(household_columns(population), years=years)

    def arrays(self) -> dict[str, np.ndarray]:
        """Household state for eligibility, targeting and risk scoring."""
        return self.block.state()

    def grant(self, idx, start, end, source: int, amount) -> None:
        self.block.grant(idx, start, end, source, amount)

    def insure(self, idx, until: int, cover: float) -> None:
        self.block.insure(idx, until, cover)

    def mark(self, mark: str, village_marked: np.ndarray) -> None:
        """Flag the households of the villages a lever marked."""
        self.block.marks[mark] = village_marked[self.block.village]

    def enrol(self, enrolled: np.ndarray, preventive: float) -> None:
        """Set the year's monitored households and their preventive support (yuan/year)."""
        self.block.enrolled = enrolled
        self.block.preventive = np.full(self.block.n, preventive)

    def transition(self, labour_transitions: np.ndarray, rng: np.random.Generator) -> None:
        """January: labour groups move with one draw per household of ``rng`` (the
        ``households.transitions`` stream), types follow (:meth:`HouseholdBlock.transition`)."""
        self.block.transition(labour_transitions, rng.random(self.block.n))

    def advance(self, ctx: MonthContext) -> None:
        """One month of every household, with the month's draws of the named streams."""
        n, streams = self.block.n, self.model.streams
        draws = {
            "innovation": streams["households.dynamics"].standard_normal((4, n)),
            "illness": streams["households.shocks"].random(n),
            "disaster": streams["households.shocks"].random(n),
            "screen": streams["households.screening"].random(n),
        }
        self.block.step(ctx, draws)

    def totals(self) -> np.ndarray:
        """Weighted sum of this month's yearly income rate by source, shape (4,)."""
        # einsum, not BLAS: the same summation order whatever the number of threads.
        return np.einsum("sn,n->s", self.block.income, self.block.weight)

    def close_year(self) -> np.ndarray:
        """Each household's income of the closing year by source, shape (4, n)."""
        return self.block.close_year()

    def counters(self) -> dict[str, np.ndarray]:
        """Weighted monitoring counters by simulated year."""
        b = self.block
        return {
            "newly_under": b.newly_under,
            "newly_detected": b.newly_detected,
            "delay_weighted": b.delay_weighted,
            "assistance_paid": b.assistance_paid,
        }

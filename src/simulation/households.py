"""Household state as arrays and the monthly household rules applied to them.

A :class:`HouseholdBlock` holds any number of households. The vectorised model keeps the
whole province in one block; the reference model gives each household agent a block of one.
Both step with the same :meth:`HouseholdBlock.step`, fed with random draws of the same shape
per household, so they follow the same rules with different loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation import rules
from simulation.rules import OPERATING, TRANSFER, WAGE

NEVER = np.iinfo(np.int32).max


@dataclass
class MonthContext:
    """What institutions and province-wide shocks decided for this month."""

    month: int  # 0 = January of as_of + 1
    elapsed_years: float  # since the middle of the as_of income year
    year_index: int
    trend: np.ndarray  # (types, sources), log growth since the as-of year's middle
    rho_m: np.ndarray  # (types, sources)
    sigma_m: np.ndarray  # (types, sources)
    variance: np.ndarray  # (types, sources), variance of the deviation this month
    illness_hazard: float
    illness_effect: float
    illness_duration: int
    disaster_hazard: float
    disaster_effect: float
    disaster_duration: int
    village_disaster_active: np.ndarray  # by village
    village_disaster_effect: float
    price_multiplier: float
    labour_multiplier: float
    line: float
    hit_rate: float
    detection_lag: float  # mean months from flag to county scheduling
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
        ``income`` of shape (4, n).
    years : int
        Number of simulated years (for the monitoring counters).
    """

    def __init__(self, columns: dict[str, np.ndarray], years: int) -> None:
        for key, value in columns.items():
            setattr(self, key, value)
        n = len(self.weight)
        self.n = n
        self.base = np.asarray(columns["income"], dtype=float)
        self.income = self.base.copy()  # yearly rate this month
        self.deviation = np.zeros((4, n))
        self.annual = np.zeros((4, n))
        self.illness_until = np.full(n, -1, dtype=np.int32)
        self.disaster_until = np.full(n, -1, dtype=np.int32)
        self.insured_until = np.full(n, -1, dtype=np.int32)
        self.insured_cover = np.zeros(n)
        self.enrolled = np.asarray(columns["monitored"], dtype=bool).copy()
        self.preventive = np.zeros(n)  # yuan per year while enrolled
        # Screening reads the income of the last 12 months, not one month's annualised rate:
        # the AR(1) noise of a single month is as large as a year's, so screening it against
        # the yearly line would flag hundreds of thousands of transient dips a year. The
        # window starts filled with the as-of year's income (the 12 months before month 0).
        self.recent = np.repeat(self.base.sum(axis=0)[None, :], 12, axis=0)
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
        self.strike(ctx, draws)
        rho_m, sigma_m = self._per_household(ctx)
        rules.ar1_step(self.deviation, rho_m, sigma_m, draws["innovation"])
        # Trend and the mean-one correction depend only on the type: compute 6 x 4, gather.
        growth = rules.trend_growth(ctx.trend, ctx.variance)
        income = rules.trend_income(self.base, growth.T[:, self.household_type], self.deviation)
        ill = self.illness_until >= k
        income[WAGE] *= rules.shock_multiplier(ctx.illness_effect, ill) * ctx.labour_multiplier
        hit = self.disaster_until >= k
        insured = np.where(self.insured_until >= k, self.insured_cover, 0.0)
        income[OPERATING] *= (
            rules.shock_multiplier(ctx.disaster_effect, hit, insured)
            * rules.shock_multiplier(
                ctx.village_disaster_effect, ctx.village_disaster_active[self.village], insured
            )
            * ctx.price_multiplier
        )
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

    def strike(self, ctx: MonthContext, draws: dict[str, np.ndarray]) -> None:
        """Household shocks: illness and disaster start with their monthly hazards."""
        k = ctx.month
        ill = (draws["illness"] < ctx.illness_hazard) & (self.illness_until < k)
        self.illness_until[ill] = k + ctx.illness_duration - 1
        hit = (draws["disaster"] < ctx.disaster_hazard) & (self.disaster_until < k)
        self.disaster_until[hit] = k + ctx.disaster_duration - 1

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
        self.recent[k % 12] = self.income.sum(axis=0) if own is None else own
        per_capita = self.rolling_per_capita()
        under = per_capita < ctx.line
        newly = under & ~self.under
        self.under_since[newly] = k
        self.newly_under[y] += np.sum(self.weight[newly])
        waiting = under & (self.detect_at == NEVER) & (self.assist_until < k)
        hit_rate = np.where(self.enrolled, 1.0, ctx.hit_rate)
        flagged = waiting & (uniform < hit_rate)
        # Given a flag, uniform / hit_rate is again uniform on [0, 1): it draws the extra month.
        lag = rules.lag_months(ctx.detection_lag, uniform[flagged] / hit_rate[flagged])
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
            gap = rules.assistance_topup(
                per_capita[detected], ctx.line, self.members[detected], ctx.gap_closure
            )
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

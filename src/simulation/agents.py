"""The Mesa agents of the province: counties and the monitoring system; and its villages.

Households are not agents here: their state lives in arrays (:mod:`simulation.households`),
stepped at once by the vectorised backend or one agent each by the reference backend
(:mod:`simulation.reference`). Villages, as many and as uniform, are arrays too
(:class:`Villages`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation import rules
from simulation.monitoring import monitoring_line
from simulation.scenario import Measure

if TYPE_CHECKING:  # annotations only: the model imports this module
    from simulation.model import Province

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
    # What each county may reach (weighted households, or villages), None for no bound: its
    # budget's grant for the lever and its places (simulation.institutions).
    budget: np.ndarray | None = None
    capacity: np.ndarray | None = None
    queued: np.ndarray | None = None  # households first in line (refused last year)
    unit_weight: np.ndarray | None = None  # what one pick counts (villages: real villages)
    # With a bound on a random pick: each unit's place in its county's queue, in weight
    # (rules.weight_before), so every county takes its share without a sort of its own.
    rank: np.ndarray | None = None
    refused: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {"budget": [], "capacity": []}
    )

    def within_limits(self, county: int, picked: np.ndarray, key: np.ndarray) -> np.ndarray:
        """The picks a county's budget and places allow, first by ``key`` (lowest first);
        the rest are refused, booked under the bound that binds. A sampled household stands
        for ``weight`` real ones: it is taken when the middle of its weight fits, so a county
        spends its funds to within half a sampled household (exactly at full scale)."""
        budget = np.inf if self.budget is None else self.budget[county]
        capacity = np.inf if self.capacity is None else self.capacity[county]
        bound = min(budget, capacity)
        weight = (self.state["weight"] if self.unit_weight is None else self.unit_weight)[picked]
        if weight.sum() <= bound:
            return picked
        if self.rank is not None:  # a random pick is a prefix of the county's queue
            keep = self.rank[picked] <= bound * (1 + 1e-12)
        else:
            keep = rules.select_share(key, weight, bound)
        self.refused["budget" if budget < capacity else "capacity"].append(picked[~keep])
        return picked[keep]

    def refused_weight(self, bound: str) -> float:
        """Weight (households, or real villages) refused under ``bound``."""
        idx = self.refused_of(bound)
        weight = self.state["weight"] if self.unit_weight is None else self.unit_weight
        return float(np.sum(weight[idx]))

    def refused_of(self, bound: str) -> np.ndarray:
        """Indices refused under ``bound`` (``budget`` or ``capacity``)."""
        parts = self.refused[bound]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class County(mesa.Agent):
    """A county (县): allocates levers among its households and villages, keeps the accounts."""

    def __init__(
        self, model: Province, index: int, code: str, households: np.ndarray, villages
    ) -> None:
        super().__init__(model)
        self.index = index  # position in the model's county arrays
        self.code = code
        self.households = households
        self.villages = villages
        self.key_county = bool(model.population.key_county[households].any())  # 重点帮扶县
        self.spent: dict[tuple[str, int], float] = defaultdict(float)  # yuan by (lever, year)
        self.chosen: list[np.ndarray] = []

    def allocate(self, job: AllocationRound) -> None:
        """Pick this county's recipients of a household lever, within its budget and places.

        Households first in line (refused a place last year, ``queue`` rule) come first: a
        random pick always includes them, a lowest-income pick ranks them first.
        """
        idx = self.households[job.eligible[self.households]]
        if not len(idx):
            return
        queued = np.zeros(len(idx), dtype=bool) if job.queued is None else job.queued[idx]
        if job.measure.priority == "random":
            key = np.where(queued, job.uniform[idx] - 1.0, job.uniform[idx])
            if job.rank is None:
                mask = key < job.share
            else:  # a county paying from its funds picks exactly its share, at random
                quota = job.share * job.state["weight"][idx].sum()
                mask = job.rank[idx] <= quota * (1 + 1e-12)
        else:
            weight = job.state["weight"][idx]
            quota = job.quota * weight.sum() / job.eligible_weight
            key = np.where(queued, -np.inf, job.state["income_per_capita"][idx])
            mask = rules.select_lowest(key, weight, quota)
        self.chosen.append(job.within_limits(self.index, idx[mask], key[mask]))

    def choose_villages(self, job: AllocationRound) -> None:
        """Pick this county's villages for a village lever, among the eligible ones
        (``job.eligible`` is then a mask over villages), within its budget."""
        v = self.villages[job.eligible[self.villages]]
        if job.rank is None:
            picked = v[job.uniform[v] < job.share]
        else:  # a county paying from its funds picks exactly its share, at random
            quota = job.share * job.unit_weight[v].sum()
            picked = v[job.rank[v] <= quota * (1 + 1e-12)]
        self.chosen.append(job.within_limits(self.index, picked, job.uniform[picked]))


class Villages:
    """The administrative villages (行政村) of the sample, as arrays (one entry per village).

    Like households, villages are too many to be Mesa agents cheaply (about 10,000 in a
    20,000-household sample, 17,000 at full scale) and are always acted on together: the
    counties choose among them, levers mark them. Their collective economy is
    :class:`simulation.institutions.VillageEconomy`.

    Parameters
    ----------
    codes : array of str
        Village codes.
    households : np.ndarray
        Weighted alleviated households in each sampled village.
    per_village : float
        Alleviated households in a real village (the province's average).
    """

    def __init__(self, codes: np.ndarray, households: np.ndarray, per_village: float) -> None:
        self.codes = codes
        self.households = households
        self.represents = households / per_village  # real villages each one stands for
        # e.g. a tourism village (declared by the lever's YAML)
        self.marked = {mark: np.zeros(len(codes), dtype=bool) for mark in rules.MARKS}
        self._holding_until: dict[str, np.ndarray] = {}  # lever -> month its effect ends

    def __len__(self) -> int:
        return len(self.codes)

    def free_of(self, lever: str, month: int) -> np.ndarray:
        """Mask of villages whose effect of ``lever`` has ended by ``month`` (or never held)."""
        until = self._holding_until.get(lever)
        return np.ones(len(self), dtype=bool) if until is None else until <= month

    def hold(self, lever: str, chosen: np.ndarray, last_month: int) -> None:
        """Villages ``chosen`` hold ``lever`` until ``last_month`` (not chosen again before)."""
        until = self._holding_until.setdefault(lever, np.full(len(self), -1, dtype=np.int64))
        until[chosen] = last_month

    def mark(self, chosen: np.ndarray, marks: tuple[str, ...]) -> None:
        """Give villages ``chosen`` the ``marks`` (for good: a tourism village stays one)."""
        for mark in marks:
            self.marked[mark][chosen] = True


class MonitoringSystem(mesa.Agent):
    """The income monitoring system: the yearly line, screening cadence and targeting."""

    def __init__(self, model: Province, targeting: str, risk_scorer: RiskScorer | None):
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

"""The Mesa agents of the province: counties, villages and the monitoring system.

Households are not agents here: their state lives in arrays (:mod:`simulation.households`),
stepped at once by the vectorised backend or one agent each by the reference backend
(:mod:`simulation.reference`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
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


class County(mesa.Agent):
    """A county (县): allocates levers among its households and villages, keeps the accounts."""

    def __init__(self, model: Province, code: str, households: np.ndarray, villages):
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
    """An administrative village (行政村): collective economy and what levers marked it."""

    def __init__(self, model: Province, code: str, households: float, collective: float):
        super().__init__(model)
        self.code = code
        self.households = households  # weighted alleviated households in the sample village
        self.collective_income = collective  # yuan per year
        self.marks: set[str] = set()  # e.g. a tourism village (declared by the lever's YAML)
        self.levers: dict[str, int] = {}  # lever -> month its effect ends in this village

    def represents(self) -> float:
        """Real villages this sampled village stands for."""
        per_village = self.model.spec.province["households_per_village"].value
        return self.households / per_village

    def top_up(self, minimum: float) -> float:
        """Yuan that raise this year's collective income to the minimum (paid every year)."""
        return max(minimum - self.collective_income, 0.0)


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

"""Candidate mixes evaluated on shared replications (common random numbers).

Every candidate of a search runs on the same replication seeds, hence the same macro and
national draws, the same household shocks and the same effect draws for the levers they
share: differences between candidates are paired, and a few replications rank them. A batch of
candidates is one list of (candidate, replication) jobs for the
:class:`~simulation.montecarlo.replications.ReplicationRunner`, so local processes or a Dask
cluster stay busy whatever the number of replications per candidate. Each replication returns
a few numbers (:class:`Outcome`), not its whole history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from simulation.calibration import Posterior
from simulation.montecarlo.replications import Job, ReplicationRunner
from simulation.montecarlo.target import REACH_WARNING, replicate, replication_paths
from simulation.scenario import Scenario


@dataclass(frozen=True)
class Outcome:
    """What one replication of one candidate gives the search."""

    income: float  # target year's mean per-capita net income (yuan per person)
    cost: float  # public spending over the simulated years up to the target year (yuan)
    under_line: float  # share of people under the monitoring line in the target year
    short: tuple[str, ...] = ()  # "lever year" short of its asked scale for want of eligibles


@dataclass
class Outcomes:
    """Replications of one candidate, in replication order (seed ``i`` of the seed list)."""

    income: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    under_line: list[float] = field(default_factory=list)
    short: list[list[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.income)

    def extend(self, outcomes: Sequence[Outcome]) -> Outcomes:
        """Append replications (the next seeds of the same list); return self."""
        for o in outcomes:
            self.income.append(o.income)
            self.cost.append(o.cost)
            self.under_line.append(o.under_line)
            self.short.append(list(o.short))
        return self

    def as_dict(self) -> dict[str, list]:
        """Plain lists (for the study's storage)."""
        return {
            "income": self.income,
            "cost": self.cost,
            "under_line": self.under_line,
            "short": self.short,
        }

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> Outcomes:
        """Inverse of :meth:`as_dict`."""
        return cls(
            list(data["income"]),
            list(data["cost"]),
            list(data["under_line"]),
            [list(s) for s in data["short"]],
        )

    def gaps(self, national: np.ndarray) -> np.ndarray:
        """Each replication's target-year gap to its national level (yuan per person)."""
        return np.asarray(self.income) - np.asarray(national[: len(self)], dtype=float)

    def summary(self, national: np.ndarray) -> dict[str, float]:
        """The candidate's figures against each replication's national level (``national[i]``
        for replication ``i``): P(target) with its Monte Carlo standard error, the mean gap,
        cost and share under the line, and the share of replications with a reach warning."""
        n = len(self)
        gap = self.gaps(national)
        p = float(np.mean(gap > 0))
        return {
            "replications": n,
            "p_target_met": p,
            "p_std_error": float(np.sqrt(p * (1 - p) / n)),
            "gap_mean": float(gap.mean()),
            "cost_yuan": float(np.mean(self.cost)),
            "share_under_line": float(np.mean(self.under_line)),
            "reach_warning_share": float(np.mean([bool(s) for s in self.short])),
        }


def evaluate_replication(
    draw_parameters: bool,
    target_year: int,
    trends: np.ndarray,
    calibration: Posterior | None,
    population: Any,
    job: Job,
) -> Outcome:
    """Simulate replication ``job.index`` of the candidate in ``job.payload`` (the task every
    worker runs)."""
    scenario = job.payload
    run = replicate(
        scenario,
        draw_parameters,
        population,
        Job(job.index, job.seed),
        trends=trends,
        calibration=calibration,
    ).result
    annual = run.annual
    cost = run.cost[run.cost["year"] <= target_year]["cost_yuan"].sum()
    short: tuple[str, ...] = ()
    if "asked" in run.reach:
        reach = run.reach.dropna(subset=["asked"])
        asked = reach["asked"].where(reach["asked"] > 0)
        # Short for want of eligible households or villages: a property of the mix (a small
        # lever placed coarsely in a small sample is not).
        short_of = (reach["reached"] / asked).fillna(1.0) < REACH_WARNING
        low = reach[short_of & (reach["shortfall"] != "")]
        short = tuple(f"{m} {int(y)}" for m, y in zip(low["measure"], low["year"], strict=True))
    return Outcome(
        income=float(annual.loc[target_year, "net_income_per_capita"]),
        cost=float(cost),
        under_line=float(annual.loc[target_year, "share_people_under_line"]),
        short=short,
    )


class Evaluator:
    """Runs candidates on a fixed list of replication seeds, extending them on demand.

    Parameters
    ----------
    scenario : Scenario
        The searched scenario (its folder gives the measures in force; every candidate is a
        change of it, so the households' trends are shared).
    population : simulation.Population
    seeds : sequence of int
        The replication seeds, in order; a candidate evaluated on ``k`` replications used the
        first ``k``.
    runner : ReplicationRunner
        An open runner (local processes or Dask).
    target_year : int
    draw_parameters : bool
        Draw effect sizes (True) or use central values.
    calibration : bool
        Draw each replication's source shifts from the calibration posterior (True) or keep
        each candidate's own values (False: a sensitivity sample sets them).
    """

    def __init__(
        self,
        scenario: Scenario,
        population: Any,
        seeds: Sequence[int],
        runner: ReplicationRunner,
        target_year: int = 2024,
        draw_parameters: bool = True,
        calibration: bool = True,
    ) -> None:
        self.seeds = [int(s) for s in seeds]
        self.runner = runner
        self.target_year = target_year
        macro, trends = replication_paths(population, scenario, self.seeds, target_year)
        self.national = macro.national[target_year].to_numpy()
        self.task = partial(
            evaluate_replication,
            draw_parameters,
            target_year,
            trends,
            Posterior.from_scenario(scenario) if calibration else None,
        )

    def run(
        self,
        candidates: Sequence[tuple[Scenario, Outcomes | None]],
        replications: int,
        description: str = "candidates",
    ) -> list[Outcomes]:
        """Bring every candidate to ``replications`` replications (running only those it
        lacks) in one batch of jobs; return their outcomes in the order given."""
        if replications > len(self.seeds):
            raise ValueError(f"{replications} replications asked, {len(self.seeds)} seeds")
        done = [Outcomes() if o is None else o for _, o in candidates]
        jobs, owners = [], []
        for k, ((scenario, _), outcomes) in enumerate(zip(candidates, done, strict=True)):
            for i in range(len(outcomes), replications):
                jobs.append(Job(i, self.seeds[i], payload=scenario))
                owners.append(k)
        results = self.runner.map(self.task, jobs, description=description) if jobs else []
        for k in range(len(done)):
            done[k].extend([r for r, owner in zip(results, owners, strict=True) if owner == k])
        return done


__all__ = ["Evaluator", "Outcome", "Outcomes", "evaluate_replication"]

"""The target test: how likely is Yunnan's poverty-alleviated population to end 2024 above the
national level of the same population, at what cost, and carried by which measures?

A :class:`TargetTest` runs ``R`` replications of one scenario over parameter uncertainty (the
effect ranges in the scenario) and shocks; replication ``i`` is compared with its own national
path drawn from the aggregate forecast's uncertainty (:mod:`.national`). The first
``attribution_replications`` replications also switch the scenario's measures on one by one
in a random order, with the replication's seed, for the Shapley attribution
(:mod:`.attribution`). Everything the report says is computed from the returned
:class:`TargetTestResult`, a plain result: its words, ``summary.json``, figures and run
record read it from :mod:`.report`, :mod:`.summary`, :mod:`.plots` and :mod:`.record`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import simulate as simulate_one
from simulation.calibration import Posterior
from simulation.in_force import in_force_contribution
from simulation.montecarlo.attribution import (
    INCOME_COLUMNS,
    SOURCES,
    band_table,
    shapley_contributions,
    source_composition,
    summarise_attribution,
)
from simulation.montecarlo.counties import county_answers
from simulation.montecarlo.national import (
    NATIONAL_SERIES,
    YUNNAN_SERIES,
    MacroDraws,
    draw_macro,
    observed_series,
)
from simulation.montecarlo.replications import Job, ReplicationRunner, replication_seeds
from simulation.results import ReplicationResult
from simulation.rules import stream

BAND_COLUMNS: tuple[str, ...] = ("mean", "lower_80", "upper_80", "lower_95", "upper_95")
REACH_WARNING = 0.95  # a lever reaching less than this share of its asked scale is flagged
MONITORING_COLUMNS: tuple[str, ...] = (
    "share_people_under_line",
    "households_newly_under_line",
    "share_newly_under_detected",
    "mean_detection_delay_months",
)

# The macro path of a replication in the experiments table: name -> (unit, what it is).
MACRO_SUMMARY: dict[str, tuple[str, str]] = {
    "macro.common_growth_percent": ("percent a year", "national rural income growth"),
    "macro.yunnan_growth_percent": ("percent a year", "Yunnan's trend growth"),
    "macro.national_growth_percent": ("percent a year", "the national target's growth"),
}


@dataclass(frozen=True)
class ReplicationOutcome:
    """One replication's result and, if it was an attribution replication, its contributions."""

    index: int
    seed: int
    result: ReplicationResult
    contributions: pd.DataFrame | None = None


def replicate(
    scenario: Any,
    draw_parameters: bool,
    population: Any,
    job: Job,
    risk_scorer: Any = None,
    trends: np.ndarray | None = None,
    calibration: Posterior | None = None,
) -> ReplicationOutcome:
    """Simulate one replication (the task every worker runs).

    ``job.payload`` is True when the replication also computes its Shapley contributions.
    ``risk_scorer`` (a fitted, picklable scorer) serves a scenario with ``risk`` targeting.
    ``trends[job.index]`` is the replication's drawn Yunnan trend (replications x years),
    whose common shock the national side shares. ``calibration``, the posterior of the
    source shifts, gives the replication its own draw (stream ``calibration``).
    """
    if calibration is not None:
        rng = stream(job.seed, "calibration") if draw_parameters else None
        scenario = scenario.with_calibration(**calibration.draw(rng))
    trend = None if trends is None else trends[job.index]
    simulate = partial(simulate_one, risk_scorer=risk_scorer, trend=trend)
    full = simulate(scenario, population, seed=job.seed, draw_parameters=draw_parameters)
    contributions = None
    if job.payload and scenario.measures:
        contributions = shapley_contributions(
            scenario, population, job.seed, full, simulate, draw_parameters
        )
    return ReplicationOutcome(job.index, job.seed, full, contributions)


def replication_paths(
    population: Any, scenario: Any, seeds: Sequence[int], target_year: int
) -> tuple[MacroDraws, np.ndarray]:
    """The macro draws of the replications ``seeds`` and their households' own trends.

    Each replication's households follow its macro draw less what the measures in force add
    (they are part of the macro path, not on top of it). Both depend on the seeds and the
    scenario's folder only, so every mix run on the same seeds shares them (common random
    numbers).

    Returns
    -------
    (MacroDraws, numpy.ndarray)
        The draws (``.national`` holds each replication's national path) and the trends,
        replications x simulated years.
    """
    as_of, last = population.as_of, scenario.years[1]
    macro = draw_macro(as_of, max(target_year, last), list(seeds))
    in_force = in_force_contribution(population, scenario, last)
    drawn = macro.yunnan_trend.loc[:, as_of + 1 : last].to_numpy()
    return macro, drawn - np.diff(np.r_[0.0, in_force])[None, :]


def population_people(population: Any) -> float | None:
    """People the population represents (sum of weight x members), or None if unknown."""
    weight, members = getattr(population, "weight", None), getattr(population, "members", None)
    if weight is None or members is None:
        return None
    return float(np.sum(np.asarray(weight, dtype=float) * np.asarray(members, dtype=float)))


class TargetTest:
    """Monte Carlo test of the 2024 target for one scenario.

    Parameters
    ----------
    scenario : simulation.Scenario
        The measure mix to test.
    replications : int
        Number of replications ``R``.
    seed : int
        Seed of the run; replication ``i`` uses child ``i`` of ``SeedSequence(seed)``.
    attribution_replications : int, optional
        How many of the replications also compute the Shapley attribution (each costs one
        extra simulation per measure). Default: ``min(R, 20)``; 0 switches it off.
    target_year : int
        Year of the target (2024 in the plan).
    draw_parameters : bool
        Draw effect sizes within their ranges (True) or use their central values.
    scenario_path : str or Path, optional
        File the scenario came from, for reports and run records.
    targeting : {"income", "risk"}, optional
        Overrides the scenario's ``monitoring.targeting`` rule.
    risk_scorer : callable, optional
        Scorer for ``risk`` targeting (:func:`simulation.risk.risk_scorer`); it is shipped
        to the workers with each task, so it must pickle (a fitted model, not a connection).
    calibration : bool
        Draw each replication's source shifts from the calibration posterior of the
        scenario's calibration file (:class:`simulation.calibration.Posterior`), if it has
        one; False keeps the file's values (the validation sets them to zero).
    """

    def __init__(
        self,
        scenario: Any,
        replications: int = 200,
        seed: int = 0,
        attribution_replications: int | None = None,
        target_year: int = 2024,
        draw_parameters: bool = True,
        scenario_path: str | Path | None = None,
        targeting: str | None = None,
        risk_scorer: Any = None,
        calibration: bool = True,
    ) -> None:
        if targeting is not None:
            scenario = scenario.with_targeting(targeting)
        if getattr(scenario, "targeting", "income") == "risk" and risk_scorer is None:
            raise ValueError(
                f"scenario {scenario.name!r} targets by risk: give a risk_scorer "
                "(simulation.risk.risk_scorer)"
            )
        self.scenario = scenario
        self.risk_scorer = risk_scorer
        self.replications = replications
        self.seed = seed
        self.attribution_replications = attribution_replications
        self.target_year = target_year
        self.draw_parameters = draw_parameters
        self.scenario_path = scenario_path or getattr(scenario, "path", None)
        # The posterior of the source shifts, drawn per replication (None: the file's values).
        self.calibration = Posterior.from_scenario(scenario) if calibration else None

    def jobs(self) -> list[Job]:
        """The replications to run: index, seed and whether to attribute."""
        seeds = replication_seeds(self.seed, self.replications)
        n_attributed = (
            min(self.replications, 20)
            if self.attribution_replications is None
            else min(self.replications, self.attribution_replications)
        )
        if n_attributed < 0:
            raise ValueError(f"attribution_replications must be >= 0, got {n_attributed}")
        # Heavy (attributed) replications first: the pool finishes evenly.
        return [Job(i, s, payload=i < n_attributed) for i, s in enumerate(seeds)]

    def run(
        self,
        population: Any,
        runner: ReplicationRunner | None = None,
        workers: int = 1,
        scheduler: Any = None,
        progress: bool = False,
    ) -> TargetTestResult:
        """Run the replications and return the result.

        Parameters
        ----------
        population : simulation.Population
            Starting population (its as-of year sets the first simulated year).
        runner : ReplicationRunner, optional
            An open runner to reuse (comparisons); otherwise one is opened with ``workers``
            and ``scheduler``.
        """
        started = time.perf_counter()
        jobs = self.jobs()
        as_of = population.as_of
        macro, trends = replication_paths(
            population, self.scenario, [j.seed for j in jobs], self.target_year
        )
        task = partial(
            replicate,
            self.scenario,
            self.draw_parameters,
            risk_scorer=self.risk_scorer,
            trends=trends,
            calibration=self.calibration,
        )
        if runner is None:
            with ReplicationRunner(population, workers, scheduler, progress) as own:
                outcomes = own.map(task, jobs, description=self.scenario.name)
                where = own.description
        else:
            outcomes = runner.map(task, jobs, description=self.scenario.name)
            where = runner.description
        simulated = list(outcomes[0].result.annual.index)
        if self.target_year not in simulated:
            raise ValueError(
                f"scenario {self.scenario.name!r} simulates the years {simulated}; "
                f"the target year {self.target_year} is not among them"
            )
        return TargetTestResult(
            scenario=self.scenario,
            scenario_path=None if self.scenario_path is None else str(self.scenario_path),
            seed=self.seed,
            seeds=[j.seed for j in jobs],
            as_of=as_of,
            target_year=self.target_year,
            results=[o.result for o in outcomes],
            contributions=_stack_contributions(outcomes),
            national=macro.national,
            macro=macro,
            trends=trends,
            people=population_people(population),
            households=_households(population),
            ran_on=where,
            elapsed_seconds=time.perf_counter() - started,
        )


def _stack_contributions(outcomes: Sequence[ReplicationOutcome]) -> pd.DataFrame | None:
    pieces = [
        o.contributions.assign(replication=o.index) for o in outcomes if o.contributions is not None
    ]
    return pd.concat(pieces, ignore_index=True) if pieces else None


def _households(population: Any) -> int | None:
    size = getattr(population, "size", None)
    if isinstance(size, (int, np.integer)):
        return int(size)
    try:
        return len(population)
    except TypeError:
        return None


def _most_frequent_reason(reasons: pd.Series) -> str:
    """The most frequent non-empty shortfall reason across replications ("" if none)."""
    given = reasons.dropna()
    given = given[given != ""]
    return str(given.mode().iloc[0]) if len(given) else ""


def bands(samples: pd.DataFrame) -> pd.DataFrame:
    """Mean and 80 %/95 % bands of each column (year) of a replications x years frame."""
    table = band_table(samples).set_index("name").rename_axis(samples.columns.name)
    return table[list(BAND_COLUMNS)]


@dataclass
class TargetTestResult:
    """Everything a target test produced, and the figures derived from it.

    The raw material is kept (``results``, ``national``, ``contributions``) so that any figure
    can be recomputed; the properties derive the ones the report, ``summary.json`` and the
    plots use.
    """

    scenario: Any
    scenario_path: str | None
    seed: int
    seeds: list[int]
    as_of: int
    target_year: int
    results: list[ReplicationResult]
    contributions: pd.DataFrame | None
    national: pd.DataFrame
    macro: MacroDraws | None = None
    trends: np.ndarray | None = None  # the households' own trend of each replication
    people: float | None = None
    households: int | None = None
    ran_on: str = "this process"
    elapsed_seconds: float = float("nan")

    # --- raw tables -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """Scenario name."""
        return self.scenario.name

    @property
    def replications(self) -> int:
        """Number of replications."""
        return len(self.results)

    @property
    def years(self) -> list[int]:
        """Simulated years up to the target year."""
        return [y for y in self.national.columns if y <= self.target_year]

    @cached_property
    def annual(self) -> pd.DataFrame:
        """All replications' annual tables, long, with ``replication`` and ``year`` columns."""
        frames = [
            r.annual.rename_axis("year").reset_index().assign(replication=i)
            for i, r in enumerate(self.results)
        ]
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def cost(self) -> pd.DataFrame:
        """All replications' cost tables, long, with a ``replication`` column."""
        frames = [r.cost.assign(replication=i) for i, r in enumerate(self.results)]
        return pd.concat(frames, ignore_index=True)

    def _by_year(self, column: str) -> pd.DataFrame:
        wide = self.annual.pivot(index="replication", columns="year", values=column)
        return wide[self.years].rename_axis(columns="year")

    @cached_property
    def yunnan(self) -> pd.DataFrame:
        """Simulated mean per-capita net income, replications x years (yuan per person)."""
        return self._by_year("net_income_per_capita")

    @cached_property
    def gap(self) -> pd.DataFrame:
        """Yunnan minus its replication's national path, replications x years."""
        return self.yunnan - self.national[self.years].to_numpy()

    @cached_property
    def counties(self) -> pd.DataFrame:
        """Each county's answer in the target year, furthest behind first
        (:func:`simulation.montecarlo.counties.county_answers`)."""
        national = self.national[self.target_year].to_numpy()
        return county_answers(self.results, national, self.target_year)

    @cached_property
    def county_groups(self) -> pd.DataFrame:
        """The same for key counties (重点帮扶县) and the other counties."""
        national = self.national[self.target_year].to_numpy()
        return county_answers(self.results, national, self.target_year, by="group")

    @cached_property
    def experiments(self) -> pd.DataFrame:
        """The Monte Carlo's raw result: one row per replication with every input it drew and
        every outcome in the target year.

        Columns: ``scenario``, ``replication``, ``seed``, ``target_year``; the inputs, named
        by their address (:mod:`simulation.uncertainties`): each effect drawn
        (``measures.<lever>.effects.<source>``), the calibration draw (``calibration.*``,
        shifts and persistence), the shock settings (``shocks.*``), the households' own trend
        (``trend.<year>``, log growth) and the macro path's summary (``macro.*_percent``: the
        common rural, Yunnan and national growth, mean percent a year from the as-of year to
        the target year); the outcomes: ``yunnan`` and ``national`` (yuan per person),
        ``gap``, ``ratio``, ``target_met``, ``cost_yuan`` (public spending up to the target
        year) and ``share_under_line`` (share of people under the monitoring line).
        """
        year, levers = self.target_year, set(self.scenario.levers)
        rows = []
        for r in self.results:
            inputs = {}
            for key, value in r.parameters.items():
                lever, _, rest = key.partition(".")
                inputs[f"measures.{lever}.effects.{rest}" if lever in levers else key] = value
            rows.append(inputs)
        table = pd.DataFrame(rows)
        table.insert(0, "scenario", self.name)
        table.insert(1, "replication", np.arange(self.replications))
        table.insert(2, "seed", np.asarray(self.seeds, dtype=np.uint64))
        table.insert(3, "target_year", year)
        table = table.join(self._macro_summary())
        cost = self.cost[self.cost["year"] <= year].groupby("replication")["cost_yuan"].sum()
        outcomes = {
            "yunnan": self.yunnan[year].to_numpy(),
            "national": self.national[year].to_numpy(),
            "gap": self.gap[year].to_numpy(),
            "ratio": self.ratio[year].to_numpy(),
            "target_met": self.gap[year].to_numpy() > 0,
            "cost_yuan": cost.reindex(range(self.replications), fill_value=0.0).to_numpy(),
            "share_under_line": self._by_year("share_people_under_line")[year].to_numpy(),
        }
        return table.assign(**outcomes)

    def _macro_summary(self) -> pd.DataFrame:
        """Each replication's macro path in three numbers: mean growth, percent a year."""
        if self.macro is None:
            return pd.DataFrame(index=range(self.replications))
        years = [y for y in self.years if y in self.macro.common.columns]
        national = np.log(self.national[self.target_year].to_numpy())
        start = np.log(float(self.observed["national"].iloc[-1]))
        span = self.target_year - int(self.observed["national"].index[-1])
        growth = {
            "macro.common_growth_percent": self.macro.common[years].mean(axis=1).to_numpy(),
            "macro.yunnan_growth_percent": self.macro.yunnan_trend[years].mean(axis=1).to_numpy(),
            "macro.national_growth_percent": (national - start) / span,
        }
        return pd.DataFrame({k: 100 * np.expm1(v) for k, v in growth.items()})

    # --- the answer -------------------------------------------------------------------------

    @property
    def target_gap(self) -> pd.Series:
        """Gap in the target year, one value per replication."""
        return self.gap[self.target_year]

    @property
    def p_target_met(self) -> float:
        """Probability that Yunnan's target-year mean exceeds the national one (the share of
        the experiments whose target is met)."""
        return float(self.experiments["target_met"].mean())

    @property
    def p_target_met_std_error(self) -> float:
        """Monte Carlo standard error of :attr:`p_target_met`."""
        p = self.p_target_met
        return float(np.sqrt(p * (1 - p) / self.replications))

    @cached_property
    def ratio(self) -> pd.DataFrame:
        """Yunnan over its replication's national path, replications x years."""
        return self.yunnan / self.national[self.years].to_numpy()

    @cached_property
    def paths(self) -> dict[str, pd.DataFrame]:
        """Mean and bands by year of ``yunnan``, ``national``, ``gap`` and ``ratio``."""
        return {
            "yunnan": bands(self.yunnan),
            "national": bands(self.national[self.years]),
            "gap": bands(self.gap),
            "ratio": bands(self.ratio),
        }

    @property
    def model(self) -> str:
        """The national target's model (chosen by the backtest up to the as-of year)."""
        return "macro" if self.macro is None else self.macro.model

    @cached_property
    def by_assumption(self) -> pd.DataFrame:
        """The answer under each trend assumption of the national side: P(target) with its
        standard error, the mean gap and ratio in the target year; the chosen one first."""
        if self.macro is None:
            return pd.DataFrame()
        year, yunnan = self.target_year, self.yunnan[self.target_year].to_numpy()
        rows = {}
        for name in sorted(self.macro.alternatives, key=lambda n: (n != self.model, n)):
            national = self.macro.alternatives[name][year].to_numpy()
            p = float(np.mean(yunnan > national))
            rows[name] = {
                "description": self.macro.assumptions[name].description,
                "chosen": name == self.model,
                "p_target_met": p,
                "std_error": float(np.sqrt(p * (1 - p) / len(yunnan))),
                "national_mean": float(national.mean()),
                "gap_mean": float(np.mean(yunnan - national)),
                "ratio_mean": float(np.mean(yunnan / national)),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("assumption")

    @property
    def hinge(self) -> str | None:
        """The trend assumption whose answer differs most from the chosen model's."""
        table = self.by_assumption
        others = table[~table["chosen"]] if not table.empty else table
        if others.empty:
            return None
        # Largest move of P; ties (P is a share of replications) go to the larger gap move.
        moved = pd.DataFrame(
            {
                "p": (others["p_target_met"] - self.p_target_met).abs(),
                "gap": (others["gap_mean"] - float(self.target_gap.mean())).abs(),
            }
        )
        return str(moved.sort_values(["p", "gap"], ascending=False).index[0])

    @cached_property
    def common_growth(self) -> pd.DataFrame | None:
        """Mean and bands by simulated year of the common rural growth (percent a year);
        None without a macro draw."""
        if self.macro is None:
            return None
        common = self.macro.common
        years = [y for y in self.years if y in common.columns]
        return bands(100 * np.expm1(common[years]))

    @property
    def shared_shock_correlation(self) -> float:
        """Correlation across replications of Yunnan's and the nation's target-year log
        income: how much the shared macro shock moves both sides together."""
        yunnan = np.log(self.yunnan[self.target_year].to_numpy())
        national = np.log(self.national[self.target_year].to_numpy())
        if len(yunnan) < 3 or np.std(yunnan) == 0 or np.std(national) == 0:
            return float("nan")
        return float(np.corrcoef(yunnan, national)[0, 1])

    @cached_property
    def crossing_year(self) -> pd.Series:
        """Per replication, the first simulated year Yunnan is above national (NaN: never)."""
        above = self.gap.to_numpy() > 0
        first = np.where(above.any(axis=1), np.argmax(above, axis=1), -1)
        years = np.asarray(self.years, dtype=float)
        return pd.Series(np.where(first >= 0, years[first], np.nan), name="crossing_year")

    @cached_property
    def crossing(self) -> pd.Series:
        """Share of replications whose lines first cross in each year, and ``never``."""
        shares = self.crossing_year.value_counts(normalize=True, dropna=False)
        table = pd.Series(
            {int(y): float(shares.get(float(y), 0.0)) for y in self.years}, name="share"
        )
        table.loc["never"] = float(self.crossing_year.isna().mean())
        return table

    @cached_property
    def monitoring(self) -> pd.DataFrame:
        """Per year: share of people under the line (bands), households newly under it,
        share of those detected and the mean detection delay (means over replications)."""
        table = bands(self._by_year("share_people_under_line")).add_prefix(
            "share_people_under_line_"
        )
        means = self.annual.groupby("year")[list(MONITORING_COLUMNS[1:])].mean()
        return table.join(means.loc[self.years])

    @cached_property
    def institutions(self) -> pd.DataFrame:
        """Per year, means over replications: the counties' funds, their spending on budgeted
        levers, what they left unspent and what their levers asked but could not be paid
        (yuan, province totals; NaN without budgets), the share of villages whose collective
        income meets the plan's minimum, and the weighted households whose link to a market
        entity was struck or broke (simulation.institutions)."""
        budget = ["funds_yuan", "budget_spent_yuan", "unspent_yuan", "unfunded_yuan"]
        frames = [
            r.counties.groupby("year")[budget].sum(min_count=1)
            for r in self.results
            if r.counties is not None and set(budget) <= set(r.counties)
        ]
        agents = ["share_villages_collective_goal", "households_link_struck"]
        agents.append("households_link_broken")
        annual = self.annual
        table = annual.groupby("year")[[c for c in agents if c in annual]].mean()
        if frames:
            table = pd.concat(frames).groupby(level=0).mean().join(table)
        return table.loc[[y for y in self.years if y in table.index]]

    @cached_property
    def cost_by_measure(self) -> pd.DataFrame:
        """Mean cost (yuan) per measure and year, with 95 % band, and a ``total`` row per year."""
        cost = self.cost[self.cost["year"].isin(self.years)]
        per_rep = cost.groupby(["replication", "measure", "year"])["cost_yuan"].sum()
        total = per_rep.groupby(["replication", "year"]).sum()
        total = pd.concat({"total": total}, names=["measure"]).reorder_levels(
            ["replication", "measure", "year"]
        )
        both = pd.concat([per_rep, total]).groupby(["measure", "year"])
        return pd.DataFrame(
            {
                "mean": both.mean(),
                "lower_95": both.quantile(0.025),
                "upper_95": both.quantile(0.975),
            }
        )

    @cached_property
    def reach(self) -> pd.DataFrame:
        """Per lever and simulated year: the unit of its scale, the mean over replications of
        what it ``asked``, what its eligible pool held (``available``), what it ``reached``
        before take-up and the ``households`` granted its effects; ``share_reached``
        (reached / asked) and the ``shortfall``'s most frequent reason ("" for none)."""
        frames = [r.reach.assign(replication=i) for i, r in enumerate(self.results)]
        table = pd.concat(frames, ignore_index=True)
        if "asked" not in table:
            return pd.DataFrame()
        table = table.dropna(subset=["asked"])
        table = table[table["year"].isin(self.years)]
        grouped = table.groupby(["measure", "year"])
        out = grouped[["asked", "available", "reached", "households"]].mean()
        out.insert(0, "unit", grouped["unit"].first())
        asked = out["asked"].where(out["asked"] > 0)
        out["share_reached"] = (out["reached"] / asked).fillna(1.0)
        out["shortfall"] = grouped["shortfall"].agg(_most_frequent_reason)
        return out

    @property
    def reach_warnings(self) -> pd.DataFrame:
        """The rows of :attr:`reach` whose lever reached less than 95 % of its asked scale."""
        table = self.reach
        return table if table.empty else table[table["share_reached"] < REACH_WARNING]

    @property
    def total_cost(self) -> float:
        """Mean total cost over the simulated years (yuan)."""
        table = self.cost_by_measure.loc["total"]
        return float(table["mean"].sum())

    @cached_property
    def composition(self) -> pd.DataFrame:
        """Mean per-capita income by source and year, with shares."""
        annual = self.annual[self.annual["year"].isin(self.years)]
        return source_composition(annual)

    @cached_property
    def attribution(self) -> pd.DataFrame | None:
        """Shapley attribution of the target year's income over the all-measures-off
        counterfactual, by measure and source (None if no replication attributed)."""
        if self.contributions is None:
            return None
        return summarise_attribution(self.contributions, self.target_year, self.cost, self.people)

    @property
    def attribution_replications(self) -> int:
        """How many replications computed the attribution."""
        if self.contributions is None:
            return 0
        return int(self.contributions["replication"].nunique())

    @property
    def gain_per_yuan(self) -> float:
        """Income gained (over all measures off) per yuan spent on the measures."""
        if self.attribution is None or "gain_per_yuan" not in self.attribution:
            return float("nan")
        return float(self.attribution.loc["total", "gain_per_yuan"])

    @cached_property
    def observed(self) -> dict[str, pd.Series]:
        """Published Yunnan and national values up to the as-of year."""
        return {
            "yunnan": observed_series(YUNNAN_SERIES, self.as_of),
            "national": observed_series(NATIONAL_SERIES, self.as_of),
        }


__all__ = [
    "INCOME_COLUMNS",
    "MACRO_SUMMARY",
    "REACH_WARNING",
    "SOURCES",
    "ReplicationOutcome",
    "replication_paths",
    "TargetTest",
    "TargetTestResult",
    "bands",
    "replicate",
]

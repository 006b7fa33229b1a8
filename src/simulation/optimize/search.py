"""The planner's question: the cheapest mix of measures that reaches the target with a chosen
probability, and the cost-probability frontier.

The search (Optuna, multi-objective: cost down, P(target) up, share under the line down) runs
in three stages, every candidate on the same replication seeds (common random numbers):

1. **Screening.** ``trials`` mixes, asked in batches of ``batch`` from the sampler (TPE or
   NSGA-II; the budget and the ceiling on the share under the line are its constraints), each
   run on the first ``screen_replications`` seeds. The scenario's own mix (moved into the
   bounds) and the mix of every floor are the first two trials.
2. **Successive halving.** ``rungs`` times, the best third (``eta``) of the previous rung -
   feasible first, then by non-dominated front, then by closeness to the asked probability -
   is run on ``eta`` times as many seeds (the first ones kept: only new replications run).
3. **Honest claims.** The finalists (the front of the last rung, up to ``finalists``) and the
   scenario itself are re-evaluated on ``final_replications`` fresh seeds never used in the
   search; P and its Monte Carlo standard error come from there, not from the search (no
   winner's curse). The recommended mix is the cheapest finalist that meets every constraint
   on the fresh seeds; if none does, the closest ones are named.

Everything lives in an Optuna storage (SQLite under the run's folder): the trials with their
replications, and the later stages' replications as the study's attributes. An interrupted
search resumes where it stopped: complete trials are kept, trials cut short are asked again,
finished stages are not rerun. The sampler of batch ``b`` is seeded from ``(seed, b)`` and the
batch size does not depend on the workers, so the same seed gives the same search on 1, 2 or
40 workers.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial, TrialState

from forecast.provenance import file_fingerprint
from simulation.montecarlo.replications import ReplicationRunner, replication_seeds
from simulation.montecarlo.target import population_people
from simulation.optimize.evaluate import Evaluator, Outcomes
from simulation.optimize.space import DecisionSpace, Point
from simulation.scenario import Scenario

OBJECTIVES = ("cost_yuan", "p_target_met", "share_under_line")
# What the sampler is told: the mean gap stands for P. Under common random numbers it moves
# smoothly with a mix where P, a share of a few replications, moves in steps (0, 1/8, ...);
# the stages after the screening rank and report by P itself.
SAMPLER_OBJECTIVES = ("cost_yuan", "gap_mean", "share_under_line")
DIRECTIONS = ("minimize", "maximize", "minimize")
SAMPLERS = ("tpe", "nsga2")
# The sampler's constraints, set on each trial (<= 0 when met; Trial.set_constraint).
CONSTRAINT_NAMES = ("budget", "max_under_line", "probability")
REFINE_BATCH = 1_000_000  # the sampler seeds of the bracketing rounds (never a batch index)
MARGIN_SCALE = 1000.0  # yuan per person: the probability constraint's unit for the sampler
STUDY_NAME = "optimize"
REFERENCE = "reference"  # the searched scenario itself, re-evaluated beside the finalists
NOTE = "chosen by optimize run {run}"  # the assumption of every value a search chose


@dataclass(frozen=True)
class Constraints:
    """What the planner asks: a probability of meeting the target, a budget, a ceiling on
    the share of people under the monitoring line (None: no such constraint)."""

    min_probability: float = 0.5
    budget: float | None = None
    max_under_line: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_probability <= 1:
            raise ValueError(f"min_probability: {self.min_probability} not in [0, 1]")
        if self.budget is not None and self.budget <= 0:
            raise ValueError(f"budget: {self.budget} must be positive (yuan)")
        if self.max_under_line is not None and not 0 <= self.max_under_line <= 1:
            raise ValueError(f"max_under_line: {self.max_under_line} not in [0, 1]")

    def sampler_violations(self, row: Mapping[str, float]) -> list[float]:
        """The sampler's constraints (<= 0 when met): budget and share under the line. The
        probability is an objective, so the frontier spans every probability."""
        budget = 0.0 if self.budget is None else row["cost_yuan"] / self.budget - 1
        share = (
            0.0 if self.max_under_line is None else row["share_under_line"] - self.max_under_line
        )
        return [budget, share]

    def shortfall(self, row: Mapping[str, float]) -> float:
        """How far ``row`` is from meeting every constraint (0 when it meets them): missing
        probability plus the budget's and the share's relative overshoot."""
        missing = max(self.min_probability - row["p_target_met"], 0.0)
        return missing + sum(max(v, 0.0) for v in self.sampler_violations(row))

    def met(self, row: Mapping[str, float]) -> bool:
        """Whether ``row`` meets every constraint."""
        return self.shortfall(row) <= 0


@dataclass(frozen=True)
class Settings:
    """How hard to search (see the module docstring for the stages)."""

    trials: int = 150
    batch: int = 8
    screen_replications: int = 8
    eta: int = 3
    rungs: int = 2
    final_replications: int = 64
    finalists: int = 8
    refine_rounds: int = 2
    refine_points: int = 3
    sampler: str = "tpe"
    target_year: int = 2024
    draw_parameters: bool = True

    def __post_init__(self) -> None:
        for name in ("trials", "batch", "screen_replications", "final_replications", "finalists"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.eta < 2 or self.rungs < 0:
            raise ValueError(f"eta must be >= 2 and rungs >= 0, got {self.eta}, {self.rungs}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler: {self.sampler!r} not one of {SAMPLERS}")

    @property
    def search_replications(self) -> int:
        """Seeds of the last rung: the search uses seeds 0 .. this - 1."""
        return self.screen_replications * self.eta**self.rungs


@dataclass
class Optimization:
    """A finished search: every trial, the finalists re-evaluated on fresh seeds, the
    recommendation. A plain result; words, files and the MLflow record read it."""

    scenario: Scenario
    space: DecisionSpace
    constraints: Constraints
    settings: Settings
    seed: int
    trials: pd.DataFrame  # one row per screened mix: search figures, rung reached, decisions
    finalists: pd.DataFrame  # fresh-seed figures of the finalists and the reference
    search_seeds: list[int]
    fresh_seeds: list[int]
    storage: str
    as_of: int
    households: int | None = None
    people: float | None = None
    resumed_trials: int = 0
    moved_own_values: list[str] = field(default_factory=list)
    replications_run: int = 0
    ran_on: str = "this process"
    elapsed_seconds: float = float("nan")

    @property
    def evaluated_mixes(self) -> int:
        """Mixes the search evaluated (screened, then bracketing the asked probability)."""
        return len(self.trials)

    @property
    def screened(self) -> int:
        """Mixes of the screening stage."""
        return int((self.trials["stage"] == "screen").sum())

    @cached_property
    def frontier(self) -> pd.DataFrame:
        """The finalists (reference excluded) that no other finalist beats on cost,
        P(target) and share under the line at once (fresh seeds), cheapest first."""
        table = self.finalists[self.finalists.index != REFERENCE]
        keep = _front(table) if len(table) else []
        return table.loc[keep].sort_values("cost_yuan")

    @property
    def reference(self) -> pd.Series:
        """The searched scenario itself on the fresh seeds."""
        return self.finalists.loc[REFERENCE]

    @property
    def recommended(self) -> Any:
        """The trial number of the cheapest finalist meeting every constraint (None: none)."""
        table = self.finalists[self.finalists.index != REFERENCE]
        ok = table[table["meets_constraints"]]
        if ok.empty:
            return None
        return ok.sort_values(["cost_yuan", "p_target_met"], ascending=[True, False]).index[0]

    def closest(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` finalists nearest to meeting the constraints (for when none does)."""
        table = self.finalists[self.finalists.index != REFERENCE]
        return table.sort_values(["shortfall", "cost_yuan"]).head(n)

    def point(self, number: Any) -> Point:
        """The decisions of trial ``number``."""
        return _point(self.trials, self.space, number)

    def mix(self, number: Any, run: str = "<run id>") -> Scenario:
        """The scenario of trial ``number`` (each chosen value noted as chosen by ``run``)."""
        return self.space.apply(self.point(number), NOTE.format(run=run))


# -- the search -------------------------------------------------------------------------------


def optimize(
    scenario: Scenario,
    population: Any,
    storage: str | Path,
    *,
    constraints: Constraints | None = None,
    settings: Settings | None = None,
    seed: int = 0,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> Optimization:
    """Search the cheapest mix that meets the constraints, and the cost-probability frontier.

    Parameters
    ----------
    scenario : Scenario
        The mix searched around: its active levers' ``search:`` blocks (catalogue, narrowed
        by the scenario) say what may change; everything else stays as it is.
    population : simulation.Population
        Starting population (its as-of year sets the first simulated, hence searched, year).
    storage : str or Path
        The Optuna storage: a SQLite file (created) or a storage URL. A storage that holds a
        search of the same scenario, population, seed and settings is resumed; one of another
        search is refused.
    constraints, settings : optional
        :class:`Constraints` and :class:`Settings` (defaults: P >= 0.5, no budget, no ceiling;
        150 trials).
    seed : int
        Seed of the replications (search seeds: children 0 .. of ``SeedSequence(seed)``;
        fresh seeds: the children after them) and of the sampler.
    workers, scheduler, progress
        As for :class:`~simulation.montecarlo.replications.ReplicationRunner`.

    Returns
    -------
    Optimization
    """
    started = time.perf_counter()
    constraints = constraints or Constraints()
    settings = settings or Settings()
    if scenario.targeting != "income":
        raise ValueError(f"{scenario.path}: optimize runs income targeting only (monitoring)")
    space = DecisionSpace.from_scenario(scenario, population.as_of + 1)
    if settings.target_year not in space.years:
        raise ValueError(
            f"{scenario.path}: target year {settings.target_year} is not simulated "
            f"({space.years[0]}-{space.years[-1]})"
        )
    url = _storage_url(storage)
    n_search = settings.search_replications
    seeds = replication_seeds(seed, n_search + settings.final_replications)
    search_seeds, fresh_seeds = seeds[:n_search], seeds[n_search:]
    identity = _identity(scenario, space, population, constraints, settings, seed)
    study = _open(url, identity, settings, constraints, seed)
    resumed = _complete(study)
    own, moved = space.own_point()
    with ReplicationRunner(population, workers, scheduler) as runner:
        search = Evaluator(
            scenario,
            population,
            search_seeds,
            runner,
            settings.target_year,
            settings.draw_parameters,
        )
        _screen(url, study, space, search, settings, constraints, seed, own, progress)
        trials = _race(study, space, search, settings, constraints, progress)
        trials = _refine(url, study, space, search, settings, constraints, seed, trials)
        fresh = Evaluator(
            scenario,
            population,
            fresh_seeds,
            runner,
            settings.target_year,
            settings.draw_parameters,
        )
        finalists = _reevaluate(study, space, trials, fresh, scenario, settings, constraints)
        ran_on = runner.description
    trials = trials.join(finalists[["fresh_p_target_met"]].rename(columns=str), how="left")
    return Optimization(
        scenario=scenario,
        space=space,
        constraints=constraints,
        settings=settings,
        seed=seed,
        trials=trials,
        finalists=finalists,
        search_seeds=search_seeds,
        fresh_seeds=fresh_seeds,
        storage=url,
        as_of=population.as_of,
        households=getattr(population, "size", None),
        people=population_people(population),
        resumed_trials=resumed,
        moved_own_values=moved,
        replications_run=_replications_run(study),
        ran_on=ran_on,
        elapsed_seconds=time.perf_counter() - started,
    )


def _screen(
    url: str,
    study: optuna.Study,
    space: DecisionSpace,
    evaluator: Evaluator,
    settings: Settings,
    constraints: Constraints,
    seed: int,
    own: Point,
    progress: bool,
) -> None:
    """Stage 1: ask, run and tell mixes in batches until ``settings.trials`` are complete."""
    if not study.get_trials(deepcopy=False):
        study.enqueue_trial(own)
        study.enqueue_trial(space.floors(), skip_if_exists=True)
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        # Cut short by an interruption: ask its mix again (the count of complete ones goes on;
        # a bracketing mix is asked again by its own stage).
        study.tell(stale.number, state=TrialState.FAIL)
        if stale.user_attrs.get("stage", "screen") == "screen":
            study.enqueue_trial(stale.params)
    distributions = _distributions(space)
    complete = _complete(study)
    bar = _bar(progress, settings.trials, complete, "mixes screened")
    while complete < settings.trials:
        batch_index = complete // settings.batch
        study = optuna.load_study(
            study_name=STUDY_NAME,
            storage=url,
            sampler=_sampler(settings, constraints, seed, batch_index),
        )
        size = min(settings.batch, settings.trials - complete)
        asked = [study.ask(distributions) for _ in range(size)]
        for trial in asked:
            trial.set_user_attr("stage", "screen")
        mixes = [(space.apply(t.params, NOTE.format(run="search")), None) for t in asked]
        outcomes = evaluator.run(mixes, settings.screen_replications)
        for trial, outcome in zip(asked, outcomes, strict=True):
            row = outcome.summary(evaluator.national)
            trial.set_user_attr("outcomes", outcome.as_dict())
            # P >= p on the screening seeds is the (1 - p) quantile of the gaps >= 0: told as
            # that quantile, which moves smoothly with the mix, it steers the sampler to
            # the mixes that just reach the asked probability.
            margin = np.quantile(outcome.gaps(evaluator.national), 1 - constraints.min_probability)
            violations = [*constraints.sampler_violations(row), -float(margin) / MARGIN_SCALE]
            for key, value in zip(CONSTRAINT_NAMES, violations, strict=True):
                trial.set_constraint(key, value)
            study.tell(trial, [row[k] for k in SAMPLER_OBJECTIVES])
        complete = _complete(study)
        bar.update(size)
    bar.close()


def _race(
    study: optuna.Study,
    space: DecisionSpace,
    evaluator: Evaluator,
    settings: Settings,
    constraints: Constraints,
    progress: bool,
) -> pd.DataFrame:
    """Stage 2: successive halving over the screened mixes; returns the trials table with
    each mix's figures at the last rung it reached (``rung``, ``replications``)."""
    trials = _screened(study)[: settings.trials]
    outcomes = {t.number: _stored(study, t) for t in trials}
    params = {t.number: t.params for t in trials}
    rung = dict.fromkeys(outcomes, 0)
    pool = list(outcomes)
    bar = _bar(progress, settings.rungs, 0, "halving rungs", unit="rung")
    for level in range(1, settings.rungs + 1):
        rows = {n: outcomes[n].summary(evaluator.national) for n in pool}
        keep = max(math.ceil(len(pool) / settings.eta), min(settings.finalists, len(pool)))
        pool = _rank(rows, constraints)[:keep]
        replications = settings.screen_replications * settings.eta**level
        mixes = [(space.apply(params[n], NOTE.format(run="search")), outcomes[n]) for n in pool]
        for n, done in zip(pool, evaluator.run(mixes, replications), strict=True):
            outcomes[n] = done
            rung[n] = level
            study.set_user_attr(f"outcomes.{n}", done.as_dict())
        bar.update(1)
    bar.close()
    return _table(trials, outcomes, rung, space, evaluator, settings.screen_replications)


def _table(
    trials: Sequence[FrozenTrial],
    outcomes: Mapping[int, Outcomes],
    rung: Mapping[int, int],
    space: DecisionSpace,
    evaluator: Evaluator,
    screen_replications: int,
) -> pd.DataFrame:
    """One row per mix: its screening figures (first replications), its figures at the last
    rung it reached, its decisions."""
    rows = []
    for t in trials:
        claim = outcomes[t.number]
        first = Outcomes.from_dict({k: v[:screen_replications] for k, v in claim.as_dict().items()})
        screened = first.summary(evaluator.national)
        rows.append(
            {
                "trial": t.number,
                "stage": t.user_attrs.get("stage", "screen"),
                "rung": rung[t.number],
                **{f"screen_{k}": screened[k] for k in OBJECTIVES},
                **claim.summary(evaluator.national),
                **{name: t.params[name] for name in space.names},
            }
        )
    return pd.DataFrame(rows).set_index("trial")


def _refine(
    url: str,
    study: optuna.Study,
    space: DecisionSpace,
    evaluator: Evaluator,
    settings: Settings,
    constraints: Constraints,
    seed: int,
    table: pd.DataFrame,
) -> pd.DataFrame:
    """Stage 2b: bracket the asked probability. On the last rung's front, the cheapest mix
    that reaches it and the next cheaper one that does not bracket the cheapest answer;
    ``refine_points`` mixes between them (each numeric decision interpolated, each rule as
    the reaching mix has it) run on the last rung's replications, and the bracket narrows,
    ``refine_rounds`` times. A handful of mixes thus place the boundary finely where a
    sampler spreads its trials over the whole front."""
    level = int(table["rung"].max())
    replications = settings.screen_replications * settings.eta**level
    distributions = _distributions(space)
    for round_ in range(settings.refine_rounds):
        bracket = _bracket(table[table["rung"] == level], constraints)
        if bracket is None:
            break
        key = f"refine.{round_}"
        numbers = study.user_attrs.get(key)
        if numbers is None:
            low, high = (_point(table, space, n) for n in bracket)
            study = optuna.load_study(
                study_name=STUDY_NAME,
                storage=url,
                sampler=_sampler(settings, constraints, seed, REFINE_BATCH + round_),
            )
            points = _between(space, low, high, settings.refine_points)
            for point in points:
                study.enqueue_trial(point)
            asked = [study.ask(distributions) for _ in points]
            mixes = [(space.apply(t.params, NOTE.format(run="search")), None) for t in asked]
            for trial, outcome in zip(asked, evaluator.run(mixes, replications), strict=True):
                row = outcome.summary(evaluator.national)
                trial.set_user_attr("stage", "refine")
                trial.set_user_attr("outcomes", outcome.as_dict())
                study.tell(trial, [row[k] for k in SAMPLER_OBJECTIVES])
            numbers = [t.number for t in asked]
            study.set_user_attr(key, numbers)
        done = [t for t in study.get_trials(deepcopy=False) if t.number in set(numbers)]
        outcomes = {t.number: Outcomes.from_dict(t.user_attrs["outcomes"]) for t in done}
        rows = _table(
            done,
            outcomes,
            dict.fromkeys(outcomes, level),
            space,
            evaluator,
            settings.screen_replications,
        )
        table = pd.concat([table, rows])
    return table


def _bracket(top: pd.DataFrame, constraints: Constraints) -> tuple[Any, Any] | None:
    """The cheapest front mix reaching the asked probability and the next cheaper front mix
    (which does not); None when there is no such pair."""
    front = top.loc[_front(top)].sort_values("cost_yuan")
    reaching = front["p_target_met"] >= constraints.min_probability
    if not reaching.any():
        return None
    first = int(np.argmax(reaching.to_numpy()))
    if first == 0:
        return None
    return front.index[first - 1], front.index[first]


def _between(space: DecisionSpace, low: Point, high: Point, count: int) -> list[Point]:
    """``count`` points evenly between ``low`` and ``high``: numbers interpolated (whole where
    the decision counts), rules as ``high`` has them."""
    points = []
    for t in np.linspace(0, 1, count + 2)[1:-1]:
        point = {}
        for d in space.decisions:
            if d.setting == "priority":
                point[d.name] = high[d.name]
            else:
                value = low[d.name] + t * (high[d.name] - low[d.name])
                point[d.name] = int(round(value)) if d.integer else float(value)
        points.append(point)
    return points


def _reevaluate(
    study: optuna.Study,
    space: DecisionSpace,
    trials: pd.DataFrame,
    evaluator: Evaluator,
    scenario: Scenario,
    settings: Settings,
    constraints: Constraints,
) -> pd.DataFrame:
    """Stage 3: the finalists and the scenario itself on fresh seeds."""
    top = trials[trials["rung"] == trials["rung"].max()]
    chosen = _finalists(top, constraints, settings.finalists)
    named: list[tuple[Any, Scenario]] = [
        (n, space.apply(_point(trials, space, n), NOTE.format(run="search"))) for n in chosen
    ]
    named.append((REFERENCE, scenario))
    stored = [study.user_attrs.get(f"fresh.{n}") for n, _ in named]
    done = evaluator.run(
        [
            (mix, None if s is None else Outcomes.from_dict(s))
            for (_, mix), s in zip(named, stored, strict=True)
        ],
        settings.final_replications,
    )
    rows = {}
    for (n, _), outcome in zip(named, done, strict=True):
        study.set_user_attr(f"fresh.{n}", outcome.as_dict())
        row = outcome.summary(evaluator.national)
        shorts = pd.Series([s for rep in outcome.short for s in rep], dtype=object)
        rows[n] = {
            **row,
            "claimed_p_target_met": np.nan if n == REFERENCE else trials.loc[n, "p_target_met"],
            "claimed_replications": np.nan if n == REFERENCE else trials.loc[n, "replications"],
            "meets_constraints": constraints.met(row),
            "shortfall": constraints.shortfall(row),
            "reach_warnings": "; ".join(
                f"{k} ({v} of {len(outcome)})" for k, v in shorts.value_counts().items()
            ),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "trial"
    table["fresh_p_target_met"] = table["p_target_met"]
    return table


# -- ranking ----------------------------------------------------------------------------------


def _front(table: pd.DataFrame) -> list[Any]:
    """The rows of ``table`` that no other row dominates on (cost down, P up, share down)."""
    values = np.column_stack(
        [table["cost_yuan"], -table["p_target_met"], table["share_under_line"]]
    ).astype(float)
    keep = []
    for i in range(len(values)):
        others = np.delete(values, i, axis=0)
        dominated = np.any(np.all(others <= values[i], axis=1) & np.any(others < values[i], axis=1))
        if not dominated:
            keep.append(table.index[i])
    return keep


def _rank(rows: Mapping[Any, Mapping[str, float]], constraints: Constraints) -> list[Any]:
    """Mixes best first: meeting the sampler's constraints, then by non-dominated front, then
    by closeness to the asked probability, then by cost."""
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["violation"] = [
        sum(max(v, 0.0) for v in constraints.sampler_violations(r)) for _, r in table.iterrows()
    ]
    table["front"] = np.inf
    remaining = table.index.tolist()
    level = 0
    while remaining:
        front = _front(table.loc[remaining])
        table.loc[front, "front"] = level
        remaining = [n for n in remaining if n not in set(front)]
        level += 1
    table["distance"] = (table["p_target_met"] - constraints.min_probability).abs()
    order = table.sort_values(["violation", "front", "distance", "cost_yuan"])
    return order.index.tolist()


def _finalists(top: pd.DataFrame, constraints: Constraints, count: int) -> list[Any]:
    """Up to ``count`` mixes of the last rung to re-evaluate: a ladder up the front by cost
    from the cheapest mix whose claim is within two standard errors of the asked probability
    (so that if the fresh seeds ask a little more, the next rung of the ladder is only a
    little dearer), and the front's surest mix; then the next best mixes if the front is
    short."""
    ranked = _rank(top[list(OBJECTIVES)].to_dict(orient="index"), constraints)
    front = top.loc[[n for n in ranked if n in set(_front(top.loc[ranked]))]]
    front = front.sort_values("cost_yuan")
    hopeful = front["p_target_met"] + 2 * front["p_std_error"] >= constraints.min_probability
    ladder = front[hopeful.cummax()].index.tolist()
    chosen = ladder[: max(count - 1, 1)]
    surest = front.sort_values(["p_target_met", "cost_yuan"], ascending=[False, True]).index[0]
    if surest not in chosen and len(chosen) < count:
        chosen.append(surest)
    for n in ranked:  # too short a ladder: the next best mixes
        if len(chosen) >= min(count, len(top)):
            break
        if n not in chosen:
            chosen.append(n)
    return chosen


# -- Optuna -----------------------------------------------------------------------------------


def _storage_url(storage: str | Path) -> str:
    text = str(storage)
    if "://" in text:
        return text
    path = Path(text).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _identity(
    scenario: Scenario,
    space: DecisionSpace,
    population: Any,
    constraints: Constraints,
    settings: Settings,
    seed: int,
) -> dict[str, Any]:
    """What makes two searches the same (a resumed search must match it)."""
    from forecast.provenance import population_fingerprint

    screen = {k: v for k, v in asdict(settings).items() if k not in ("trials", "finalists")}
    return {
        "scenario": scenario.name,
        "scenario_sha256": file_fingerprint(scenario.path),
        "population": population_fingerprint(population),
        "seed": seed,
        "constraints": asdict(constraints),
        "settings": screen,
        "decisions": [asdict(d) for d in space.decisions],
    }


def _open(
    url: str, identity: dict[str, Any], settings: Settings, constraints: Constraints, seed: int
) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=url,
        study_name=STUDY_NAME,
        directions=list(DIRECTIONS),
        sampler=_sampler(settings, constraints, seed, 0),
        load_if_exists=True,
    )
    found = study.user_attrs.get("identity")
    wanted = json.loads(json.dumps(identity))
    if found is None:
        study.set_user_attr("identity", wanted)
    elif found != wanted:
        differs = sorted(k for k in wanted if found.get(k) != wanted[k])
        raise ValueError(
            f"{url}: holds a search that differs in {', '.join(differs)}; resume it with the "
            "same scenario, population, seed, constraints and settings, or use another --out"
        )
    return study


def _sampler(
    settings: Settings, constraints: Constraints, seed: int, batch_index: int
) -> optuna.samplers.BaseSampler:
    """The sampler of one batch, seeded from (seed, batch): a resumed search asks as the
    uninterrupted one would have."""
    rng_seed = int(np.random.SeedSequence([seed, batch_index]).generate_state(1)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if settings.sampler == "nsga2":
            return optuna.samplers.NSGAIISampler(
                population_size=max(2 * settings.batch, 10),
                seed=rng_seed,
            )
        return optuna.samplers.TPESampler(
            seed=rng_seed,
            multivariate=True,
            constant_liar=True,
            n_startup_trials=max(10, settings.batch),
        )


def _distributions(space: DecisionSpace) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for d in space.decisions:
        if d.setting == "priority":
            out[d.name] = CategoricalDistribution(list(d.options))
        elif d.integer:
            out[d.name] = IntDistribution(int(math.ceil(d.low)), int(math.floor(d.high)))
        else:
            out[d.name] = FloatDistribution(d.low, d.high)
    return out


def _screened(study: optuna.Study) -> list[FrozenTrial]:
    """The complete trials of the screening stage, in order."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(
        (t for t in trials if t.user_attrs.get("stage", "screen") == "screen"),
        key=lambda t: t.number,
    )


def _complete(study: optuna.Study) -> int:
    return len(_screened(study))


def _point(trials: pd.DataFrame, space: DecisionSpace, number: Any) -> Point:
    """The decisions of trial ``number`` as plain values."""
    row = trials.loc[number]
    return {name: _plain(row[name]) for name in space.names}


def _stored(study: optuna.Study, trial: FrozenTrial) -> Outcomes:
    """A trial's replications: the latest rung's if one ran, else its screening."""
    later = study.user_attrs.get(f"outcomes.{trial.number}")
    return Outcomes.from_dict(later if later is not None else trial.user_attrs["outcomes"])


def _replications_run(study: optuna.Study) -> int:
    """Replications simulated by the whole search (screening, rungs, fresh seeds)."""
    total = 0
    attrs = study.user_attrs
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        later = attrs.get(f"outcomes.{t.number}")
        total += len((later or t.user_attrs["outcomes"])["income"])
    total += sum(len(v["income"]) for k, v in attrs.items() if k.startswith("fresh."))
    return total


def _bar(progress: bool, total: int, initial: int, description: str, unit: str = "mix"):
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=description, unit=unit)


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


__all__ = [
    "NOTE",
    "OBJECTIVES",
    "REFERENCE",
    "SAMPLERS",
    "Constraints",
    "Optimization",
    "Settings",
    "optimize",
]

"""Measure mixes side by side, with common random numbers.

Every scenario runs with the same seed, hence the same replication seeds, the same shocks and
parameter draws where the scenarios share components, and the same national paths: the
difference between two scenarios in replication ``i`` is a paired difference, so a few hundred
replications separate mixes whose unpaired bands would overlap.

:func:`run_target_test` is the comparison of one scenario. A :class:`Comparison` is a plain
result; its words and figure are :func:`.report.comparison_report` and
:func:`.plots.comparison_chart`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.paths import project_root
from forecast.sourced import load_yaml
from simulation import ScenarioError, load_scenario
from simulation.montecarlo.replications import ReplicationRunner
from simulation.montecarlo.target import TargetTest, TargetTestResult

REFERENCE = "baseline"  # the policies in force: the reference of the increments


@dataclass
class Comparison:
    """Target tests of several scenarios run with common random numbers."""

    results: list[TargetTestResult]

    @property
    def target_year(self) -> int:
        """Year of the target."""
        return self.results[0].target_year

    @property
    def reference(self) -> TargetTestResult | None:
        """The policies in force (the scenario named ``baseline``), if compared."""
        return next((r for r in self.results if r.name == REFERENCE), None)

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per scenario: probability, gap, ratio Yunnan/national, cost, share under
        the line, gain per yuan against no measures (``gain_per_yuan``, Shapley), against
        the policies in force (``gain_vs_baseline``: paired mean of the target year's income
        over the baseline's; ``extra_cost_vs_baseline``; ``gain_per_yuan_vs_baseline``: the
        extra income of every simulated year times the people, per extra yuan), and the
        paired difference of the target year's income with the first scenario."""
        year = self.target_year
        first = self.results[0].yunnan[year]
        reference = self.reference
        rows = {}
        for result in self.results:
            gap = result.paths["gap"].loc[year]
            difference = result.yunnan[year] - first
            rows[result.name] = {
                "p_target_met": result.p_target_met,
                "gap_mean": gap["mean"],
                "gap_lower_80": gap["lower_80"],
                "gap_upper_80": gap["upper_80"],
                "yunnan_mean": result.paths["yunnan"].loc[year, "mean"],
                "ratio_mean": result.paths["ratio"].loc[year, "mean"],
                "cost_yuan": result.total_cost,
                "share_under_line": result.monitoring.loc[year, "share_people_under_line_mean"],
                "gain_per_yuan": result.gain_per_yuan,
                "vs_first_mean": difference.mean(),
                "vs_first_lower_95": np.quantile(difference, 0.025),
                "vs_first_upper_95": np.quantile(difference, 0.975),
                **_against(result, reference),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("scenario")

    def ranking(self) -> pd.DataFrame:
        """The table sorted by probability of meeting the target, then by expected gap."""
        return self.table.sort_values(["p_target_met", "gap_mean"], ascending=False)


def _against(result: TargetTestResult, reference: TargetTestResult | None) -> dict[str, float]:
    """Gain and cost of ``result`` over the policies in force, paired replication by
    replication (NaN when the baseline was not compared)."""
    if reference is None:
        return dict.fromkeys(
            ("gain_vs_baseline", "extra_cost_vs_baseline", "gain_per_yuan_vs_baseline"), np.nan
        )
    year = result.target_year
    gain = float((result.yunnan[year] - reference.yunnan[year]).mean())
    extra_cost = result.total_cost - reference.total_cost
    income_gained = float((result.yunnan - reference.yunnan).sum(axis=1).mean()) * (
        result.people or np.nan
    )
    per_yuan = income_gained / extra_cost if abs(extra_cost) > 0 else np.nan
    return {
        "gain_vs_baseline": gain,
        "extra_cost_vs_baseline": extra_cost,
        "gain_per_yuan_vs_baseline": per_yuan,
    }


def shipped_scenarios(directory: str | Path | None = None) -> list[Path]:
    """Scenario files in ``directory`` (default: the project's ``scenarios/``), baseline first.

    Files that are not scenarios (the measure catalogue, calibration files: they carry a
    ``kind`` key) are skipped.
    """
    folder = Path(directory) if directory else project_root() / "scenarios"
    paths = []
    for path in sorted(folder.glob("*.yaml")):
        content = load_yaml(path, ScenarioError)
        if isinstance(content, dict) and "name" in content and "kind" not in content:
            paths.append(path)
    return sorted(paths, key=lambda p: (p.stem != "baseline", p.stem != "action_plan", p.stem))


def compare_scenarios(
    scenario_paths: Sequence[str | Path],
    population: Any,
    replications: int = 200,
    seed: int = 0,
    workers: int = 1,
    scheduler: Any = None,
    attribution_replications: int | None = None,
    progress: bool = False,
    target_year: int = 2024,
    targeting: str | None = None,
    risk_scorer: Any = None,
) -> Comparison:
    """Run the target test of each scenario file with the same seed and population.

    The population is shipped to the workers once for all scenarios. ``targeting``
    overrides every scenario's monitoring targeting rule; ``risk_scorer`` serves those that
    target by risk.

    Returns
    -------
    Comparison
        ``.table`` for the side-by-side figures; words from
        :func:`.report.comparison_report`.
    """
    if not scenario_paths:
        raise ValueError("compare needs at least one scenario file")
    tests = [
        TargetTest(
            load_scenario(path),
            replications=replications,
            seed=seed,
            attribution_replications=attribution_replications,
            target_year=target_year,
            scenario_path=path,
            targeting=targeting,
            risk_scorer=risk_scorer,
        )
        for path in scenario_paths
    ]
    with ReplicationRunner(population, workers, scheduler, progress) as runner:
        return Comparison([test.run(population, runner=runner) for test in tests])


def run_target_test(scenario_path: str | Path, population: Any, **options: Any) -> TargetTestResult:
    """Load a scenario file and run its target test (the entry point of ``make demo``).

    Parameters
    ----------
    scenario_path : str or Path
        Scenario YAML (``scenarios/action_plan.yaml``).
    population : simulation.Population
        Starting population, built once with ``Population.from_panel``.
    **options
        Those of :func:`compare_scenarios` (``replications``, ``seed``, ``workers``,
        ``scheduler``, ``attribution_replications``, ``progress``, ``target_year``,
        ``targeting``, ``risk_scorer``): the target test is a comparison of one scenario.

    Returns
    -------
    TargetTestResult
        :func:`.report.target_report` gives the plain-language answer.
    """
    return compare_scenarios([scenario_path], population, **options).results[0]

"""Measure mixes side by side, with common random numbers.

Every scenario runs with the same seed, hence the same replication seeds, the same shocks and
parameter draws where the scenarios share components, and the same national paths: the
difference between two scenarios in replication ``i`` is a paired difference, so a few hundred
replications separate mixes whose unpaired bands would overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.montecarlo.replications import ReplicationRunner
from simulation.montecarlo.summary import billions, percent, points, ratio, yuan
from simulation.montecarlo.target import TargetTest, TargetTestResult


@dataclass
class Comparison:
    """Target tests of several scenarios run with common random numbers."""

    results: list[TargetTestResult]

    @property
    def target_year(self) -> int:
        """Year of the target."""
        return self.results[0].target_year

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per scenario: probability, gap, ratio Yunnan/national, cost, share under
        the line, gain per yuan, and the paired difference of the target year's income with
        the first scenario."""
        year = self.target_year
        first = self.results[0].yunnan[year]
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
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("scenario")

    def report(self) -> str:
        """The comparison in plain language."""
        year = self.target_year
        table = self.table
        first = table.index[0]
        lines = [
            f"{len(table)} scenarios, {self.results[0].replications:,} replications each "
            f"(seed {self.results[0].seed}, common random numbers), target year {year}.",
            "",
            _format_table(table),
            "",
        ]
        best = self.ranking().index[0]
        lines.append(
            f"Highest probability of ending {year} above the national level: {best} "
            f"({percent(table.loc[best, 'p_target_met'])}; ties broken by the expected gap)."
        )
        for name, row in table.iloc[1:].iterrows():
            lines.append(
                f"{name} vs {first}: {yuan(row['vs_first_mean'], True)} yuan per person in "
                f"{year} (paired 95 % band {yuan(row['vs_first_lower_95'], True)} to "
                f"{yuan(row['vs_first_upper_95'], True)}), costing "
                f"{billions(row['cost_yuan'] - table.loc[first, 'cost_yuan'])} more."
            )
        hinges = [line for result in self.results if (line := _hinge_line(result))]
        if hinges:
            lines += ["", "Under the trend assumption each answer hinges on:", *hinges]
        return "\n".join(lines)

    def ranking(self) -> pd.DataFrame:
        """The table sorted by probability of meeting the target, then by expected gap."""
        return self.table.sort_values(["p_target_met", "gap_mean"], ascending=False)

    def conclusion(self) -> str:
        """The comparison's conclusion in a few plain sentences (Markdown)."""
        from simulation.montecarlo.summary import likelihood

        year = self.target_year
        table = self.ranking()
        best, worst = table.index[0], table.index[-1]
        sentences = [
            f"Of {len(table)} measure mixes, **{best}** gives the highest probability of ending "
            f"{year} above the national level ({percent(table.loc[best, 'p_target_met'])}: "
            f"{likelihood(table.loc[best, 'p_target_met'])}), and **{worst}** the lowest "
            f"({percent(table.loc[worst, 'p_target_met'])})."
        ]
        per_yuan = self.table["gain_per_yuan"].dropna()
        if not per_yuan.empty:
            top = per_yuan.idxmax()
            sentences.append(
                f"Per yuan spent, **{top}** raises incomes most "
                f"({per_yuan[top]:.2f} yuan of income per yuan over all its measures off)."
            )
        return " ".join(sentences)


def shipped_scenarios(directory: str | Path | None = None) -> list[Path]:
    """Scenario files in ``directory`` (default: the project's ``scenarios/``), baseline first.

    Files that are not scenarios (the measure catalogue, calibration files: they carry a
    ``kind`` key) are skipped.
    """
    import yaml

    from forecast.paths import project_root

    folder = Path(directory) if directory else project_root() / "scenarios"
    paths = []
    for path in sorted(folder.glob("*.yaml")):
        content = yaml.safe_load(path.read_text())
        if isinstance(content, dict) and "name" in content and "kind" not in content:
            paths.append(path)
    return sorted(paths, key=lambda p: (p.stem != "baseline", p.stem != "action_plan", p.stem))


def _hinge_line(result: TargetTestResult) -> str | None:
    """P of one scenario under its chosen national model and under its hinge assumption."""
    hinge = result.hinge
    if hinge is None:
        return None
    row = result.by_assumption.loc[hinge]
    moved = points(row["p_target_met"] - result.p_target_met)
    return (
        f"  {result.name}: P = {percent(result.p_target_met)} with the {result.model} model; "
        f"{percent(row['p_target_met'])} ({moved}) under {hinge}: {row['description']}."
    )


def _format_table(table: pd.DataFrame) -> str:
    shown = pd.DataFrame(
        {
            "P(target)": table["p_target_met"].map(percent),
            "gap": table["gap_mean"].map(lambda v: yuan(v, True)),
            "gap 80 %": [
                f"{yuan(lo, True)}..{yuan(hi, True)}"
                for lo, hi in zip(table["gap_lower_80"], table["gap_upper_80"], strict=True)
            ],
            "ratio": table["ratio_mean"].map(ratio),
            "cost": table["cost_yuan"].map(billions),
            "under line": table["share_under_line"].map(lambda v: percent(v, 1)),
            "gain/yuan": table["gain_per_yuan"].map(
                lambda v: "n/a" if not np.isfinite(v) else f"{v:.2f}"
            ),
        },
        index=table.index,
    )
    return shown.to_string()


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
        ``.table`` for the side-by-side figures, ``.report()`` for words.
    """
    from simulation import load_scenario

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

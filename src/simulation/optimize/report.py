"""A search's results in plain language, as ``frontier.json`` and as a scenario file.

Every function reads a plain :class:`~.search.Optimization`; no figure is typed in.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from forecast.paths import project_root
from forecast.provenance import code_version
from simulation.decisions import describe
from simulation.montecarlo.words import billions, likelihood, percent
from simulation.optimize.search import NOTE, OBJECTIVES, REFERENCE, Optimization
from simulation.scenario import RULE_UNIT

FRONTIER_COLUMNS = (
    "cost_yuan",
    "p_target_met",
    "p_std_error",
    "share_under_line",
    "gap_mean",
    "replications",
    "claimed_p_target_met",
    "claimed_replications",
    "meets_constraints",
    "recommended",
    "on_frontier",
    "reach_warnings",
)


def frontier_table(opt: Optimization) -> pd.DataFrame:
    """The finalists and the scenario itself on the fresh seeds, cheapest first, with their
    decisions: the table written to ``frontier.csv`` and ``frontier.parquet``."""
    table = opt.finalists.copy()
    table["recommended"] = table.index == opt.recommended
    table["on_frontier"] = table.index.isin(opt.frontier.index)
    decisions = opt.trials[opt.space.names]
    table = table[list(FRONTIER_COLUMNS)].join(decisions, how="left")
    for d in opt.space.decisions:  # the scenario's own values on its row
        table.loc[REFERENCE, d.name] = _own_value(opt, d)
    table.index = table.index.map(str)
    return table.sort_values("cost_yuan")


def optimization_report(opt: Optimization, run_id: str | None = None) -> str:
    """The search and its answer in plain language."""
    s = opt.settings
    size = f"{opt.households:,} households" if opt.households else "the population"
    lines = [
        f"Cheapest mix around {opt.scenario.name}: {opt.evaluated_mixes} mixes evaluated "
        f"({opt.screened} screened, {opt.resumed_trials} of them found in the storage from an "
        f"earlier run; {opt.evaluated_mixes - opt.screened} bracketing the asked "
        f"probability), {size}, "
        f"seed {opt.seed}, as of {opt.as_of}; {s.sampler.upper()} sampler, batches of "
        f"{s.batch}; run on {opt.ran_on} in {opt.elapsed_seconds:,.0f} s, "
        f"{opt.replications_run:,} replications in all.",
        f"Searched: {len(opt.space.decisions)} decisions over "
        f"{len({d.measure for d in opt.space.decisions})} levers, years "
        f"{opt.space.years[0]}-{opt.space.years[-1]} (catalogue search: blocks, bounds with "
        "their sources in frontier.json).",
        f"Stages: every mix on {s.screen_replications} replications; {s.rungs} rungs of "
        f"successive halving, each keeping the best 1/{s.eta} on {s.eta}x more (up to "
        f"{s.search_replications}); the {len(opt.finalists) - 1} finalists and "
        f"{opt.scenario.name} itself on {s.final_replications} fresh replications never used "
        "in the search (the figures below; common random numbers throughout).",
        "Asked: " + constraints_words(opt) + ".",
        *(f"Note: {m}." for m in opt.moved_own_values),
        "",
        f"Frontier on the fresh seeds (cost {opt.space.years[0]}-{s.target_year}, "
        f"P(target {s.target_year}) with its Monte Carlo standard error, share of people under "
        "the line; the search's own claim beside it):",
    ]
    for name, row in frontier_table(opt).iterrows():
        mark = " <- recommended" if row["recommended"] else ""
        mark += "" if row["on_frontier"] or name == REFERENCE else " (dominated)"
        label = opt.scenario.name if name == REFERENCE else f"mix {name}"
        claim = (
            ""
            if name == REFERENCE
            else f"; search claimed {percent(row['claimed_p_target_met'])} on "
            f"{int(row['claimed_replications'])}"
        )
        lines.append(
            f"  {label:>14}: {billions(row['cost_yuan'])}, P = {percent(row['p_target_met'])} "
            f"(± {100 * row['p_std_error']:.1f} points), under line "
            f"{percent(row['share_under_line'], 1)}{claim}{mark}"
        )
    lines += [""] + recommendation_lines(opt)
    if run_id:
        lines += ["", f"Each value the search chose carries: {NOTE.format(run=run_id)}."]
    return "\n".join(lines)


def constraints_words(opt: Optimization) -> str:
    """The planner's constraints in words."""
    c = opt.constraints
    words = [f"P(target met) >= {percent(c.min_probability)}"]
    if c.budget is not None:
        words.append(f"cost <= {billions(c.budget)}")
    if c.max_under_line is not None:
        words.append(f"share under the line <= {percent(c.max_under_line, 1)}")
    return ", ".join(words)


def recommendation_lines(opt: Optimization) -> list[str]:
    """The recommended mix against the scenario, or why there is none and the closest."""
    ref, number = opt.reference, opt.recommended
    if number is None:
        lines = [
            f"No mix meets the constraints ({constraints_words(opt)}) on the fresh seeds. "
            "The closest:"
        ]
        for name, row in opt.closest().iterrows():
            lines.append(
                f"  mix {name}: {billions(row['cost_yuan'])}, P = "
                f"{percent(row['p_target_met'])} (± {100 * row['p_std_error']:.1f} points), "
                f"under line {percent(row['share_under_line'], 1)}."
            )
        return lines
    row = opt.finalists.loc[number]
    saving = ref["cost_yuan"] - row["cost_yuan"]
    lines = [
        f"Recommended: mix {number}, the cheapest finalist meeting "
        f"{constraints_words(opt)} on {int(row['replications'])} fresh replications: "
        f"{billions(row['cost_yuan'])}, P = {percent(row['p_target_met'])} "
        f"(± {100 * row['p_std_error']:.1f} points; {likelihood(row['p_target_met'])}), "
        f"{percent(row['share_under_line'], 1)} of people under the line.",
        f"Against {opt.scenario.name} on the same fresh seeds ({billions(ref['cost_yuan'])}, "
        f"P = {percent(ref['p_target_met'])} ± {100 * ref['p_std_error']:.1f} points): "
        f"{billions(abs(saving))} {'less' if saving >= 0 else 'more'}.",
        f"The search claimed P = {percent(row['claimed_p_target_met'])} on "
        f"{int(row['claimed_replications'])} replications; the fresh seeds give "
        f"{percent(row['p_target_met'])}.",
        "What it changes:",
    ]
    changes = opt.space.changes(opt.point(number))
    for measure, change in changes.items():
        lever = opt.scenario.levers[measure]
        for year, value in change.get("scale", {}).items():
            lines.append(
                f"  {measure} {year}: {_amount(lever.scale.at(year))} -> {_amount(value)} "
                f"{lever.scale.unit}"
            )
        if "priority" in change:
            lines.append(f"  {measure}: priority {lever.priority} -> {change['priority']}")
    if not changes:
        lines.append(f"  nothing: it is {opt.scenario.name} itself.")
    if row["reach_warnings"]:
        lines.append(
            "WARNING: some levers reach under 95 % of their asked scale for want of eligible "
            f"households (replications): {row['reach_warnings']}."
        )
    return lines


def optimization_conclusion(opt: Optimization) -> str:
    """The answer in a few plain sentences (Markdown), from the run's numbers."""
    ref, number = opt.reference, opt.recommended
    s = opt.settings
    head = (
        f"Searching {opt.evaluated_mixes} mixes around **{opt.scenario.name}** for "
        f"{constraints_words(opt)}, "
    )
    if number is None:
        closest = opt.closest(1).iloc[0]
        return head + (
            f"**no mix meets the constraints** on {s.final_replications} fresh replications; "
            f"the closest costs {billions(closest['cost_yuan'])} with P = "
            f"{percent(closest['p_target_met'])}. {opt.scenario.name} itself: "
            f"{billions(ref['cost_yuan'])}, P = {percent(ref['p_target_met'])}."
        )
    row = opt.finalists.loc[number]
    saving = ref["cost_yuan"] - row["cost_yuan"]
    return head + (
        f"the cheapest mix found costs **{billions(row['cost_yuan'])}** over "
        f"{opt.space.years[0]}-{s.target_year} and meets the target with probability "
        f"**{percent(row['p_target_met'])}** (Monte Carlo standard error "
        f"{100 * row['p_std_error']:.1f} points, from {int(row['replications'])} fresh "
        f"replications the search never saw). {opt.scenario.name} as written costs "
        f"{billions(ref['cost_yuan'])} with P = {percent(ref['p_target_met'])} on the same "
        f"replications: the mix is {billions(abs(saving))} "
        f"{'cheaper' if saving >= 0 else 'dearer'}. "
        f"{len(opt.frontier)} finalists form the frontier; the plan's floors bound every "
        "lever from below, so no mix drops a commitment the plan states."
    )


def frontier_dict(opt: Optimization, run_id: str | None = None) -> dict[str, Any]:
    """The content of ``frontier.json`` (plain types)."""
    table = frontier_table(opt).reset_index()
    return {
        "scenario": opt.scenario.name,
        "scenario_file": opt.scenario.path,
        "run_id": run_id,
        "seed": opt.seed,
        "households": opt.households,
        "as_of": opt.as_of,
        "constraints": {
            "min_probability": opt.constraints.min_probability,
            "budget_yuan": opt.constraints.budget,
            "max_under_line": opt.constraints.max_under_line,
        },
        "settings": {k: getattr(opt.settings, k) for k in opt.settings.__dataclass_fields__},
        "objectives": list(OBJECTIVES),
        "evaluated_mixes": opt.evaluated_mixes,
        "resumed_trials": opt.resumed_trials,
        "replications_run": opt.replications_run,
        "search_seeds": opt.search_seeds,
        "fresh_seeds": opt.fresh_seeds,
        "decision_space": {
            name: describe(opt.scenario.levers[name].search)
            for name in dict.fromkeys(d.measure for d in opt.space.decisions)
        },
        "frontier": [{k: _json(v) for k, v in row.items()} for row in table.to_dict("records")],
        "recommended": None if opt.recommended is None else str(opt.recommended),
        "closest": None if opt.recommended is not None else [str(n) for n in opt.closest().index],
        "storage": opt.storage,
        "elapsed_seconds": opt.elapsed_seconds,
        "ran_on": opt.ran_on,
        "code_version": code_version(),
    }


def mix_yaml(opt: Optimization, number: Any, path: str | Path, run_id: str) -> str:
    """A scenario file of trial ``number``'s mix, as a small change over the searched scenario
    (``base:`` relative to ``path``, where it will be written); every changed value carries
    ``assumption: chosen by optimize run <run_id>``. It loads with the scenario loader."""
    note = NOTE.format(run=run_id)
    row = opt.finalists.loc[number]
    measures: dict[str, Any] = {}
    for measure, change in opt.space.changes(opt.point(number)).items():
        entry: dict[str, Any] = {}
        if "scale" in change:
            entry["scale"] = {"values": change["scale"], "assumption": note}
        if "priority" in change:
            entry["priority"] = {"value": change["priority"], "unit": RULE_UNIT, "assumption": note}
        measures[measure] = entry
    base = _base_path(Path(opt.scenario.path), Path(path).resolve().parent)
    content: dict[str, Any] = {
        "name": f"{opt.scenario.name}_cheapest",
        "description": (
            f"The cheapest mix found by optimize run {run_id} around {opt.scenario.name} for "
            f"{constraints_words(opt)}."
        ),
        "base": base,
    }
    if measures:
        content["changes"] = {"measures": measures}
    header = (
        f"# Written by `zengshou simulate optimize` (MLflow run {run_id}): mix {number}, on "
        f"{int(row['replications'])} fresh replications\n# {billions(row['cost_yuan'])}, "
        f"P(target) {percent(row['p_target_met'])} ± {100 * row['p_std_error']:.1f} points, "
        f"{percent(row['share_under_line'], 1)} of people under the line.\n"
    )
    return header + yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)


def _base_path(scenario: Path, folder: Path) -> str:
    """The searched scenario as the written file's ``base:``: relative within the project
    (the two move together), absolute from elsewhere."""
    root = project_root().resolve()
    if scenario.is_relative_to(root) and folder.is_relative_to(root):
        return os.path.relpath(scenario, folder)
    return str(scenario)


def _own_value(opt: Optimization, decision) -> Any:
    lever = opt.scenario.levers[decision.measure]
    if decision.setting == "priority":
        return lever.priority
    return sum(float(lever.scale.at(y)) for y in decision.years) / len(decision.years)


def _amount(value: Any) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if float(value) >= 10 else f"{value:g}"


def _json(value: Any) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = [
    "FRONTIER_COLUMNS",
    "constraints_words",
    "frontier_dict",
    "frontier_table",
    "mix_yaml",
    "optimization_conclusion",
    "optimization_report",
    "recommendation_lines",
]

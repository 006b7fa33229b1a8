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

from forecast.i18n import gettext as _
from forecast.i18n import use_language
from forecast.paths import project_root
from forecast.provenance import code_version
from simulation.decisions import describe
from simulation.montecarlo.words import billions, likelihood, measure_name, percent
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
    """The search and its answer in plain language (in the language in force)."""
    s = opt.settings
    size = (
        _("report.target.households", n=opt.households)
        if opt.households
        else _("report.target.the_population")
    )
    lines = [
        _(
            "report.optimize.run",
            name=opt.scenario.name,
            evaluated=opt.evaluated_mixes,
            screened=opt.screened,
            resumed=opt.resumed_trials,
            bracketing=opt.evaluated_mixes - opt.screened,
            size=size,
            seed=opt.seed,
            as_of=opt.as_of,
            sampler=s.sampler.upper(),
            batch=s.batch,
            ran_on=opt.ran_on,
            seconds=opt.elapsed_seconds,
            replications=opt.replications_run,
        ),
        _(
            "report.optimize.searched",
            decisions=len(opt.space.decisions),
            levers=len({d.measure for d in opt.space.decisions}),
            first=opt.space.years[0],
            last=opt.space.years[-1],
        ),
        _(
            "report.optimize.stages",
            screen=s.screen_replications,
            rungs=s.rungs,
            eta=s.eta,
            search=s.search_replications,
            finalists=len(opt.finalists) - 1,
            name=opt.scenario.name,
            final=s.final_replications,
        ),
        _("report.optimize.asked", constraints=constraints_words(opt)),
        *(_("report.optimize.note", note=m) for m in opt.moved_own_values),
        "",
        _("report.optimize.frontier", first=opt.space.years[0], year=s.target_year),
    ]
    for name, row in frontier_table(opt).iterrows():
        mark = _("report.optimize.recommended_mark") if row["recommended"] else ""
        mark += "" if row["on_frontier"] or name == REFERENCE else _("report.optimize.dominated")
        label = opt.scenario.name if name == REFERENCE else _("report.optimize.mix", number=name)
        claim = (
            ""
            if name == REFERENCE
            else _(
                "report.optimize.claim",
                p=percent(row["claimed_p_target_met"]),
                replications=int(row["claimed_replications"]),
            )
        )
        lines.append(
            _(
                "report.optimize.frontier_row",
                label=f"{label:>14}",
                cost=billions(row["cost_yuan"]),
                p=percent(row["p_target_met"]),
                se=100 * row["p_std_error"],
                under=percent(row["share_under_line"], 1),
                claim=claim,
                mark=mark,
            )
        )
    lines += [""] + recommendation_lines(opt)
    if run_id:
        lines += ["", _("report.optimize.chosen_by", note=NOTE.format(run=run_id))]
    return "\n".join(lines)


def constraints_words(opt: Optimization) -> str:
    """The planner's constraints in words."""
    c = opt.constraints
    words = [_("report.optimize.min_probability", p=percent(c.min_probability))]
    if c.budget is not None:
        words.append(_("report.optimize.budget", cost=billions(c.budget)))
    if c.max_under_line is not None:
        words.append(_("report.optimize.max_under_line", share=percent(c.max_under_line, 1)))
    return _("report.list_comma").join(words)


def recommendation_lines(opt: Optimization) -> list[str]:
    """The recommended mix against the scenario, or why there is none and the closest."""
    ref, number = opt.reference, opt.recommended
    if number is None:
        lines = [_("report.optimize.none", constraints=constraints_words(opt))]
        for name, row in opt.closest().iterrows():
            lines.append(
                _(
                    "report.optimize.closest",
                    number=name,
                    cost=billions(row["cost_yuan"]),
                    p=percent(row["p_target_met"]),
                    se=100 * row["p_std_error"],
                    under=percent(row["share_under_line"], 1),
                )
            )
        return lines
    row = opt.finalists.loc[number]
    saving = ref["cost_yuan"] - row["cost_yuan"]
    lines = [
        _(
            "report.optimize.recommended",
            number=number,
            constraints=constraints_words(opt),
            replications=int(row["replications"]),
            cost=billions(row["cost_yuan"]),
            p=percent(row["p_target_met"]),
            se=100 * row["p_std_error"],
            likelihood=likelihood(row["p_target_met"]),
            under=percent(row["share_under_line"], 1),
        ),
        _(
            "report.optimize.against_less" if saving >= 0 else "report.optimize.against_more",
            name=opt.scenario.name,
            cost=billions(ref["cost_yuan"]),
            p=percent(ref["p_target_met"]),
            se=100 * ref["p_std_error"],
            saving=billions(abs(saving)),
        ),
        _(
            "report.optimize.claimed",
            claimed=percent(row["claimed_p_target_met"]),
            replications=int(row["claimed_replications"]),
            p=percent(row["p_target_met"]),
        ),
        _("report.optimize.changes"),
    ]
    changes = opt.space.changes(opt.point(number))
    for measure, change in changes.items():
        lever = opt.scenario.levers[measure]
        for year, value in change.get("scale", {}).items():
            lines.append(
                _(
                    "report.optimize.change_scale",
                    measure=measure_name(measure),
                    year=year,
                    before=_amount(lever.scale.at(year)),
                    after=_amount(value),
                    unit=lever.scale.unit,
                )
            )
        if "priority" in change:
            lines.append(
                _(
                    "report.optimize.change_priority",
                    measure=measure_name(measure),
                    before=lever.priority,
                    after=change["priority"],
                )
            )
    if not changes:
        lines.append(_("report.optimize.no_change", name=opt.scenario.name))
    if row["reach_warnings"]:
        lines.append(_("report.optimize.reach_warning", warnings=row["reach_warnings"]))
    return lines


def optimization_conclusion(opt: Optimization) -> str:
    """The answer in a few plain sentences (Markdown), from the run's numbers."""
    ref, number = opt.reference, opt.recommended
    s = opt.settings
    head = _(
        "report.optimize.conclusion_head",
        evaluated=opt.evaluated_mixes,
        name=opt.scenario.name,
        constraints=constraints_words(opt),
    )
    if number is None:
        closest = opt.closest(1).iloc[0]
        return head + _(
            "report.optimize.conclusion_none",
            final=s.final_replications,
            cost=billions(closest["cost_yuan"]),
            p=percent(closest["p_target_met"]),
            name=opt.scenario.name,
            ref_cost=billions(ref["cost_yuan"]),
            ref_p=percent(ref["p_target_met"]),
        )
    row = opt.finalists.loc[number]
    saving = ref["cost_yuan"] - row["cost_yuan"]
    return head + _(
        "report.optimize.conclusion_cheaper"
        if saving >= 0
        else "report.optimize.conclusion_dearer",
        cost=billions(row["cost_yuan"]),
        first=opt.space.years[0],
        year=s.target_year,
        p=percent(row["p_target_met"]),
        se=100 * row["p_std_error"],
        replications=int(row["replications"]),
        name=opt.scenario.name,
        ref_cost=billions(ref["cost_yuan"]),
        ref_p=percent(ref["p_target_met"]),
        saving=billions(abs(saving)),
        frontier=len(opt.frontier),
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
    ``assumption: chosen by optimize run <run_id>``. It loads with the scenario loader, and is
    written in English whatever the language in force (scenario files are English)."""
    with use_language("en"):
        return _mix_yaml(opt, number, path, run_id)


def _mix_yaml(opt: Optimization, number: Any, path: str | Path, run_id: str) -> str:
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

"""What a sensitivity run and a discovery found, in words, JSON and figures.

``sensitivity.json`` and ``boxes.json`` are read by the web app (issue 16): their field names
are a contract. Every number comes from the plain results (:class:`.analysis.Sensitivity`,
:class:`.discovery.Discovery`); NaN becomes ``null``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecast.plotting import PALETTE, figure, percent_axis
from simulation.sensitivity.analysis import Sensitivity
from simulation.sensitivity.discovery import Discovery

OUTCOME_WORDS = {
    "p_target_met": "P(target met)",
    "share_under_line": "share of people under the line",
}
ROW_FIELDS = ("mu_star", "mu_star_conf", "sigma", "S1", "S1_conf", "ST", "ST_conf")


def _outcome_words(name: str) -> str:
    if name.startswith("gap_"):
        return f"gap in {name.removeprefix('gap_')} (yuan per person)"
    return OUTCOME_WORDS.get(name, name)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


# --- sensitivity ---------------------------------------------------------------------------


def sensitivity_dict(sensitivity: Sensitivity, run_id: str | None) -> dict[str, Any]:
    """The content of ``sensitivity.json``: per outcome, every input ranked with its indices
    (``S1``/``ST`` null outside the inputs Sobol ranked, or after Morris alone)."""
    s = sensitivity
    return {
        "scenario": s.scenario.name,
        "method": s.method,
        "households": s.households,
        "seed": s.seed,
        "run_id": run_id,
        "replications_per_sample": s.replications,
        "trajectories": s.trajectories,
        "sobol_samples": s.samples,
        "sobol_inputs": s.top,
        "evaluations": s.evaluations,
        "target_year": s.target_year,
        "basis_of_indices": "Morris mu_star and sigma: change of the outcome per unit of the "
        "input's quantile (0-1); Sobol S1 and ST: shares of the outcome's variance; *_conf: "
        "half-width of the 95 % bootstrap interval",
        "held_by_common_random_numbers": s.stochastic,
        "outcomes": {
            outcome: [
                {
                    "input": name,
                    "label": row["label"],
                    "unit": row["unit"],
                    "basis": row["basis"],
                    **{k: _plain(row[k]) for k in ROW_FIELDS},
                }
                for name, row in s.table(outcome).iterrows()
            ]
            for outcome in s.outcomes
        },
        "elapsed_seconds": s.elapsed_seconds,
        "ran_on": s.ran_on,
    }


def _index_column(sensitivity: Sensitivity) -> tuple[str, str]:
    return ("ST", "total Sobol index") if sensitivity.indices is not None else ("mu_star", "μ*")


def sensitivity_report(sensitivity: Sensitivity, run_id: str | None = None, rows: int = 8) -> str:
    """The ranking in words: per outcome, the inputs it hinges on most, with intervals."""
    s = sensitivity
    what = (
        f"Morris screening of {len(s.inputs)} inputs ({s.trajectories} trajectories)"
        if s.method == "morris"
        else f"Morris screening of {len(s.inputs)} inputs, then Sobol indices of the top "
        f"{len(s.top)} ({s.samples} base samples)"
    )
    lines = [
        f"What the {s.target_year} answer of {s.scenario.name} hinges on: {what}; "
        f"{s.replications} replications per sample on the same seeds (common random numbers), "
        f"{s.evaluations} samples, {s.households} households, seed {s.seed}.",
    ]
    column, words = _index_column(s)
    for outcome in s.outcomes:
        table = s.table(outcome)
        if not (table["mu_star"] > 0).any():
            lines.append(
                f"\n{_outcome_words(outcome)}: the same in every sample (no input moves it)."
            )
            continue
        lines.append(f"\n{_outcome_words(outcome)}, ranked by {words}:")
        for _, row in table.head(rows).iterrows():
            morris = f"μ* {row['mu_star']:.3g} ± {row['mu_star_conf']:.2g}"
            sobol = (
                f"; S1 {row['S1']:.2f} ± {row['S1_conf']:.2f}, ST {row['ST']:.2f} ± "
                f"{row['ST_conf']:.2f}"
                if np.isfinite(row["ST"])
                else ""
            )
            lines.append(f"  {row['label']} ({row['unit']}): {morris}{sobol}")
    if run_id:
        lines.append(f"\nMLflow run {run_id}")
    return "\n".join(lines)


def sensitivity_chart(sensitivity: Sensitivity, rows: int = 10) -> Figure:
    """Bars of each outcome's most influential inputs with their 95 % intervals: the total
    Sobol index (first-order marked) after Sobol, Morris μ* after Morris alone."""
    s = sensitivity
    fig, axes = figure((7.5, 2.2 + 0.9 * rows), rows=len(s.outcomes), squeeze=False)
    for ax, outcome in zip(axes[:, 0], s.outcomes, strict=True):
        table = s.table(outcome)
        column, words = (
            ("ST", "total Sobol index") if table["ST"].notna().any() else ("mu_star", "μ*")
        )
        table = table[table[column].notna()].head(rows).iloc[::-1]
        ax.set_title(_outcome_words(outcome), fontsize=10)
        if not (table[column] > 0).any():
            ax.text(0.5, 0.5, "the same in every sample", ha="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        y = np.arange(len(table))
        ax.barh(
            y,
            table[column],
            xerr=table[f"{column}_conf"],
            color=PALETTE[0],
            ecolor="0.3",
            capsize=3,
            label=words,
        )
        if column == "ST":
            ax.errorbar(
                table["S1"],
                y,
                xerr=table["S1_conf"],
                fmt="o",
                color=PALETTE[1],
                ecolor=PALETTE[1],
                capsize=2,
                label="first-order index",
            )
            ax.legend(loc="lower right", fontsize=8)
        ax.set_yticks(y, [_short(label) for label in table["label"]], fontsize=8)
        ax.set_xlabel(words if column == "ST" else f"{words} (outcome per unit of quantile)")
    return fig


def sensitivity_conclusion(sensitivity: Sensitivity, leaders: int = 3) -> str:
    """What the answer hinges on, in sentences written from the run's indices: per outcome
    the leading inputs with their intervals, and how many inputs hardly matter."""
    s = sensitivity
    lines = []
    for outcome in s.outcomes:
        table = s.table(outcome)
        words = _outcome_words(outcome)
        if not (table["mu_star"] > 0).any():
            lines.append(f"- **{words}** is the same in every sample: no input moves it here.")
            continue
        sobol = table["ST"].notna().any()
        named = []
        for _, row in table.head(leaders).iterrows():
            if sobol and np.isfinite(row["ST"]):
                named.append(
                    f"{row['label']} (total index {row['ST']:.2f} ± {row['ST_conf']:.2f}, "
                    f"first-order {row['S1']:.2f})"
                )
            else:
                named.append(
                    f"{row['label']} (μ* {row['mu_star']:.3g} ± {row['mu_star_conf']:.2g})"
                )
        small = int((table["mu_star"] < 0.05 * table["mu_star"].max()).sum())
        lines.append(
            f"- **{words}** hinges most on {'; then '.join(named)}. {small} of the "
            f"{len(table)} inputs move it by less than a twentieth of the leading one's effect."
        )
    return "\n".join(lines)


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# --- discovery -----------------------------------------------------------------------------


def boxes_dict(discovery: Discovery, run_id: str | None) -> dict[str, Any]:
    """The content of ``boxes.json``."""
    d = discovery
    return {
        "scenario": d.scenario,
        "run_id": run_id,
        "futures": d.futures,
        "share_met": d.share_met,
        "min_density": d.min_density,
        "households": d.households,
        "seed": d.seed,
        "experiments": d.experiments_source,
        "inputs": d.inputs,
        "boxes": [
            {
                "coverage": box.coverage,
                "density": box.density,
                "mass": box.mass,
                "limits": [
                    {
                        "input": limit.input,
                        "label": limit.label,
                        "unit": limit.unit,
                        "low": limit.low,
                        "high": limit.high,
                        "quasi_p": _plain(limit.quasi_p),
                    }
                    for limit in box.limits
                ],
                "text": box.text(),
            }
            for box in d.boxes
        ],
    }


def discovery_report(discovery: Discovery, run_id: str | None = None) -> str:
    """The boxes in plain language."""
    d = discovery
    lines = [
        f"Where {d.scenario or 'the scenario'} meets the target: PRIM over {d.futures} futures "
        f"and {len(d.inputs)} inputs; the target is met in {d.share_met:.0%} of all futures."
    ]
    if not d.boxes:
        lines.append(
            "No box of inputs stands out: no restriction raises the share of futures meeting "
            "the target more than chance would."
        )
    for k, box in enumerate(d.boxes, start=1):
        lines.append(
            f"Box {k} (coverage {box.coverage:.0%}, density {box.density:.0%}, "
            f"mass {box.mass:.0%}): {box.text()}."
        )
    if run_id:
        lines.append(f"MLflow run {run_id}")
    return "\n".join(lines)


def discovery_conclusion(discovery: Discovery) -> str:
    """The boxes as a planner reads them: which limits are the plan's to act on (a measure's
    effect, which delivery and evaluation can raise or check) and which are not (the macro
    path, the calibration)."""
    d = discovery
    if not d.boxes:
        return (
            f"The target is met in {d.share_met:.0%} of the {d.futures} futures, and no box of "
            "inputs separates the futures that meet it from the others."
        )
    lines = [f"The target is met in {d.share_met:.0%} of the {d.futures} futures."]
    for k, box in enumerate(d.boxes, start=1):
        ours = [lim for lim in box.limits if lim.input.startswith("measures.")]
        given = [lim for lim in box.limits if not lim.input.startswith("measures.")]
        lines.append(f"\n**Box {k}**: {box.text()}.")
        if ours:
            lines.append(
                "- In the plan's hands (what delivery must achieve and evaluation should "
                "check): " + "; ".join(lim.text() for lim in ours) + "."
            )
        if given:
            lines.append(
                "- Outside them (to watch, and to prepare for when they turn out otherwise): "
                + "; ".join(lim.text() for lim in given)
                + "."
            )
    return "\n".join(lines)


def peeling_chart(discovery: Discovery) -> Figure:
    """Each box's peeling trajectory: density against coverage, coloured by the number of
    restricted inputs, and the box kept (its insignificant restrictions dropped) marked."""
    fig, ax = figure((7, 4.5))
    for k, box in enumerate(discovery.boxes, start=1):
        t = box.trajectory
        ax.plot(t["coverage"], t["density"], "-", color="0.6", lw=1, zorder=1)
        points = ax.scatter(
            t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18, zorder=2
        )
        ax.scatter(
            [box.coverage],
            [box.density],
            marker="*",
            s=200,
            color=PALETTE[(k + 2) % len(PALETTE)],
            edgecolors="black",
            zorder=3,
            label=f"box {k}: {len(box.limits)} inputs",
        )
        if k == 1:
            fig.colorbar(points, ax=ax, label="inputs restricted")
    ax.axhline(discovery.min_density, color="0.4", ls=":", lw=1, label="density asked")
    percent_axis(ax, "density (share of the box's futures meeting the target)")
    percent_axis(ax, "coverage (share of the futures meeting it that the box holds)", axis="x")
    if discovery.boxes:
        ax.legend(loc="lower left", fontsize=8)
    return fig


def units_table(discovery: Discovery) -> pd.DataFrame:
    """The limits of every box as a table (box, input, label, unit, low, high)."""
    rows = [
        {"box": k, **vars(limit)}
        for k, box in enumerate(discovery.boxes, start=1)
        for limit in box.limits
    ]
    return pd.DataFrame(rows, columns=["box", "input", "label", "unit", "low", "high"])


__all__ = [
    "boxes_dict",
    "discovery_conclusion",
    "discovery_report",
    "peeling_chart",
    "sensitivity_chart",
    "sensitivity_conclusion",
    "sensitivity_dict",
    "sensitivity_report",
    "units_table",
]

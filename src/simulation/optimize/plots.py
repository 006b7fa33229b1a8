"""The cost-probability frontier of a search, as a figure (built without pyplot)."""

from __future__ import annotations

from matplotlib.figure import Figure

from simulation.optimize.search import REFERENCE, Optimization


def frontier_chart(opt: Optimization, ax=None) -> Figure:
    """Cost against P(target) of every screened mix (grey, the search's own figures) and of
    the finalists on the fresh seeds (coloured by the share of people under the line, with
    ± 1 standard error), the searched scenario itself, the recommended mix, the asked
    probability and the budget."""
    if ax is None:
        figure = Figure(figsize=(8, 5.5), layout="constrained")
        ax = figure.subplots()
    figure = ax.figure
    screened = opt.trials
    ax.scatter(
        screened["cost_yuan"] / 1e9,
        screened["p_target_met"],
        s=12,
        color="0.75",
        label=f"screened mixes ({len(screened)}, search figures)",
        zorder=1,
    )
    finalists = opt.finalists[opt.finalists.index != REFERENCE]
    ax.errorbar(
        finalists["cost_yuan"] / 1e9,
        finalists["p_target_met"],
        yerr=finalists["p_std_error"],
        fmt="none",
        ecolor="0.4",
        elinewidth=0.8,
        zorder=2,
    )
    points = ax.scatter(
        finalists["cost_yuan"] / 1e9,
        finalists["p_target_met"],
        c=100 * finalists["share_under_line"],
        cmap="viridis_r",
        s=50,
        edgecolors="black",
        linewidths=0.5,
        label="finalists (fresh seeds, ± 1 s.e.)",
        zorder=3,
    )
    figure.colorbar(points, ax=ax, label="people under the monitoring line (%)")
    frontier = opt.frontier
    ax.plot(frontier["cost_yuan"] / 1e9, frontier["p_target_met"], "-", color="0.3", lw=1, zorder=2)
    ref = opt.reference
    ax.scatter(
        [ref["cost_yuan"] / 1e9],
        [ref["p_target_met"]],
        marker="*",
        s=180,
        color="tab:red",
        label=f"{opt.scenario.name} (fresh seeds)",
        zorder=4,
    )
    if opt.recommended is not None:
        best = opt.finalists.loc[opt.recommended]
        ax.scatter(
            [best["cost_yuan"] / 1e9],
            [best["p_target_met"]],
            s=260,
            facecolors="none",
            edgecolors="tab:red",
            linewidths=2,
            label="recommended",
            zorder=5,
        )
    ax.axhline(
        opt.constraints.min_probability, color="tab:red", ls=":", lw=1, label="asked probability"
    )
    if opt.constraints.budget is not None:
        ax.axvline(opt.constraints.budget / 1e9, color="tab:orange", ls="--", lw=1, label="budget")
    ax.set_xlabel(f"cost {opt.space.years[0]}-{opt.settings.target_year} (bn yuan)")
    ax.set_ylabel(f"P(Yunnan above the national level in {opt.settings.target_year})")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"Cost-probability frontier around {opt.scenario.name}")
    ax.legend(loc="lower right", fontsize=8)
    return figure


__all__ = ["frontier_chart"]

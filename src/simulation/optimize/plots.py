"""The cost-probability frontier of a search, as a figure (built without pyplot), its words in
the language in force (:func:`forecast.plotting.in_plot_language`)."""

from __future__ import annotations

from matplotlib.figure import Figure

from forecast import plotting
from forecast.i18n import gettext as _
from simulation.optimize.search import REFERENCE, Optimization


@plotting.in_plot_language
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
        label=_("plot.frontier.screened", n=len(screened)),
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
        label=_("plot.frontier.finalists"),
        zorder=3,
    )
    figure.colorbar(points, ax=ax, label=_("plot.frontier.under_line"))
    frontier = opt.frontier
    ax.plot(frontier["cost_yuan"] / 1e9, frontier["p_target_met"], "-", color="0.3", lw=1, zorder=2)
    ref = opt.reference
    ax.scatter(
        [ref["cost_yuan"] / 1e9],
        [ref["p_target_met"]],
        marker="*",
        s=180,
        color="tab:red",
        label=_("plot.frontier.reference", name=opt.scenario.name),
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
            label=_("plot.frontier.recommended"),
            zorder=5,
        )
    ax.axhline(
        opt.constraints.min_probability,
        color="tab:red",
        ls=":",
        lw=1,
        label=_("plot.frontier.asked"),
    )
    if opt.constraints.budget is not None:
        ax.axvline(
            opt.constraints.budget / 1e9,
            color="tab:orange",
            ls="--",
            lw=1,
            label=_("plot.frontier.budget"),
        )
    year = opt.settings.target_year
    ax.set_xlabel(_("plot.frontier.cost", first=opt.space.years[0], last=year))
    ax.set_ylabel(_("plot.frontier.p", year=year))
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(_("plot.frontier.title", name=opt.scenario.name))
    ax.legend(loc="lower right", fontsize=8)
    return figure


__all__ = ["frontier_chart"]

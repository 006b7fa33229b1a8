"""Figures of a target test and of a comparison: fan chart against the national band (with
the ratio Yunnan/national below it), composition by source, attribution and cost.

Each function returns a ``matplotlib.figure.Figure`` drawn in the house style
(:mod:`forecast.plotting`), its words in the language in force (measures by the plan's names
in Chinese); :func:`save_plots` writes them as PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast import plotting
from forecast.i18n import gettext as _
from simulation.montecarlo.compare import Comparison
from simulation.montecarlo.target import TargetTestResult
from simulation.montecarlo.words import count, measure_name, source_name

COST_PARTS = 8  # measures told apart by colour in the cost chart; the rest are "other measures"


@plotting.in_plot_language
def fan_chart(result: TargetTestResult, ax: Axes | None = None, ratio_ax: Axes | None = None):
    """Yunnan's simulated mean income with 80 %/95 % bands against the national band, the
    published values up to the as-of year with their yearly growth, and below it the ratio
    Yunnan/national with its bands against the target line at 1.

    Given ``ax`` (and optionally ``ratio_ax``), draws into them; otherwise builds a figure
    with both panels.
    """
    if ax is None:
        figure, (ax, ratio_ax) = plotting.figure(
            (7.5, 8), rows=2, sharex=True, height_ratios=(2, 1)
        )
    _levels_panel(result, ax, xlabel=ratio_ax is None)
    if ratio_ax is not None:
        ratio_chart(result, ratio_ax)
    return ax.figure


def _levels_panel(result: TargetTestResult, ax: Axes, xlabel: bool = True) -> None:
    first_year = min(s.index.min() for s in result.observed.values() if len(s))
    for key in ("national", "yunnan"):
        label = _(f"plot.side.{key}")
        published = result.observed[key]
        observed = published[published.index >= max(first_year, result.as_of - 3)]
        colour = plotting.SIDES[key]
        _fan(ax, result.paths[key], colour, _(f"plot.side.{key}_projected"), _last(observed))
        plotting.published_points(ax, observed.index, observed.to_numpy(), colour, label)
        # The two rising lines run close together: national labels go above-left of its
        # points, Yunnan's below-right, both off the lines.
        above = key == "national"
        for year, words in _published_growth(published, observed.index).items():
            ax.annotate(
                words,
                (year, float(observed[year])),
                xytext=(-5, 5) if above else (5, -5),
                textcoords="offset points",
                ha="right" if above else "left",
                va="bottom" if above else "top",
                fontsize="x-small",
                color=colour,
            )
    ax.margins(y=0.08)
    ax.set_title(
        _(
            "plot.fan.title",
            name=result.name,
            year=result.target_year,
            p=100 * result.p_target_met,
            model=result.model,
        ),
        fontsize="medium",
    )
    plotting.year_axis(ax, label="year" if xlabel else None)
    plotting.yuan_axis(ax, _("plot.fan.income"))
    plotting.legend(ax, loc="upper left", fontsize="x-small", ncols=2)


@plotting.in_plot_language
def ratio_chart(result: TargetTestResult, ax: Axes | None = None) -> Figure:
    """The ratio Yunnan/national by year: published, then simulated with 80 %/95 % bands,
    against the target line at 1."""
    figure, ax = plotting.on(ax)
    yunnan, national = result.observed["yunnan"], result.observed["national"]
    both = yunnan.index.intersection(national.index)
    observed = (yunnan[both] / national[both]).sort_index()
    colour = plotting.SIDES["ratio"]
    _fan(ax, result.paths["ratio"], colour, _("plot.ratio.projected"), _last(observed))
    if len(observed):
        plotting.published_points(
            ax, observed.index, observed.to_numpy(), colour, _("plot.ratio.name")
        )
    ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label=_("plot.ratio.target"))
    plotting.year_axis(ax)
    ax.set_ylabel(_("plot.ratio.name"))
    plotting.legend(ax, loc="upper left", fontsize="x-small")
    return figure


def _last(series: pd.Series) -> tuple[int, float] | None:
    return None if series.empty else (int(series.index[-1]), float(series.iloc[-1]))


def _fan(ax: Axes, band: pd.DataFrame, colour: str, label: str, start) -> None:
    """Mean line and 80 %/95 % bands of ``band`` (years x columns), joined to the last
    published point ``start`` (year, value) so the projection visibly continues it."""
    years, head = list(band.index), []
    if start is not None and start[0] < years[0]:
        years, head = [start[0], *years], [start[1]]
    plotting.fan(
        ax,
        years,
        [*head, *band["mean"]],
        {
            level: ([*head, *band[f"lower_{level}"]], [*head, *band[f"upper_{level}"]])
            for level in (80, 95)
        },
        colour,
        label,
    )


def _published_growth(series: pd.Series, shown: pd.Index) -> dict[int, str]:
    """Growth over the previous published value for each shown year (a yearly average when
    years are missing in between), as labels: ``+14.3 %`` or ``+11.7 %/yr since 2019``."""
    series = series.sort_index()
    labels = {}
    for previous, year in zip(series.index[:-1], series.index[1:], strict=True):
        if year not in shown:
            continue
        span = int(year - previous)
        growth = (float(series[year]) / float(series[previous])) ** (1 / span) - 1
        labels[int(year)] = f"{100 * growth:+.1f} %" + (
            "" if span == 1 else _("plot.fan.per_year_since", year=int(previous))
        )
    return labels


def _by_source(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The income-source columns of ``table`` named for the reader, with their colours."""
    names = {s: source_name(s) for s in plotting.SOURCES}
    colours = {names[s]: colour for s, colour in plotting.SOURCES.items()}
    return table[list(plotting.SOURCES)].rename(columns=names), colours


@plotting.in_plot_language
def composition_chart(result: TargetTestResult, ax: Axes | None = None) -> Figure:
    """Mean per-capita income by source and simulated year (stacked bars, total on top)."""
    figure, ax = plotting.on(ax)
    composition, colours = _by_source(result.composition)
    plotting.stacked_bars(ax, composition, colours)
    ax.set_title(_("plot.composition.title", name=result.name))
    plotting.year_axis(ax)
    ax.set_xticks(list(composition.index))
    plotting.yuan_axis(ax, _("plot.yuan_per_person"))
    return figure


@plotting.in_plot_language
def attribution_chart(result: TargetTestResult, ax: Axes | None = None) -> Figure:
    """Shapley contribution of each measure to the target year's income, split by income
    source (total at the end of each bar), with the 95 % band of the total.

    Raises
    ------
    ValueError
        If the result has no attribution (``attribution_replications=0``): there is nothing
        to draw.
    """
    table = result.attribution
    if table is None:
        raise ValueError(f"{result.name}: no attribution computed (attribution replications 0)")
    figure, ax = plotting.on(ax, size=(8, 5))
    measures = table.drop(index="total").iloc[::-1]
    measures.index = measures.index.map(measure_name)
    parts, colours = _by_source(measures)
    plotting.stacked_bars(ax, parts, colours, "{:+,.0f}", horizontal=True)
    ax.errorbar(
        measures["mean"],
        measures.index,
        xerr=[measures["mean"] - measures["lower_95"], measures["upper_95"] - measures["mean"]],
        fmt="none",
        ecolor="k",
        capsize=3,
        label=_("plot.attribution.total_band"),
    )
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_title(
        _(
            "plot.attribution.title",
            name=result.name,
            year=result.target_year,
            replications=count(result.attribution_replications, "replication"),
        )
    )
    plotting.yuan_axis(ax, _("plot.attribution.axis"), axis="x")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize="small", loc="lower right")
    return figure


@plotting.in_plot_language
def cost_chart(result: TargetTestResult, ax: Axes | None = None) -> Figure:
    """Mean province-wide cost per year, stacked by measure (the seven costliest, the rest
    as "other measures"), with each year's total on top, in billions of yuan."""
    figure, ax = plotting.on(ax, size=(8, 4.5))
    cost = result.cost_by_measure["mean"].drop(index="total").unstack("measure") / 1e9
    cost = cost.loc[:, cost.sum().sort_values(ascending=False).index]
    other = _("plot.cost.other")
    cost = plotting.lump(cost.rename(columns=measure_name), COST_PARTS, other=other)
    colour_of = dict(zip(cost.columns, plotting.PALETTE, strict=False))
    if other in colour_of:
        colour_of[other] = plotting.OTHER
    plotting.stacked_bars(ax, cost, colour_of, "{:,.2f}")
    ax.set_title(_("plot.cost.title", name=result.name))
    plotting.year_axis(ax)
    ax.set_xticks(list(cost.index))
    ax.set_ylabel(_("plot.cost.axis"))
    return figure


@plotting.in_plot_language
def comparison_chart(comparison: Comparison, ax: Axes | None = None) -> Figure:
    """Probability of meeting the target and expected gap with its 80 % band, per scenario."""
    figure, ax = plotting.on(ax, size=(8, 4.5))
    table = comparison.table
    positions = list(range(len(table)))
    gap = table["gap_mean"]
    above, below = plotting.PALETTE[2], plotting.PALETTE[3]
    for sign, colour, words in ((True, above, "above"), (False, below, "below")):
        chosen = [i for i, g in zip(positions, gap, strict=True) if (g > 0) == sign]
        if chosen:
            ax.bar(
                chosen,
                gap.iloc[chosen],
                color=colour,
                alpha=0.8,
                label=_(f"plot.compare.gap_{words}"),
            )
    ax.errorbar(
        positions,
        gap,
        yerr=[gap - table["gap_lower_80"], table["gap_upper_80"] - gap],
        fmt="none",
        ecolor="k",
        capsize=4,
        label=_("plot.band_80"),
    )
    ax.axhline(0, color="grey", linewidth=0.8)
    labels = [f"{name}\nP = {100 * p:.0f} %" for name, p in table["p_target_met"].items()]
    ax.set_xticks(positions, labels, rotation=20)
    plotting.yuan_axis(ax, _("plot.compare.axis", year=comparison.target_year))
    ax.set_title(_("plot.compare.title"))
    plotting.legend(ax)
    return figure


@plotting.in_plot_language
def county_chart(result: TargetTestResult, ax=None) -> Figure:
    """Each county's gap to the national level in the target year with its 80 % band,
    sorted, key counties in their own colour (a chart, not a map)."""
    table = result.counties.iloc[::-1]  # furthest behind at the top
    figure, ax = plotting.on(ax, size=(7, max(4.0, 0.12 * len(table) + 1)))
    rows = np.arange(len(table))
    key_colour, other_colour = plotting.PALETTE[1], plotting.PALETTE[0]
    for key, colour, label in (
        (True, key_colour, _("report.county.key_county")),
        (False, other_colour, _("report.county.county")),
    ):
        mine = (table["key_county"] == key).to_numpy()
        if not mine.any():
            continue
        gap = table["gap_mean"].to_numpy()[mine]
        ax.errorbar(
            gap,
            rows[mine],
            xerr=[
                gap - table["gap_lower_80"].to_numpy()[mine],
                table["gap_upper_80"].to_numpy()[mine] - gap,
            ],
            fmt="o",
            markersize=3,
            color=colour,
            elinewidth=0.8,
            label=label,
        )
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(rows, list(table.index), fontsize=5 if len(table) > 40 else 8)
    plotting.yuan_axis(ax, _("plot.counties.axis", year=result.target_year), axis="x")
    ax.set_title(_("plot.counties.title", name=result.name))
    ax.legend(loc="lower right", fontsize="small")
    return figure


def save_plots(result: TargetTestResult, out_dir: str | Path) -> list[Path]:
    """Write the figures of a target test as PNG into ``out_dir``; return their paths
    (``attribution.png`` only when the result has an attribution, ``counties.png`` when it
    has counties)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    draws = {
        "fan_chart": fan_chart,
        "composition": composition_chart,
        "attribution": attribution_chart,
        "cost": cost_chart,
    }
    if result.attribution is None:
        del draws["attribution"]
    if not result.counties.empty:
        draws["counties"] = county_chart
    paths = []
    for name, draw in draws.items():
        path = out / f"{name}.png"
        draw(result).savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    return paths

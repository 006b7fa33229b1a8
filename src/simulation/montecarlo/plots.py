"""Figures of a target test and of a comparison: fan chart against the national band (with
the ratio Yunnan/national below it), composition by source, attribution and cost.

Each function returns a ``matplotlib.figure.Figure`` built without pyplot (no global state, no
display backend needed); :func:`save_plots` writes them as PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from simulation.montecarlo.compare import Comparison
from simulation.montecarlo.target import TargetTestResult

_COLOURS = {"yunnan": "tab:red", "national": "tab:blue", "ratio": "tab:purple"}
_SOURCE_COLOURS = {
    "wage": "tab:blue",
    "operating": "tab:orange",
    "property": "tab:green",
    "transfer": "tab:purple",
}


def fan_chart(result: TargetTestResult, ax=None, ratio_ax=None) -> Figure:
    """Yunnan's simulated mean income with 80 %/95 % bands against the national band, the
    published values up to the as-of year with their yearly growth, and below it the ratio
    Yunnan/national with its bands against the target line at 1.

    Given ``ax`` (and optionally ``ratio_ax``), draws into them; otherwise builds a figure
    with both panels.
    """
    if ax is None:
        figure = Figure(figsize=(7.5, 7.5), layout="constrained")
        ax, ratio_ax = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    figure = ax.figure
    _levels_panel(result, ax, xlabel=ratio_ax is None)
    if ratio_ax is not None:
        ratio_chart(result, ratio_ax)
    return figure


def _levels_panel(result: TargetTestResult, ax, xlabel: bool = True) -> None:
    first_year = min(s.index.min() for s in result.observed.values() if len(s))
    for key, label in (("national", "national"), ("yunnan", "Yunnan")):
        published = result.observed[key]
        observed = published[published.index >= max(first_year, result.as_of - 3)]
        band = result.paths[key]
        colour = _COLOURS[key]
        projected = "forecast" if key == "national" else "simulated"
        _fan(ax, band, colour, f"{label} ({projected})", _last(observed))
        ax.plot(
            observed.index,
            observed.to_numpy(),
            "o:",
            color=colour,
            markersize=5,
            label=f"{label} (published)",
        )
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
        f"{result.name}: P(Yunnan > national in {result.target_year}) = "
        f"{100 * result.p_target_met:.0f} %\n"
        f"national projected with the {result.model} model; bands 80 % and 95 %; "
        "labels: published yearly growth",
        fontsize="medium",
    )
    if xlabel:
        ax.set_xlabel("year")
    ax.set_ylabel("per-capita net income (yuan)")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.legend(loc="upper left", fontsize="small")
    ax.xaxis.get_major_locator().set_params(integer=True)


def ratio_chart(result: TargetTestResult, ax=None) -> Figure:
    """The ratio Yunnan/national by year: published, then simulated with 80 %/95 % bands,
    against the target line at 1."""
    figure, ax = _axes(ax)
    yunnan, national = result.observed["yunnan"], result.observed["national"]
    both = yunnan.index.intersection(national.index)
    observed = (yunnan[both] / national[both]).sort_index()
    _fan(
        ax,
        result.paths["ratio"],
        _COLOURS["ratio"],
        "Yunnan / national (projected)",
        _last(observed),
    )
    if len(observed):
        ax.plot(
            observed.index,
            observed.to_numpy(),
            "o:",
            color=_COLOURS["ratio"],
            markersize=5,
            label="Yunnan / national (published)",
        )
    ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label="target: ratio above 1")
    ax.set_xlabel("year")
    ax.set_ylabel("Yunnan / national")
    ax.legend(loc="upper left", fontsize="small")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return figure


def _last(series: pd.Series) -> tuple[int, float] | None:
    return None if series.empty else (int(series.index[-1]), float(series.iloc[-1]))


def _fan(ax, band: pd.DataFrame, colour: str, label: str, start: tuple[int, float] | None):
    """Mean line and 80 %/95 % bands of ``band`` (years x columns), joined to the last
    published point ``start`` (year, value) so the projection visibly continues it."""
    years, head = list(band.index), []
    if start is not None and start[0] < years[0]:
        years, head = [start[0], *years], [start[1]]
    for low, high, alpha in (("lower_95", "upper_95", 0.15), ("lower_80", "upper_80", 0.3)):
        ax.fill_between(
            years,
            [*head, *band[low]],
            [*head, *band[high]],
            color=colour,
            alpha=alpha,
            linewidth=0,
        )
    ax.plot(years, [*head, *band["mean"]], color=colour, label=label)


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
            "" if span == 1 else f"/yr since {int(previous)}"
        )
    return labels


def composition_chart(result: TargetTestResult, ax=None) -> Figure:
    """Mean per-capita income by source and simulated year (stacked bars)."""
    figure, ax = _axes(ax)
    composition = result.composition
    bottom = None
    for source, colour in _SOURCE_COLOURS.items():
        values = composition[source]
        ax.bar(composition.index, values, bottom=bottom, color=colour, label=source)
        bottom = values if bottom is None else bottom + values
    ax.set_title(f"{result.name}: income by source (mean over replications)")
    ax.set_xlabel("year")
    ax.set_ylabel("yuan per person")
    ax.set_xticks(list(composition.index))
    ax.legend(loc="upper left")
    return figure


def attribution_chart(result: TargetTestResult, ax=None) -> Figure:
    """Shapley contribution of each measure to the target year's income, with 95 % bands,
    split by income source."""
    figure, ax = _axes(ax, size=(8, 5))
    table = result.attribution
    if table is None:
        ax.text(0.5, 0.5, "no attribution computed", ha="center", va="center")
        return figure
    measures = table.drop(index="total").iloc[::-1]
    # Gains stack rightwards from zero, losses (a transfer that tapers off) leftwards.
    right, left = 0.0, 0.0
    for source, colour in _SOURCE_COLOURS.items():
        gains, losses = measures[source].clip(lower=0), measures[source].clip(upper=0)
        ax.barh(measures.index, gains, left=right, color=colour, label=source)
        ax.barh(measures.index, losses, left=left, color=colour)
        right, left = right + gains, left + losses
    ax.errorbar(
        measures["mean"],
        measures.index,
        xerr=[measures["mean"] - measures["lower_95"], measures["upper_95"] - measures["mean"]],
        fmt="k.",
        capsize=3,
        label="total, 95 % band",
    )
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_title(
        f"{result.name}: what carries the {result.target_year} gain "
        f"(Shapley, {result.attribution_replications} replications)"
    )
    ax.set_xlabel("yuan per person over all measures off")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def cost_chart(result: TargetTestResult, ax=None) -> Figure:
    """Mean cost per measure and year (stacked bars, billions of yuan)."""
    figure, ax = _axes(ax, size=(8, 4.5))
    cost = result.cost_by_measure["mean"].drop(index="total").unstack("measure") / 1e9
    cost = cost.loc[:, cost.sum().sort_values(ascending=False).index]
    colours = colormaps["tab20"].colors
    bottom = None
    for i, measure in enumerate(cost.columns):
        ax.bar(
            cost.index, cost[measure], bottom=bottom, label=measure, color=colours[i % len(colours)]
        )
        bottom = cost[measure] if bottom is None else bottom + cost[measure]
    ax.set_title(f"{result.name}: cost by measure")
    ax.set_xlabel("year")
    ax.set_ylabel("bn yuan")
    ax.set_xticks(list(cost.index))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="x-small")
    return figure


def comparison_chart(comparison: Comparison, ax=None) -> Figure:
    """Probability of meeting the target and expected gap with its 80 % band, per scenario."""
    figure, ax = _axes(ax, size=(8, 4.5))
    table = comparison.table
    positions = range(len(table))
    gap = table["gap_mean"]
    ax.bar(positions, gap, color=["tab:green" if g > 0 else "tab:red" for g in gap], alpha=0.7)
    ax.errorbar(
        positions,
        gap,
        yerr=[gap - table["gap_lower_80"], table["gap_upper_80"] - gap],
        fmt="none",
        ecolor="k",
        capsize=4,
    )
    ax.axhline(0, color="grey", linewidth=0.8)
    labels = [f"{name}\nP = {100 * p:.0f} %" for name, p in table["p_target_met"].items()]
    ax.set_xticks(list(positions), labels, rotation=20)
    ax.set_ylabel(f"gap to national in {comparison.target_year} (yuan per person)")
    ax.set_title("Measure mixes compared (common random numbers, 80 % bands)")
    return figure


def county_chart(result: TargetTestResult, ax=None) -> Figure:
    """Each county's gap to the national level in the target year with its 80 % band,
    sorted, key counties in their own colour (a chart, not a map)."""
    table = result.counties.iloc[::-1]  # furthest behind at the top
    figure, ax = _axes(ax, size=(7, max(4.0, 0.12 * len(table) + 1)))
    rows = np.arange(len(table))
    for key, colour, label in ((True, "tab:orange", "key county"), (False, "tab:blue", "county")):
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
    ax.set_xlabel(f"gap to the national level in {result.target_year} (yuan per person)")
    ax.set_title(f"{result.name}: counties (80 % bands)")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def save_plots(result: TargetTestResult, out_dir: str | Path) -> list[Path]:
    """Write the figures of a target test as PNG into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in (
        ("fan_chart", fan_chart),
        ("composition", composition_chart),
        ("attribution", attribution_chart),
        ("cost", cost_chart),
        ("counties", county_chart),
    ):
        if name == "counties" and result.counties.empty:
            continue
        path = out / f"{name}.png"
        draw(result).savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    return paths


def _axes(ax, size=(7, 4.5)):
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()

"""Figures of the household panel, the income forecasts and the risk model (notebooks 01-03).

Each function takes what the package computes (weighted means, backtest tables, forecasts,
risk metrics) and returns a ``matplotlib.figure.Figure`` in the house style
(:mod:`forecast.plotting`), its words in the language in force (``locales/plots.yaml``);
nothing is computed here that the tables do not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from forecast import plotting
from forecast.i18n import gettext as _
from forecast.i18n import source_name

SOURCES = tuple(plotting.SOURCES)

# --- 01 · the panel ----------------------------------------------------------------------------


@plotting.in_plot_language
def income_chart(means: pd.DataFrame, published: pd.Series) -> Figure:
    """The panel's weighted mean per-capita net income by year against the published one."""
    figure, ax = plotting.figure()
    colour = plotting.SIDES["yunnan"]
    ax.plot(
        means.index,
        means["net_income_per_capita"],
        marker="o",
        color=colour,
        label=_("plot.fig.synthetic_mean"),
    )
    ax.plot(
        published.index,
        published.to_numpy(),
        "s",
        markersize=8,
        color=plotting.PALETTE[7],
        label=_("plot.fig.published_yunnan"),
    )
    ax.set_title(_("plot.fig.income_title"))
    plotting.year_axis(ax)
    plotting.yuan_axis(ax, _("plot.fig.yuan_per_year"))
    plotting.legend(ax, loc="upper left")
    return figure


@plotting.in_plot_language
def quantile_chart(quantiles: pd.DataFrame) -> Figure:
    """Per-capita net income quantiles by year (columns ``p10``, ``p25``, ...)."""
    figure, ax = plotting.figure()
    for column, colour in zip(
        quantiles.columns, plotting.colours(len(quantiles.columns)), strict=True
    ):
        ax.plot(
            quantiles.index,
            quantiles[column],
            marker=".",
            color=colour,
            label=_("plot.fig.percentile", p=column.removeprefix("p")),
        )
    ax.set_title(_("plot.fig.quantile_title"))
    plotting.year_axis(ax)
    plotting.yuan_axis(ax, _("plot.fig.yuan_per_year"))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize="small", loc="upper left")
    return figure


@plotting.in_plot_language
def source_chart(means: pd.DataFrame) -> Figure:
    """Mean per-capita income by source and year, stacked (total on top)."""
    figure, ax = plotting.figure()
    names = {s: source_name(s) for s in SOURCES}
    colours = {names[s]: colour for s, colour in plotting.SOURCES.items()}
    plotting.stacked_bars(ax, means[list(SOURCES)].rename(columns=names), colours)
    ax.set_title(_("plot.fig.source_title"))
    plotting.year_axis(ax)
    ax.set_xticks(list(means.index))
    plotting.yuan_axis(ax, _("plot.fig.yuan_per_year"))
    return figure


@plotting.in_plot_language
def trajectories_chart(panel: pd.DataFrame, households: Sequence[str]) -> Figure:
    """Per-capita net income of a few households over the years (one line each)."""
    figure, ax = plotting.figure()
    sample = panel[panel["household_id"].isin(households)]
    wide = sample.pivot(index="year", columns="household_id", values="net_income_per_capita")
    for household in wide.columns:
        ax.plot(wide.index, wide[household], alpha=0.8, linewidth=1)
    ax.set_title(_("plot.fig.trajectories_title", n=wide.shape[1]))
    plotting.year_axis(ax)
    plotting.yuan_axis(ax, _("plot.fig.yuan_per_year"))
    return figure


@plotting.in_plot_language
def under_line_chart(share: pd.Series) -> Figure:
    """Share of people under each year's monitoring line."""
    figure, ax = plotting.figure()
    ax.bar(share.index, share.to_numpy(), color=plotting.SIDES["yunnan"])
    for year, value in share.items():
        ax.annotate(
            f"{100 * value:.1f} %",
            (year, value),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
    ax.margins(y=0.1)
    ax.set_title(_("plot.fig.under_line_title"))
    plotting.year_axis(ax)
    ax.set_xticks(list(share.index))
    plotting.percent_axis(ax, _("plot.fig.share_of_people"))
    return figure


# --- 02 · forecasts ----------------------------------------------------------------------------


@plotting.in_plot_language
def coverage_chart(results: pd.DataFrame) -> Figure:
    """Share of the scored period's incomes inside each model's 80 % and 95 % intervals, by
    scored period (a backtest table of :func:`forecast.backtesting.backtest`)."""
    figure, axes = plotting.figure((11, 3.8), columns=2, sharex=True)
    models = list(dict.fromkeys(results["model"]))
    colour_of = dict(zip(models, plotting.colours(len(models)), strict=True))
    for ax, level in zip(axes, (80, 95), strict=True):
        table = results.pivot(index="period", columns="model", values=f"coverage_{level}")
        for model in models:
            ax.plot(table.index, table[model], marker="o", color=colour_of[model], label=model)
        ax.axhline(
            level / 100, color="grey", linestyle="--", label=_("plot.fig.nominal", level=level)
        )
        ax.set_title(_("plot.fig.coverage_title", level=level))
        plotting.year_axis(ax, label=_("plot.fig.year_forecast"))
        plotting.percent_axis(ax, _("plot.fig.households_covered"))
        plotting.legend(ax, loc="lower left")
    return figure


@plotting.in_plot_language
def household_fans(
    panel: pd.DataFrame, forecasts: pd.DataFrame, households: Sequence[str], title: str
) -> Figure:
    """Each household's observed incomes and its forecast with 80 %/95 % bands."""
    figure, axes = plotting.figure((14, 3.6), columns=len(households), sharey=True)
    axes = list(axes) if len(households) > 1 else [axes]
    colour = plotting.SIDES["yunnan"]
    for ax, household in zip(axes, households, strict=True):
        past = panel[panel["household_id"] == household]
        future = forecasts[forecasts["household_id"] == household]
        ax.plot(
            past["year"],
            past["net_income_per_capita"],
            "o-",
            color="k",
            label=_("plot.fig.observed"),
        )
        plotting.fan(
            ax,
            future["year"],
            future["mean"],
            {level: (future[f"lower_{level}"], future[f"upper_{level}"]) for level in (80, 95)},
            colour,
            _("plot.fig.forecast"),
        )
        ax.set_title(household)
        plotting.year_axis(ax)
    plotting.yuan_axis(axes[0], _("plot.fig.net_income_per_person"))
    plotting.legend(axes[0], loc="upper left", fontsize="x-small")
    figure.suptitle(title)
    return figure


@plotting.in_plot_language
def trajectories_to(
    observed: Mapping[str, pd.Series], forecasts: Mapping[str, pd.DataFrame], title: str
) -> Figure:
    """Published series (label -> values) and their forecasts (label -> table with ``mean``
    and bands), each in its own colour, its bands labelled."""
    figure, ax = plotting.figure()
    for (label, values), colour in zip(
        observed.items(), plotting.colours(len(observed)), strict=True
    ):
        table = forecasts[label]
        plotting.published_points(ax, values.index, values.to_numpy(), colour, label)
        start = (values.index[-1], float(values.iloc[-1]))
        years = [start[0], *table.index]
        plotting.fan(
            ax,
            years,
            [start[1], *table["mean"]],
            {
                level: (
                    [start[1], *table[f"lower_{level}"]],
                    [start[1], *table[f"upper_{level}"]],
                )
                for level in (80, 95)
            },
            colour,
            _("plot.fig.label_forecast", label=label),
        )
    ax.set_title(title)
    plotting.year_axis(ax)
    plotting.yuan_axis(ax, _("plot.fig.net_income_per_person"))
    plotting.legend(ax, loc="upper left", fontsize="x-small")
    return figure


@plotting.in_plot_language
def target_errors_chart(
    cases: pd.DataFrame, series: Sequence[str], models: Sequence[str], horizons=(1, 2)
) -> Figure:
    """Each target model's relative error by the year forecast, per series and horizon (a
    table of :func:`forecast.targets.backtest_targets`)."""
    figure, axes = plotting.figure(
        (12, 6.5),
        rows=len(horizons),
        columns=len(series),
        squeeze=False,
        sharex=True,
        sharey="row",
    )
    colour_of = dict(zip(models, plotting.colours(len(models)), strict=True))
    for row, horizon in enumerate(horizons):
        for column, name in enumerate(series):
            ax = axes[row][column]
            some = cases[(cases["series"] == name) & (cases["horizon"] == horizon)]
            errors = some.pivot(index="year", columns="model", values="error")
            for model in models:
                if model in errors:
                    ax.plot(
                        errors.index,
                        errors[model],
                        marker="o",
                        color=colour_of[model],
                        label=model,
                    )
            ax.axhline(0, color="grey", linewidth=0.8)
            ahead = "plot.fig.ahead" + ("" if horizon > 1 else "_one")
            ax.set_title(_(ahead, name=name, horizon=horizon))
            last_row = row == len(horizons) - 1
            plotting.year_axis(ax, label=_("plot.fig.year_forecast") if last_row else None)
            plotting.percent_axis(ax, _("plot.fig.relative_error") if column == 0 else "")
    plotting.legend(axes[0][0], title=_("plot.fig.model"))
    return figure


# --- 03 · risk ---------------------------------------------------------------------------------


@plotting.in_plot_language
def risk_quality_chart(metrics: Mapping, evaluate_year: int) -> Figure:
    """Calibration (predicted against observed share under the line) and capacity (share of
    at-risk households found against share visited) of each model in ``metrics`` (from
    :func:`forecast.risk.train_risk_model`)."""
    figure, (calibration, capacity) = plotting.figure((11, 4.5), columns=2)
    kinds = list(dict.fromkeys(metrics["calibration"]["model"]))
    colour_of = dict(zip(kinds, plotting.colours(len(kinds)), strict=True))
    for kind, table in metrics["calibration"].groupby("model", sort=False):
        calibration.plot(
            table["mean_probability"],
            table["observed_rate"],
            marker="o",
            color=colour_of[kind],
            label=kind,
        )
    calibration.plot([0, 1], [0, 1], color="grey", linestyle=":", label=_("plot.fig.perfect"))
    calibration.set_title(_("plot.fig.calibration_title", year=evaluate_year))
    plotting.percent_axis(calibration, _("plot.fig.predicted"), axis="x")
    plotting.percent_axis(calibration, _("plot.fig.observed_share"))
    for kind, table in metrics["capacity"].groupby("model", sort=False):
        capacity.plot(table["share_visited"], table["recall"], color=colour_of[kind], label=kind)
    for share in (0.05, 0.10):
        capacity.axvline(share, color="grey", linestyle=":")
    capacity.set_title(_("plot.fig.capacity_title"))
    plotting.percent_axis(capacity, _("plot.fig.visited"), axis="x")
    plotting.percent_axis(capacity, _("plot.fig.found"))
    for ax in (calibration, capacity):
        plotting.legend(ax, loc="lower right")
    return figure


__all__ = [
    "coverage_chart",
    "household_fans",
    "income_chart",
    "quantile_chart",
    "risk_quality_chart",
    "source_chart",
    "target_errors_chart",
    "trajectories_chart",
    "trajectories_to",
    "under_line_chart",
]

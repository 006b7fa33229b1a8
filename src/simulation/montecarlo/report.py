"""The Monte Carlo's results in plain language: target test, comparison, validation, backtest.

Each function reads a plain result (:class:`~.target.TargetTestResult`,
:class:`~.compare.Comparison`, :class:`~.validation.Validation`, the backtest table) and
returns text; no figure is typed in. ``*_report`` gives the full account, ``*_conclusion`` a
few Markdown sentences for a notebook.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast.i18n import current_language
from forecast.i18n import gettext as _
from simulation.montecarlo.compare import Comparison
from simulation.montecarlo.target import REACH_WARNING, TargetTestResult
from simulation.montecarlo.validation import Validation, series_scores
from simulation.montecarlo.words import (
    billions,
    cost_change,
    count,
    few_replications_caveat,
    likelihood,
    measure_name,
    percent,
    points,
    ratio,
    reach_warning_lines,
    source_name,
    standard_error,
    yuan,
)
from simulation.rules import SOURCES

# --- target test -----------------------------------------------------------------------------


def target_report(result: TargetTestResult) -> str:
    """The target test in plain language, every figure read from ``result``, in the
    language in force (:mod:`forecast.i18n`)."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    yunnan = result.paths["yunnan"].loc[year]
    national = result.paths["national"].loc[year]
    size = (
        _("report.target.households", n=result.households)
        if result.households
        else _("report.target.the_population")
    )
    lines = [
        _(
            "report.target.run",
            name=result.name,
            replications=result.replications,
            size=size,
            seed=result.seed,
            as_of=result.as_of,
            ran_on=result.ran_on,
            seconds=result.elapsed_seconds,
        ),
        "",
        _(
            "report.target.probability",
            year=year,
            p=percent(result.p_target_met),
            se=100 * result.p_target_met_std_error,
        ),
        *_caveat_lines(result.replications, "the"),
        *_assumption_lines(result),
        _(
            "report.target.levels",
            year=year,
            yunnan=yuan(yunnan["mean"]),
            yunnan_lo=yuan(yunnan["lower_80"]),
            yunnan_hi=yuan(yunnan["upper_80"]),
            national=yuan(national["mean"]),
            national_lo=yuan(national["lower_80"]),
            national_hi=yuan(national["upper_80"]),
        ),
        _(
            "report.target.gap",
            year=year,
            gap=yuan(gap["mean"], signed=True),
            lo80=yuan(gap["lower_80"], True),
            hi80=yuan(gap["upper_80"], True),
            lo95=yuan(gap["lower_95"], True),
            hi95=yuan(gap["upper_95"], True),
        ),
        _crossing_sentence(result),
        "",
        *_by_year_lines(result),
        _correlation_sentence(result),
        "",
        _("report.target.monitoring"),
    ]
    for y, row in result.monitoring.iterrows():
        lines.append(
            _(
                "report.target.monitoring_year",
                year=y,
                under=percent(row["share_people_under_line_mean"], 1),
                newly=yuan(row["households_newly_under_line"]),
                detected=percent(row["share_newly_under_detected"]),
                months=row["mean_detection_delay_months"],
            )
        )
    lines += ["", _("report.target.cost")]
    totals = result.cost_by_measure.loc["total"]
    lines.append(
        "  "
        + _("report.list_separator").join(
            _("report.year_value", year=y, value=billions(v)) for y, v in totals["mean"].items()
        )
        + _("report.target.cost_all_years", cost=billions(result.total_cost))
    )
    lines += _reach_lines(result)
    lines += _institution_lines(result)
    lines += _attribution_lines(result)
    lines += _county_lines(result)
    return "\n".join(lines)


def _institution_lines(result: TargetTestResult) -> list[str]:
    """Counties' funds and what they could not pay; villages meeting the collective goal."""
    table = result.institutions
    if table.empty:
        return []
    lines = ["", _("report.institutions.heading")]
    for y, row in table.iterrows():
        words = []
        if pd.notna(row.get("funds_yuan", np.nan)):
            words.append(
                _(
                    "report.institutions.funds",
                    funds=billions(row["funds_yuan"]),
                    unspent=billions(row["unspent_yuan"]),
                    unfunded=billions(row["unfunded_yuan"]),
                )
            )
        goal = row.get("share_villages_collective_goal", np.nan)
        if pd.notna(goal):
            words.append(_("report.institutions.villages_at_goal", share=percent(goal)))
        struck = row.get("households_link_struck", 0.0)
        if struck:
            words.append(_("report.institutions.households_struck", households=yuan(struck)))
        if words:
            lines.append(
                _("report.institutions.year", year=y, words=_("report.list_separator").join(words))
            )
    return lines


def _county_lines(result: TargetTestResult, shown: int = 5) -> list[str]:
    """The key-county groups and the counties furthest behind in the target year."""
    counties, groups = result.counties, result.county_groups
    if counties.empty:
        return []
    year = result.target_year
    lines = ["", _("report.county.heading", year=year)]
    for name, row in groups.iterrows():
        lines.append(
            _(
                "report.county.group",
                name=_(f"report.county.{name.replace(' ', '_')}"),
                mean=yuan(row["mean"]),
                gap=yuan(row["gap_mean"], signed=True),
                lo=yuan(row["gap_lower_80"], True),
                hi=yuan(row["gap_upper_80"], True),
                under=percent(row["share_under_line"], 1),
            )
        )
    behind = counties.head(shown)
    lines.append(_("report.county.behind", shown=len(behind), of=len(counties)))
    for code, row in behind.iterrows():
        kind = _("report.county.key_county" if row["key_county"] else "report.county.county")
        lines.append(
            _(
                "report.county.one",
                code=code,
                kind=kind,
                mean=yuan(row["mean"]),
                gap=yuan(row["gap_mean"], signed=True),
                above=percent(row["p_above_national"]),
                under=percent(row["share_under_line"], 1),
            )
        )
    return lines


def _caveat_lines(replications: int, what: str) -> list[str]:
    caveat = few_replications_caveat(replications, what)
    return [] if caveat is None else [caveat]


def _reach_lines(result: TargetTestResult) -> list[str]:
    """Levers that reached under 95 % of the scale they asked, and why."""
    if result.reach.empty:
        return []
    warnings = reach_warning_lines(result)
    if not warnings:
        return ["", _("report.reach.all", share=percent(REACH_WARNING))]
    return [
        "",
        _("report.reach.heading", share=percent(REACH_WARNING)),
        *(f"  {line}" for line in warnings),
    ]


def _assumption_lines(result: TargetTestResult) -> list[str]:
    """Which model projects the national level and why, the answer under each alternative
    trend assumption, and the assumption the answer hinges on."""
    table = result.by_assumption
    macro = result.macro
    if macro is None or table.empty:
        return []
    chosen = table.loc[result.model]
    lines = [
        _(
            "report.assumption.model",
            model=result.model,
            description=chosen["description"],
            as_of=result.as_of,
            rule=macro.choice_rule,
        ),
    ]
    others = table[~table["chosen"]]
    if others.empty:
        return lines
    lines.append(_("report.assumption.others"))
    for _name, row in others.iterrows():
        lines.append("  " + assumption_sentence(row))
    hinge = result.hinge
    if hinge is not None:
        row = table.loc[hinge]
        delta = row["p_target_met"] - result.p_target_met
        moved = points(delta)
        gap_moves = yuan(row["gap_mean"] - chosen["gap_mean"], True)
        if round(100 * delta):
            lines.append(
                _(
                    "report.assumption.hinge",
                    hinge=hinge,
                    description=row["description"],
                    moved=moved,
                    p=percent(result.p_target_met),
                    p_hinge=percent(row["p_target_met"]),
                    gap_moves=gap_moves,
                )
            )
        else:
            lines.append(
                _(
                    "report.assumption.no_hinge",
                    hinge=hinge,
                    p=percent(result.p_target_met),
                    gap_moves=gap_moves,
                )
            )
    return lines


def assumption_sentence(row: pd.Series) -> str:
    """One trend assumption's answer: ``If <description>: P = 63 % (± 3.4 points), gap +312
    yuan.`` (``row`` is a row of :attr:`~.target.TargetTestResult.by_assumption`)."""
    return _(
        "report.assumption.one",
        description=row["description"],
        p=percent(row["p_target_met"]),
        se=100 * row["std_error"],
        gap=yuan(row["gap_mean"], True),
    )


def _by_year_lines(result: TargetTestResult) -> list[str]:
    """Per simulated year: both levels and their ratio, each with its 80 % band."""
    lines = [_("report.by_year.heading")]
    paths = result.paths
    for y in result.years:
        yunnan, national = paths["yunnan"].loc[y], paths["national"].loc[y]
        lines.append(
            _(
                "report.by_year.one",
                year=y,
                yunnan=yuan(yunnan["mean"]),
                yunnan_lo=yuan(yunnan["lower_80"]),
                yunnan_hi=yuan(yunnan["upper_80"]),
                national=yuan(national["mean"]),
                national_lo=yuan(national["lower_80"]),
                national_hi=yuan(national["upper_80"]),
                ratio=_ratio_words(paths["ratio"].loc[y]),
            )
        )
    return lines


def _ratio_words(band: pd.Series) -> str:
    return _(
        "report.ratio_band",
        mean=ratio(band["mean"]),
        lo=ratio(band["lower_80"]),
        hi=ratio(band["upper_80"]),
    )


def _correlation_sentence(result: TargetTestResult) -> str:
    """How much the shared rural economy moves both sides together, in words."""
    correlation = result.shared_shock_correlation
    year = result.target_year
    if not math.isfinite(correlation):
        return _("report.correlation.none", year=year)
    if correlation >= 0.5:
        words = _("report.correlation.together")
    elif correlation >= 0.2:
        words = _("report.correlation.partly")
    else:
        words = _("report.correlation.barely")
    common = result.common_growth
    drawn = (
        ""
        if common is None
        else _(
            "report.correlation.drawn",
            growth=_("report.list_comma").join(
                _(
                    "report.correlation.growth",
                    year=y,
                    mean=row["mean"],
                    lo=row["lower_80"],
                    hi=row["upper_80"],
                )
                for y, row in common.iterrows()
            ),
        )
    )
    return _(
        "report.correlation.sentence",
        year=year,
        words=words,
        correlation=correlation,
        drawn=drawn,
    )


def _crossing_sentence(result: TargetTestResult) -> str:
    """When Yunnan's mean first gets above the national level, and that the target counts
    only the target year (a replication can get above and fall back)."""
    crossing, year = result.crossing, result.target_year
    firsts = [
        _("report.year_value", year=y, value=percent(crossing[y]))
        for y in result.years
        if crossing[y] > 0
    ]
    if not firsts:
        return _("report.crossing.never", year=year)
    return _(
        "report.crossing.sentence",
        firsts=_("report.list_comma").join(firsts),
        year=year,
        never=percent(crossing["never"]),
        p=percent(result.p_target_met),
    )


def _attribution_lines(result: TargetTestResult) -> list[str]:
    table = result.attribution
    if table is None:
        return ["", _("report.attribution.none")]
    year = result.target_year
    lines = [
        "",
        _(
            "report.attribution.heading",
            year=year,
            replications=count(result.attribution_replications, "replication"),
        ),
    ]
    for measure, row in table.iterrows():
        per_yuan = row.get("gain_per_yuan", float("nan"))
        per_yuan_words = (
            _("report.attribution.per_yuan", per_yuan=per_yuan)
            if isinstance(per_yuan, float) and math.isfinite(per_yuan)
            else ""
        )
        lines.append(
            _(
                "report.attribution.one",
                measure=_("report.total") if measure == "total" else measure_name(measure),
                mean=yuan(row["mean"], True),
                lo=yuan(row["lower_95"], True),
                hi=yuan(row["upper_95"], True),
                share=percent(row["share_of_gain"]),
                per_yuan=per_yuan_words,
            )
        )
    total = table.loc["total"]
    sources = _("report.list_comma").join(
        _("report.source_value", source=source_name(s), value=yuan(total[s], True)) for s in SOURCES
    )
    lines.append(_("report.attribution.sources", sources=sources))
    return lines


def target_conclusion(result: TargetTestResult) -> str:
    """The conclusion of a target test in a few plain sentences (Markdown)."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    p = result.p_target_met
    sentences = [
        _(
            "report.conclusion.answer",
            name=result.name,
            likelihood=likelihood(p),
            p=percent(p),
            replications=result.replications,
            year=year,
        ),
        _(
            "report.conclusion.gap_above" if gap["mean"] > 0 else "report.conclusion.gap_below",
            gap=yuan(abs(gap["mean"])),
            lo=yuan(gap["lower_80"], True),
            hi=yuan(gap["upper_80"], True),
        ),
    ]
    table = result.attribution
    if table is not None and len(table) > 1:
        ranked = table.drop(index="total")
        top = ranked.index[0]
        sentences.append(
            _(
                "report.conclusion.top_measure",
                measure=measure_name(top),
                gain=yuan(ranked.loc[top, "mean"], True),
                year=year,
                share=percent(ranked.loc[top, "share_of_gain"]),
            )
        )
    sentences.append(
        _(
            "report.conclusion.cost",
            cost=billions(result.total_cost),
            first=result.years[0],
            last=result.years[-1],
        )
    )
    caveat = few_replications_caveat(result.replications, "this")
    if caveat is not None:
        sentences.append(caveat)
    return " ".join(sentences)


# --- comparison ----------------------------------------------------------------------------


def comparison_report(comparison: Comparison) -> str:
    """The comparison in plain language."""
    year = comparison.target_year
    table = comparison.table
    first = table.index[0]
    replications = comparison.results[0].replications
    with pd.option_context("display.unicode.east_asian_width", current_language() == "zh"):
        shown = comparison_table(comparison).to_string()
    lines = [
        _(
            "report.compare.run",
            scenarios=len(table),
            replications=replications,
            seed=comparison.results[0].seed,
            year=year,
        ),
        _("report.compare.legend"),
        *_caveat_lines(replications, "each"),
        "",
        shown,
        "",
    ]
    best = comparison.ranking().index[0]
    lines.append(
        _(
            "report.compare.best",
            year=year,
            best=best,
            p=percent(table.loc[best, "p_target_met"]),
        )
    )
    for name, row in table.iloc[1:].iterrows():
        lines.append(
            _(
                "report.compare.versus",
                name=name,
                first=first,
                gain=yuan(row["vs_first_mean"], True),
                year=year,
                lo=yuan(row["vs_first_lower_95"], True),
                hi=yuan(row["vs_first_upper_95"], True),
                cost=cost_change(row["cost_yuan"] - table.loc[first, "cost_yuan"]),
            )
        )
    if comparison.reference is not None:
        lines += ["", _("report.compare.baseline_heading", year=year)]
        for name, row in table.drop(index=comparison.reference.name).iterrows():
            lines.append(
                _(
                    "report.compare.against_baseline",
                    name=name,
                    gain=yuan(row["gain_vs_baseline"], True),
                    cost=cost_change(row["extra_cost_vs_baseline"]),
                    per_yuan=_per_extra_yuan(
                        row["gain_per_yuan_vs_baseline"], row["extra_cost_vs_baseline"]
                    ),
                )
            )
        lines.append(_("report.compare.baseline_note"))
    hinges = [line for result in comparison.results if (line := _hinge_line(result))]
    if hinges:
        lines += ["", _("report.compare.hinges"), *hinges]
    return "\n".join(lines)


def _per_extra_yuan(per_yuan: float, extra_cost: float) -> str:
    """Income over the years per yuan of cost against the baseline, in words that follow the
    sign of the cost: per extra yuan spent, or lost per yuan saved."""
    if not np.isfinite(per_yuan) or per_yuan == 0:
        return ""
    if extra_cost > 0:
        return _("report.compare.per_extra_yuan", per_yuan=per_yuan)
    if per_yuan > 0:  # less spent and less earned
        return _("report.compare.lost_per_yuan_saved", per_yuan=per_yuan)
    return _("report.compare.more_for_less")


def _hinge_line(result: TargetTestResult) -> str | None:
    """P of one scenario under its chosen national model and under its hinge assumption."""
    hinge = result.hinge
    if hinge is None:
        return None
    row = result.by_assumption.loc[hinge]
    return _(
        "report.compare.hinge",
        name=result.name,
        p=percent(result.p_target_met),
        model=result.model,
        p_hinge=percent(row["p_target_met"]),
        moved=points(row["p_target_met"] - result.p_target_met),
        hinge=hinge,
        description=row["description"],
    )


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """The comparison's table as a reader sees it: each figure written out in its unit
    (percent with its Monte Carlo standard error, yuan, bn yuan province-wide, ratio), its
    column names in the language in force (``comparison.table`` keeps the English ones)."""
    table = comparison.table
    replications = comparison.results[0].replications
    columns = {
        "p": [
            f"{percent(p)} ± {100 * standard_error(p, replications):.0f}"
            for p in table["p_target_met"]
        ],
        "gap": table["gap_mean"].map(lambda v: yuan(v, True)),
        "gap_80": [
            f"{yuan(lo, True)}..{yuan(hi, True)}"
            for lo, hi in zip(table["gap_lower_80"], table["gap_upper_80"], strict=True)
        ],
        "ratio": table["ratio_mean"].map(ratio),
        "cost": table["cost_yuan"].map(billions),
        "under_line": table["share_under_line"].map(lambda v: percent(v, 1)),
        "gain_per_yuan": table["gain_per_yuan"].map(
            lambda v: _("report.na") if not np.isfinite(v) else f"{v:.2f}"
        ),
    }
    return pd.DataFrame(
        {_(f"report.compare.column.{name}"): values for name, values in columns.items()},
        index=table.index,
    )


def comparison_conclusion(comparison: Comparison) -> str:
    """The comparison's conclusion in a few plain sentences (Markdown)."""
    year = comparison.target_year
    table = comparison.ranking()
    best, worst = table.index[0], table.index[-1]
    sentences = [
        _(
            "report.compare.conclusion",
            n=len(table),
            best=best,
            year=year,
            p_best=percent(table.loc[best, "p_target_met"]),
            likelihood=likelihood(table.loc[best, "p_target_met"]),
            worst=worst,
            p_worst=percent(table.loc[worst, "p_target_met"]),
        )
    ]
    per_yuan = comparison.table["gain_per_yuan"].dropna()
    if not per_yuan.empty:
        top = per_yuan.idxmax()
        sentences.append(_("report.compare.conclusion_per_yuan", top=top, per_yuan=per_yuan[top]))
    return " ".join(sentences)


# --- validation and backtest ---------------------------------------------------------------


def validation_report(validation: Validation) -> str:
    """The out-of-sample validation in plain language."""

    def inside(flag: bool, short: bool = False) -> str:
        return _(f"report.validate.{'in' if flag else 'out'}{'_short' if short else ''}")

    lines = [_("report.validate.heading"), ""]
    if not validation.simulation.empty:
        lines.append(_("report.validate.simulation"))
        for row in validation.simulation.itertuples():
            lines.append(
                _(
                    "report.validate.simulated",
                    scenario=f"{row.scenario:<12}",
                    side=f"{row.side:<8}",
                    origin=row.origin,
                    predicted=row.predicted,
                    lo=row.lower_80,
                    hi=row.upper_80,
                    year=row.year,
                    published=row.published,
                    error=row.error,
                    in_80=inside(row.in_80),
                    in_95=inside(row.in_95),
                )
            )
        lines.append("")
    lines.append(_("report.validate.series"))
    for row in validation.series.itertuples():
        lines.append(
            _(
                "report.validate.series_one",
                series=f"{row.series:<44}",
                origin=row.origin,
                year=row.year,
                model=row.model,
                error=row.error,
                in_80=inside(row.in_80, short=True),
                in_95=inside(row.in_95, short=True),
            )
        )
    scores = series_scores(validation.series)
    if not scores.empty:
        lines.append("")
        for horizon, row in scores.iterrows():
            lines.append(
                _(
                    "report.validate.horizon",
                    horizon=horizon,
                    n=int(row["n"]),
                    mape=row["mape"],
                    coverage_80=row["coverage_80"],
                    coverage_95=row["coverage_95"],
                )
            )
    return "\n".join(lines)


def backtest_report(table: pd.DataFrame) -> str:
    """The backtest in plain language, said to be in sample."""
    lines = []
    for name, row in table.iterrows():
        lines.append(
            _(
                "report.backtest.one",
                name=name,
                year=row["year"],
                simulated=row["simulated"],
                lo=row["lower_95"],
                hi=row["upper_95"],
                published=row["published"],
                error=row["error"],
                relative=100 * row["relative_error"],
                verdict=_(
                    "report.backtest.inside"
                    if row["published_in_band"]
                    else "report.backtest.outside"
                ),
                wage_share=100 * row["wage_share"],
            )
        )
    lines.append(_("report.backtest.in_sample"))
    return "\n".join(lines)


def backtest_conclusion(table: pd.DataFrame) -> str:
    """One sentence per scenario on whether the simulation reproduces the published figure."""
    sentences = []
    for name, row in table.iterrows():
        close = abs(row["relative_error"]) <= 0.02
        sentences.append(
            _(
                "report.backtest.reproduces" if close else "report.backtest.misses",
                as_of=int(row["year"]) - 1,
                name=name,
                year=int(row["year"]),
                published=row["published"],
                simulated=row["simulated"],
                relative=100 * row["relative_error"],
            )
        )
    sentences.append(_("report.backtest.in_sample"))
    return " ".join(sentences)


__all__ = [
    "assumption_sentence",
    "backtest_conclusion",
    "backtest_report",
    "comparison_conclusion",
    "comparison_report",
    "comparison_table",
    "target_conclusion",
    "target_report",
    "validation_report",
]


# -- conclusions in words, for the notebooks ------------------------------------------------


def assumption_sentences(result: TargetTestResult) -> list[str]:
    """The answer under each trend assumption, in words, from the result's numbers."""
    table, year = result.by_assumption, result.target_year
    if table.empty:
        return ["The national side was drawn under one model only; no alternative to compare."]
    chosen = table.loc[result.model]
    sentences = [
        f"The national side follows the **{result.model}** model ({chosen['description']}), "
        f"chosen by the rule: {result.macro.choice_rule}.",
        f"Under it, Yunnan ends {year} above the nation with probability "
        f"**{100 * chosen['p_target_met']:.0f} %** (Monte Carlo standard error "
        f"{100 * chosen['std_error']:.0f} points); the mean gap is {chosen['gap_mean']:,.0f} yuan and the "
        f"mean ratio {chosen['ratio_mean']:.3f}.",
    ]
    p = table["p_target_met"]
    noise = 2 * max(table["std_error"].max(), 1 / result.replications)
    if p.max() == p.min():
        sentences.append(
            f"The probability is the same, {100 * p.max():.0f} %, under all {len(table)} trend "
            f"assumptions: the answer does not depend on which national trend one believes."
        )
    elif p.max() - p.min() <= noise:
        sentences.append(
            f"Across the {len(table)} trend assumptions the probability stays between "
            f"{100 * p.min():.0f} % and {100 * p.max():.0f} %: within Monte Carlo noise, the "
            f"answer does not depend on which national trend one believes."
        )
    else:
        sentences.append(
            f"Across the {len(table)} trend assumptions the probability ranges from "
            f"{100 * p.min():.0f} % (**{p.idxmin()}**) to {100 * p.max():.0f} % "
            f"(**{p.idxmax()}**)."
        )
    gap = table["gap_mean"]
    sentences.append(
        f"The mean {year} gap ranges from {gap.min():+,.0f} yuan (**{gap.idxmin()}**) to "
        f"{gap.max():+,.0f} yuan (**{gap.idxmax()}**)."
    )
    if result.hinge is not None:
        hinge = table.loc[result.hinge]
        moved = hinge["p_target_met"] - chosen["p_target_met"]
        if abs(moved) > noise:
            sentences.append(
                f"The answer hinges most on **{result.hinge}** ({hinge['description']}): "
                f"there the probability is {100 * hinge['p_target_met']:.0f} %, "
                f"{100 * moved:+.0f} percentage points against the chosen model, with a mean "
                f"national level of {hinge['national_mean']:,.0f} yuan against "
                f"{chosen['national_mean']:,.0f}."
            )
        elif moved != 0:
            sentences.append(
                f"The largest departure from the chosen model, under **{result.hinge}**, is "
                f"{100 * moved:+.0f} percentage points: within Monte Carlo noise."
            )
    if (p > 0.5).all():
        sentences.append("Under every assumption the target is more likely met than missed.")
    elif (p < 0.5).all():
        sentences.append("Under every assumption the target is more likely missed than met.")
    else:
        met = ", ".join(p.index[p > 0.5]) or "none"
        sentences.append(
            f"The verdict flips with the assumption: more likely met than missed only under {met}."
        )
    r = result.shared_shock_correlation
    if pd.isna(r):
        sentences.append("Too few replications vary to estimate the shared-shock correlation.")
    elif r >= 0.2:
        sentences.append(
            f"Yunnan's and the nation's {year} incomes move together across replications "
            f"(correlation {r:.2f}): the shared rural shock lifts or sinks both sides, so much "
            f"of it cancels in the gap and the answer is surer than either level."
        )
    elif r > -0.2:
        sentences.append(
            f"Yunnan's and the nation's {year} incomes are barely correlated across "
            f"replications ({r:.2f}): each side's own noise and the measures' uncertainty "
            f"outweigh the shared rural shock."
        )
    else:
        sentences.append(
            f"Yunnan's and the nation's {year} incomes move against each other across "
            f"replications ({r:.2f}): the shared rural shock is outweighed by each side's own "
            f"noise and the measures' uncertainty."
        )
    caveat = few_replications_caveat(result.replications, "each")
    if caveat is not None:
        sentences.append(caveat)
    return sentences


def _simulated_row(validation: Validation, scenario: str, side: str):
    table = validation.simulation
    if table.empty:
        return None
    rows = table[(table["scenario"] == scenario) & (table["side"] == side)]
    return None if rows.empty else rows.iloc[0]


def validation_sentences(validation: Validation) -> list[str]:
    """The validation's verdict in words, from its numbers."""
    sentences = []
    base = _simulated_row(validation, "baseline", "yunnan")
    if base is None:
        sentences.append("Yunnan's year after the origin is not published yet: nothing to score.")
    else:
        close, inside = abs(base["error"]) <= 0.03, bool(base["in_80"])
        sentences.append(
            f"From {base['origin']}, with nothing published later, the **baseline** predicts "
            f"Yunnan's {base['year']} mean at {base['predicted']:,.0f} yuan (80 % band "
            f"{base['lower_80']:,.0f}-{base['upper_80']:,.0f}) against the published "
            f"{base['published']:,.0f}: an error of {100 * base['error']:+.1f} %, "
            f"{'within' if close else 'beyond'} 3 %, and the published value lies "
            f"{'inside' if inside else 'outside'} the 80 % band."
        )
        if close and inside:
            sentences.append("The baseline passes the out-of-sample check.")
        elif close:
            sentences.append(
                "The error is small but the band misses the published value: the band is "
                "too narrow for this one prediction."
            )
        elif inside:
            sentences.append(
                "The band covers the published value but the error exceeds 3 %: the band "
                "is wide rather than the prediction close."
            )
        else:
            sentences.append("The baseline fails the out-of-sample check.")
        national = _simulated_row(validation, "baseline", "national")
        if national is not None:
            sentences.append(
                f"The national draw predicts {national['predicted']:,.0f} yuan against the "
                f"published {national['published']:,.0f} ({100 * national['error']:+.1f} %, "
                f"{'inside' if national['in_80'] else 'outside'} its 80 % band)."
            )
        plan = _simulated_row(validation, "action_plan", "yunnan")
        if plan is not None:
            above = plan["predicted"] - base["predicted"]
            sentences.append(
                f"The **action plan** predicts {plan['predicted']:,.0f} yuan "
                f"({100 * plan['error']:+.1f} %, {'inside' if plan['in_80'] else 'outside'} its 80 % "
                f"band), {abs(above):,.0f} yuan {'above' if above >= 0 else 'below'} the "
                f"baseline"
                + (
                    "; its first year overshoots the published figure (why: below)."
                    if plan["error"] > 0.03
                    else "."
                )
            )
    scores = series_scores(validation.series)
    for horizon, row in scores.iterrows():
        n = int(row["n"])
        tolerance = 2 * (0.8 * 0.2 / n) ** 0.5
        if row["coverage_80"] < 0.8 - tolerance:
            verdict = "fewer than an 80 % band should: the bands are too narrow"
        elif row["coverage_80"] > 0.8 + tolerance:
            verdict = "more than an 80 % band should: the bands are wider than needed"
        else:
            verdict = f"as often as an 80 % band should, given {n} predictions"
        sentences.append(
            f"Over {n} predictions of the published series {horizon} year"
            f"{'s' if horizon > 1 else ''} after their origin, the mean absolute error is "
            f"{100 * row['mape']:.1f} %; the published value falls inside the 80 % band in "
            f"{100 * row['coverage_80']:.0f} % of them — {verdict} — and inside the 95 % band in "
            f"{100 * row['coverage_95']:.0f} %."
        )
    if validation.replications < 30:
        sentences.append(
            f"The simulation's bands come from {validation.replications} replications only; "
            f"rerun with more before reading them."
        )
    return sentences

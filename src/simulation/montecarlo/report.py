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

from simulation.montecarlo.compare import Comparison
from simulation.montecarlo.target import REACH_WARNING, TargetTestResult
from simulation.montecarlo.validation import Validation, series_scores
from simulation.montecarlo.words import (
    billions,
    cost_change,
    count,
    few_replications_caveat,
    likelihood,
    percent,
    points,
    ratio,
    reach_warning_lines,
    standard_error,
    yuan,
)
from simulation.rules import SOURCES

# --- target test -----------------------------------------------------------------------------


def target_report(result: TargetTestResult) -> str:
    """The target test in plain language, every figure read from ``result``."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    yunnan = result.paths["yunnan"].loc[year]
    national = result.paths["national"].loc[year]
    size = f"{result.households:,} households" if result.households else "the population"
    lines = [
        f"Scenario {result.name}: {result.replications:,} replications of {size} "
        f"(seed {result.seed}), as of {result.as_of}, run on {result.ran_on} "
        f"in {result.elapsed_seconds:,.0f} s.",
        "",
        f"Probability that the poverty-alleviated population of Yunnan ends {year} above the "
        f"national level of the same population: {percent(result.p_target_met)} "
        f"(Monte Carlo standard error {100 * result.p_target_met_std_error:.1f} points).",
        *_caveat_lines(result.replications, "the probability"),
        *_assumption_lines(result),
        f"{year} per-capita net income: Yunnan {yuan(yunnan['mean'])} yuan "
        f"(80 % band {yuan(yunnan['lower_80'])} to {yuan(yunnan['upper_80'])}), "
        f"national {yuan(national['mean'])} yuan "
        f"(80 % band {yuan(national['lower_80'])} to {yuan(national['upper_80'])}).",
        f"Expected gap in {year}: {yuan(gap['mean'], signed=True)} yuan per person "
        f"(80 % band {yuan(gap['lower_80'], True)} to {yuan(gap['upper_80'], True)}; "
        f"95 % band {yuan(gap['lower_95'], True)} to {yuan(gap['upper_95'], True)}).",
        _crossing_sentence(result),
        "",
        *_by_year_lines(result),
        _correlation_sentence(result),
        "",
        "Monitoring (防止返贫监测):",
    ]
    for y, row in result.monitoring.iterrows():
        lines.append(
            f"  {y}: {percent(row['share_people_under_line_mean'], 1)} of people under the "
            f"line; {yuan(row['households_newly_under_line'])} households newly under it, "
            f"{percent(row['share_newly_under_detected'])} of them detected, after "
            f"{row['mean_detection_delay_months']:.1f} months on average."
        )
    lines += ["", "Cost of the measures, province-wide (every household the sample stands for):"]
    totals = result.cost_by_measure.loc["total"]
    lines.append(
        "  "
        + "; ".join(f"{y}: {billions(v)}" for y, v in totals["mean"].items())
        + f"; all years: {billions(result.total_cost)}."
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
    lines = ["", "Institutions (county funds, village collective economies, market links):"]
    for y, row in table.iterrows():
        words = []
        if pd.notna(row.get("funds_yuan", np.nan)):
            words.append(
                f"funds {billions(row['funds_yuan'])}, unspent {billions(row['unspent_yuan'])}, "
                f"asked but unfunded {billions(row['unfunded_yuan'])}"
            )
        goal = row.get("share_villages_collective_goal", np.nan)
        if pd.notna(goal):
            words.append(f"{percent(goal)} of villages at the 100,000-yuan collective goal")
        struck = row.get("households_link_struck", 0.0)
        if struck:
            words.append(f"{yuan(struck)} households hit through a market entity")
        if words:
            lines.append(f"  {y}: " + "; ".join(words) + ".")
    return lines


def _county_lines(result: TargetTestResult, shown: int = 5) -> list[str]:
    """The key-county groups and the counties furthest behind in the target year."""
    counties, groups = result.counties, result.county_groups
    if counties.empty:
        return []
    year = result.target_year
    lines = ["", f"Counties in {year} (gap to the national level, 80 % band over replications):"]
    for name, row in groups.iterrows():
        lines.append(
            f"  {name}: {yuan(row['mean'])} yuan, gap {yuan(row['gap_mean'], signed=True)} "
            f"({yuan(row['gap_lower_80'], True)} to {yuan(row['gap_upper_80'], True)}), "
            f"{percent(row['share_under_line'], 1)} of people under the line."
        )
    behind = counties.head(shown)
    lines.append(f"  The {len(behind)} of {len(counties)} counties furthest behind:")
    for code, row in behind.iterrows():
        kind = "key county" if row["key_county"] else "county"
        lines.append(
            f"    {code} ({kind}): {yuan(row['mean'])} yuan, gap "
            f"{yuan(row['gap_mean'], signed=True)}, above the national level in "
            f"{percent(row['p_above_national'])} of replications, "
            f"{percent(row['share_under_line'], 1)} under the line."
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
        return [
            "",
            f"Reach: every lever reached at least {percent(REACH_WARNING)} of the scale it "
            "asked, every year (summary.json: reach).",
        ]
    return [
        "",
        f"WARNING: reach below {percent(REACH_WARNING)} of the asked scale (summary.json: reach):",
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
        f"The national level is projected with the {result.model} model "
        f"({chosen['description']}), chosen by the backtest of the published series up to "
        f"{result.as_of}: {macro.choice_rule}.",
    ]
    others = table[~table["chosen"]]
    if others.empty:
        return lines
    lines.append("The answer under the other trend assumptions of the national side:")
    for _, row in others.iterrows():
        lines.append("  " + assumption_sentence(row))
    hinge = result.hinge
    if hinge is not None:
        row = table.loc[hinge]
        moved = points(row["p_target_met"] - result.p_target_met)
        gap_moves = yuan(row["gap_mean"] - chosen["gap_mean"], True)
        if moved != "0 points":
            lines.append(
                f"The answer hinges most on the {hinge} assumption ({row['description']}): "
                f"under it P moves by {moved}, from {percent(result.p_target_met)} "
                f"to {percent(row['p_target_met'])}, and the expected gap by {gap_moves} yuan."
            )
        else:
            lines.append(
                "The answer does not hinge on the trend assumption: under each, P stays within "
                f"half a point of {percent(result.p_target_met)} (under {hinge}, the one that "
                f"moves it most, by 0 points; the expected gap moves by {gap_moves} yuan)."
            )
    return lines


def assumption_sentence(row: pd.Series) -> str:
    """One trend assumption's answer: ``If <description>: P = 63 % (± 3.4 points), gap +312
    yuan.`` (``row`` is a row of :attr:`~.target.TargetTestResult.by_assumption`)."""
    return (
        f"If {row['description']}: P = {percent(row['p_target_met'])} "
        f"(± {100 * row['std_error']:.1f} points), gap {yuan(row['gap_mean'], True)} yuan."
    )


def _by_year_lines(result: TargetTestResult) -> list[str]:
    """Per simulated year: both levels and their ratio, each with its 80 % band."""
    lines = ["By year (mean and 80 % band; yuan per person; ratio Yunnan/national):"]
    paths = result.paths
    for y in result.years:
        yunnan, national = paths["yunnan"].loc[y], paths["national"].loc[y]
        lines.append(
            f"  {y}: Yunnan {yuan(yunnan['mean'])} ({yuan(yunnan['lower_80'])} to "
            f"{yuan(yunnan['upper_80'])}), national {yuan(national['mean'])} "
            f"({yuan(national['lower_80'])} to {yuan(national['upper_80'])}), "
            + _ratio_words(paths["ratio"].loc[y])
            + "."
        )
    return lines


def _ratio_words(band: pd.Series) -> str:
    return f"ratio {ratio(band['mean'])} ({ratio(band['lower_80'])} to {ratio(band['upper_80'])})"


def _correlation_sentence(result: TargetTestResult) -> str:
    """How much the shared rural economy moves both sides together, in words."""
    correlation = result.shared_shock_correlation
    year = result.target_year
    if not math.isfinite(correlation):
        return (
            f"The correlation of the two sides across replications in {year} cannot be "
            "computed (fewer than three replications, or one side does not vary)."
        )
    if correlation >= 0.5:
        words = "the two sides move together"
    elif correlation >= 0.2:
        words = "the two sides move partly together"
    else:
        words = "the two sides barely move together"
    common = result.common_growth
    drawn = (
        ""
        if common is None
        else "; the common rural growth drawn: "
        + ", ".join(
            f"{y} {row['mean']:.1f} % ({row['lower_80']:.1f} to {row['upper_80']:.1f} %)"
            for y, row in common.iterrows()
        )
    )
    return (
        f"In {year} {words}: correlation {correlation:.2f} across replications "
        f"(log incomes), because both follow the same rural economy{drawn}."
    )


def _crossing_sentence(result: TargetTestResult) -> str:
    """When Yunnan's mean first gets above the national level, and that the target counts
    only the target year (a replication can get above and fall back)."""
    crossing, year = result.crossing, result.target_year
    firsts = [f"{y}: {percent(crossing[y])}" for y in result.years if crossing[y] > 0]
    if not firsts:
        return (
            f"Yunnan's mean stays below the national level in every simulated year to {year}, "
            "in every replication."
        )
    return (
        "The year Yunnan's mean first gets above the national level, as a share of "
        f"replications: {', '.join(firsts)}; never by {year}: {percent(crossing['never'])}. "
        f"Only the end of {year} counts for the target, and a replication that got above "
        f"earlier can fall back below by then: Yunnan is above at the end of {year} in "
        f"{percent(result.p_target_met)}."
    )


def _attribution_lines(result: TargetTestResult) -> list[str]:
    table = result.attribution
    if table is None:
        return ["", "Attribution: not computed (no attribution replications)."]
    year = result.target_year
    lines = [
        "",
        f"What carries the gain in {year} (Shapley values over measures, "
        f"{count(result.attribution_replications, 'replication')} with common random numbers; "
        "gain over all measures off, yuan per person):",
    ]
    for measure, row in table.iterrows():
        per_yuan = row.get("gain_per_yuan", float("nan"))
        lines.append(
            f"  {measure}: {yuan(row['mean'], True)} "
            f"(95 % band {yuan(row['lower_95'], True)} to {yuan(row['upper_95'], True)}; "
            f"{percent(row['share_of_gain'])} of the gain"
            + (
                f"; {per_yuan:.2f} yuan of income per yuan spent)"
                if isinstance(per_yuan, float) and math.isfinite(per_yuan)
                else ")"
            )
        )
    total = table.loc["total"]
    sources = ", ".join(f"{s} {yuan(total[s], True)}" for s in SOURCES)
    lines.append(f"  By income source: {sources}.")
    return lines


def target_conclusion(result: TargetTestResult) -> str:
    """The conclusion of a target test in a few plain sentences (Markdown)."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    p = result.p_target_met
    sentences = [
        f"Under **{result.name}**, it is **{likelihood(p)}** ({percent(p)} of "
        f"{result.replications:,} replications) that the poverty-alleviated population of "
        f"Yunnan ends {year} above the national level of the same population.",
        f"On average Yunnan would end {yuan(abs(gap['mean']))} yuan per person "
        f"{'above' if gap['mean'] > 0 else 'below'} it; in four replications out of five the "
        f"gap lies between {yuan(gap['lower_80'], True)} and {yuan(gap['upper_80'], True)} yuan.",
    ]
    table = result.attribution
    if table is not None and len(table) > 1:
        ranked = table.drop(index="total")
        top = ranked.index[0]
        sentences.append(
            f"The measure carrying most of the gain is **{top}** "
            f"({yuan(ranked.loc[top, 'mean'], True)} yuan per person in {year}, "
            f"{percent(ranked.loc[top, 'share_of_gain'])} of the gain of all measures)."
        )
    sentences.append(
        f"The measures cost the province {billions(result.total_cost)} over "
        f"{result.years[0]}-{result.years[-1]}."
    )
    caveat = few_replications_caveat(result.replications, "this probability")
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
    lines = [
        f"{len(table)} scenarios, {replications:,} replications each "
        f"(seed {comparison.results[0].seed}, common random numbers), target year {year}.",
        "P(target): probability of ending the target year above the national level, ± its "
        "Monte Carlo standard error; cost: province-wide, all simulated years.",
        *_caveat_lines(replications, "each probability"),
        "",
        comparison_table(comparison).to_string(),
        "",
    ]
    best = comparison.ranking().index[0]
    lines.append(
        f"Highest probability of ending {year} above the national level: {best} "
        f"({percent(table.loc[best, 'p_target_met'])}; ties broken by the expected gap)."
    )
    for name, row in table.iloc[1:].iterrows():
        lines.append(
            f"{name} vs {first}: {yuan(row['vs_first_mean'], True)} yuan per person in "
            f"{year} (paired 95 % band {yuan(row['vs_first_lower_95'], True)} to "
            f"{yuan(row['vs_first_upper_95'], True)}), "
            f"{cost_change(row['cost_yuan'] - table.loc[first, 'cost_yuan'])}."
        )
    if comparison.reference is not None:
        lines += ["", f"Against the policies in force (baseline), in {year}:"]
        for name, row in table.drop(index=comparison.reference.name).iterrows():
            lines.append(
                f"  {name}: {yuan(row['gain_vs_baseline'], True)} yuan per person, "
                f"{cost_change(row['extra_cost_vs_baseline'])}"
                + _per_extra_yuan(row["gain_per_yuan_vs_baseline"], row["extra_cost_vs_baseline"])
                + "."
            )
        lines.append(
            "  (gain/yuan in the table is against no measures at all, the Shapley "
            "attribution's reference.)"
        )
    hinges = [line for result in comparison.results if (line := _hinge_line(result))]
    if hinges:
        lines += ["", "Under the trend assumption each answer hinges on:", *hinges]
    return "\n".join(lines)


def _per_extra_yuan(per_yuan: float, extra_cost: float) -> str:
    """Income over the years per yuan of cost against the baseline, in words that follow the
    sign of the cost: per extra yuan spent, or lost per yuan saved."""
    if not np.isfinite(per_yuan) or per_yuan == 0:
        return ""
    if extra_cost > 0:
        return f" ({per_yuan:.2f} yuan of income per extra yuan over the years)"
    if per_yuan > 0:  # less spent and less earned
        return f" ({per_yuan:.2f} yuan of income lost per yuan saved over the years)"
    return " (more income for less money)"


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


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """The comparison's table as a reader sees it: each figure written out in its unit
    (percent with its Monte Carlo standard error, yuan, bn yuan province-wide, ratio)."""
    table = comparison.table
    replications = comparison.results[0].replications
    return pd.DataFrame(
        {
            "P(target)": [
                f"{percent(p)} ± {100 * standard_error(p, replications):.0f}"
                for p in table["p_target_met"]
            ],
            "gap": table["gap_mean"].map(lambda v: yuan(v, True)),
            "gap 80 %": [
                f"{yuan(lo, True)}..{yuan(hi, True)}"
                for lo, hi in zip(table["gap_lower_80"], table["gap_upper_80"], strict=True)
            ],
            "ratio": table["ratio_mean"].map(ratio),
            "cost (province)": table["cost_yuan"].map(billions),
            "under line": table["share_under_line"].map(lambda v: percent(v, 1)),
            "gain/yuan vs none": table["gain_per_yuan"].map(
                lambda v: "n/a" if not np.isfinite(v) else f"{v:.2f}"
            ),
        },
        index=table.index,
    )


def comparison_conclusion(comparison: Comparison) -> str:
    """The comparison's conclusion in a few plain sentences (Markdown)."""
    year = comparison.target_year
    table = comparison.ranking()
    best, worst = table.index[0], table.index[-1]
    sentences = [
        f"Of {len(table)} measure mixes, **{best}** gives the highest probability of ending "
        f"{year} above the national level ({percent(table.loc[best, 'p_target_met'])}: "
        f"{likelihood(table.loc[best, 'p_target_met'])}), and **{worst}** the lowest "
        f"({percent(table.loc[worst, 'p_target_met'])})."
    ]
    per_yuan = comparison.table["gain_per_yuan"].dropna()
    if not per_yuan.empty:
        top = per_yuan.idxmax()
        sentences.append(
            f"Per yuan spent, **{top}** raises incomes most "
            f"({per_yuan[top]:.2f} yuan of income per yuan over all its measures off)."
        )
    return " ".join(sentences)


# --- validation and backtest ---------------------------------------------------------------


def validation_report(validation: Validation) -> str:
    """The out-of-sample validation in plain language."""
    lines = ["Out-of-sample validation (no value after each origin is read)", ""]
    if not validation.simulation.empty:
        lines.append("Simulation, the year after the origin:")
        for row in validation.simulation.itertuples():
            lines.append(
                f"  {row.scenario:<12} {row.side:<8} from {row.origin}: predicted "
                f"{row.predicted:,.0f} (80 % {row.lower_80:,.0f}-{row.upper_80:,.0f}), "
                f"published {row.year} {row.published:,.0f}: error {row.error:+.1%}, "
                f"{'inside' if row.in_80 else 'OUTSIDE'} the 80 % band, "
                f"{'inside' if row.in_95 else 'OUTSIDE'} the 95 % band"
            )
        lines.append("")
    lines.append("Published series, with the model chosen at each origin:")
    for row in validation.series.itertuples():
        lines.append(
            f"  {row.series:<44} {row.origin}->{row.year} ({row.model}): error "
            f"{row.error:+.1%}, 80 % {'in' if row.in_80 else 'OUT'}, "
            f"95 % {'in' if row.in_95 else 'OUT'}"
        )
    scores = series_scores(validation.series)
    if not scores.empty:
        lines.append("")
        for horizon, row in scores.iterrows():
            lines.append(
                f"  horizon {horizon}: {int(row['n'])} predictions, mean absolute error "
                f"{row['mape']:.1%}, inside 80 % band {row['coverage_80']:.0%}, "
                f"inside 95 % band {row['coverage_95']:.0%}"
            )
    return "\n".join(lines)


IN_SAMPLE = (
    "This checks scenarios/calibration.yaml in sample: its trend shifts are zero as "
    "shipped, and when `simulate calibrate --write` fits them they are fitted to this same "
    "published figure. The out-of-sample test is `zengshou simulate validate`."
)


def backtest_report(table: pd.DataFrame) -> str:
    """The backtest in plain language, said to be in sample."""
    lines = []
    for name, row in table.iterrows():
        verdict = "inside" if row["published_in_band"] else "outside"
        lines.append(
            f"{name}: simulated {row['year']} mean {row['simulated']:,.0f} yuan "
            f"(95 % band {row['lower_95']:,.0f} to {row['upper_95']:,.0f}) against the "
            f"published {row['published']:,.0f}: {row['error']:+,.0f} yuan "
            f"({100 * row['relative_error']:+.1f} %), the published figure is {verdict} the band; "
            f"wage share {100 * row['wage_share']:.1f} %."
        )
    lines.append(IN_SAMPLE)
    return "\n".join(lines)


def backtest_conclusion(table: pd.DataFrame) -> str:
    """One sentence per scenario on whether the simulation reproduces the published figure."""
    sentences = []
    for name, row in table.iterrows():
        close = "reproduces" if abs(row["relative_error"]) <= 0.02 else "misses"
        sentences.append(
            f"From as of {int(row['year']) - 1}, **{name}** {close} the published "
            f"{int(row['year'])} figure ({row['published']:,.0f} yuan) with "
            f"{row['simulated']:,.0f} yuan ({100 * row['relative_error']:+.1f} %)."
        )
    sentences.append(IN_SAMPLE)
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
    caveat = few_replications_caveat(result.replications, "each probability")
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

"""The target test's report, summary.json, MLflow metrics, fan chart and comparison table say
what the result holds: the national model and its rule, the answer under each trend
assumption, the hinge, the ratio Yunnan/national and the shared shock."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from figure_checks import assert_glyphs_covered, assert_readable, legend_labels, tick_labels

from forecast import plotting
from forecast.i18n import gettext, use_language
from simulation.montecarlo import TargetTest
from simulation.montecarlo.compare import Comparison
from simulation.montecarlo.plots import (
    COST_PARTS,
    attribution_chart,
    comparison_chart,
    composition_chart,
    cost_chart,
    fan_chart,
    save_plots,
)
from simulation.montecarlo.record import run_metrics
from simulation.montecarlo.report import comparison_report, target_conclusion, target_report
from simulation.montecarlo.summary import summary_dict
from simulation.montecarlo.words import cost_change, few_replications_caveat

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

# Keys summary.json had before the ratio and the trend assumptions; tests and notebooks read them.
EXISTING_KEYS = (
    "scenario",
    "scenario_file",
    "measures",
    "seed",
    "replications",
    "households",
    "people",
    "as_of",
    "target_year",
    "p_target_met",
    "p_target_met_std_error",
    "gap",
    "yunnan",
    "national",
    "gap_by_year",
    "observed",
    "crossing_year_share",
    "share_under_line",
    "composition",
    "cost",
    "gain_per_yuan",
    "attribution",
    "elapsed_seconds",
    "ran_on",
    "code_version",
)


@pytest.fixture(scope="module")
def result(population, action_plan):
    """12 replications of 3,000 households in this process, two of them attributed."""
    test = TargetTest(action_plan, replications=12, seed=7, attribution_replications=2)
    return test.run(population, workers=1)


@pytest.fixture(scope="module")
def report(result) -> str:
    return target_report(result)


@pytest.fixture(scope="module")
def summary(result) -> dict:
    return summary_dict(result)


def _alternatives(result):
    table = result.by_assumption
    return table[~table["chosen"]]


# --- the report ------------------------------------------------------------------------------


def test_the_result_has_alternatives_to_report(result):
    table = result.by_assumption
    assert table["chosen"].sum() == 1
    assert table.index[0] == result.model
    assert len(_alternatives(result)) >= 1
    assert result.hinge in _alternatives(result).index


def test_report_names_the_national_model_and_the_rule_that_chose_it(result, report):
    line = next(x for x in report.splitlines() if "national level is projected" in x)
    assert f"with the {result.model} model" in line
    assert result.by_assumption.loc[result.model, "description"] in line
    assert result.macro.choice_rule in line


def test_report_gives_p_and_gap_under_each_alternative_assumption(result, report):
    lines = report.splitlines()
    for _, row in _alternatives(result).iterrows():
        expected = (
            f"If {row['description']}: P = {100 * row['p_target_met']:.0f} % "
            f"(± {100 * row['std_error']:.1f} points), gap {row['gap_mean']:+,.0f} yuan."
        )
        assert expected in lines or f"  {expected}" in lines, expected
    chosen = result.by_assumption.loc[result.model, "description"]
    assert f"If {chosen}:" not in report  # the chosen model is the headline, not an alternative
    assert sum(x.lstrip().startswith("If ") for x in lines) == len(_alternatives(result))


def test_report_names_the_hinge_and_how_far_p_moves_under_it(result, report):
    hinge = result.hinge
    line = next(x for x in report.splitlines() if "hinge" in x)
    assert hinge in line
    moved = round(100 * (result.by_assumption.loc[hinge, "p_target_met"] - result.p_target_met))
    assert (f"{moved:+d} points" if moved else "0 points") in line
    gap_moves = (
        result.by_assumption.loc[hinge, "gap_mean"]
        - result.by_assumption.loc[result.model, "gap_mean"]
    )
    assert f"{gap_moves:+,.0f} yuan" in line


def test_report_gives_the_ratio_with_its_band_beside_the_levels_each_year(result, report):
    lines = report.splitlines()
    for year in result.years:
        ratio = result.paths["ratio"].loc[year]
        yunnan = result.paths["yunnan"].loc[year, "mean"]
        line = next(x for x in lines if x.strip().startswith(f"{year}: Yunnan"))
        assert f"Yunnan {yunnan:,.0f}" in line
        assert (
            f"ratio {ratio['mean']:.3f} ({ratio['lower_80']:.3f} to {ratio['upper_80']:.3f})"
            in line
        )


def test_report_states_the_shared_shock_correlation_in_words(result, report):
    correlation = result.shared_shock_correlation
    assert np.isfinite(correlation)
    assert f"correlation {correlation:.2f} across replications" in report
    assert "same rural economy" in report


# --- summary.json and MLflow -----------------------------------------------------------------


def test_summary_keeps_every_existing_key(summary):
    missing = [k for k in EXISTING_KEYS if k not in summary]
    assert not missing


def test_summary_ratio_is_the_ratio_path(result, summary):
    band = result.paths["ratio"]
    assert list(summary["ratio"]) == [str(y) for y in band.index]
    for year, row in band.iterrows():
        for column, value in row.items():
            assert summary["ratio"][str(year)][column] == pytest.approx(value, rel=1e-12)
    assert summary["ratio"][str(result.target_year)]["mean"] > 0


def test_summary_by_assumption_matches_the_table(result, summary):
    table = result.by_assumption
    assert list(summary["by_assumption"]) == list(table.index)  # chosen first
    for name, row in table.iterrows():
        record = summary["by_assumption"][name]
        assert record["p_target_met"] == row["p_target_met"]
        assert record["gap_mean"] == pytest.approx(row["gap_mean"], rel=1e-12)
        assert record["ratio_mean"] == pytest.approx(row["ratio_mean"], rel=1e-12)
        assert record["description"] == row["description"]
        assert record["chosen"] is bool(row["chosen"])
    assert summary["hinge"] == result.hinge
    assert summary["national_model"] == {"name": result.model, "rule": result.macro.choice_rule}
    assert summary["shared_shock_correlation"] == pytest.approx(result.shared_shock_correlation)


def test_summary_common_growth_is_the_drawn_common_component_in_percent(result, summary):
    common = result.macro.common
    bands = summary["common_rural_growth_percent"]
    assert list(bands) == [str(y) for y in result.years]
    for year in result.years:
        growth = 100 * np.expm1(common[year].to_numpy())
        assert bands[str(year)]["mean"] == pytest.approx(growth.mean())
        assert bands[str(year)]["lower_80"] <= bands[str(year)]["mean"]
        assert bands[str(year)]["mean"] <= bands[str(year)]["upper_80"]
        assert bands[str(year)]["lower_95"] == pytest.approx(np.quantile(growth, 0.025))


def test_summary_is_strict_json(summary):
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["by_assumption"] == summary["by_assumption"]


def test_run_metrics_record_the_ratio_assumptions_and_shared_shock(result):
    metrics = run_metrics(result)
    for year in result.years:
        assert metrics[f"ratio_{year}_mean"] == pytest.approx(
            result.paths["ratio"].loc[year, "mean"]
        )
    for name, row in result.by_assumption.iterrows():
        assert metrics[f"p_target_met_{name}"] == row["p_target_met"]
    assert metrics["shared_shock_correlation"] == pytest.approx(result.shared_shock_correlation)


# --- fan chart -------------------------------------------------------------------------------


def test_fan_chart_is_written_with_a_ratio_panel(result, tmp_path):
    paths = save_plots(result, tmp_path)
    chart = tmp_path / "fan_chart.png"
    assert chart in paths
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    figure = fan_chart(result)
    assert len(figure.axes) == 2
    levels, ratio = figure.axes
    # The ratio panel: its target line at 1 and its mean path, after the last published ratio.
    target = [line for line in ratio.get_lines() if line.get_label() == "target: ratio above 1"]
    assert len(target) == 1 and set(target[0].get_ydata()) == {1.0}
    mean = next(x for x in ratio.get_lines() if x.get_label() == "Yunnan / national (projected)")
    assert list(mean.get_ydata())[-len(result.years) :] == pytest.approx(
        result.paths["ratio"]["mean"].to_numpy()
    )
    # The levels panel: published points with their published yearly growth.
    national = result.observed["national"]
    growth = 100 * (national.iloc[-1] / national.iloc[-2] - 1)
    assert national.index[-1] - national.index[-2] == 1
    assert f"{growth:+.1f} %" in {t.get_text() for t in levels.texts}
    published = next(x for x in levels.get_lines() if x.get_label() == "national (published)")
    assert list(published.get_ydata())[-1] == national.iloc[-1]


# --- comparison ------------------------------------------------------------------------------


def test_comparison_gives_the_ratio_and_each_scenarios_hinge(result):
    comparison = Comparison([result])
    year = result.target_year
    assert comparison.table.loc[result.name, "ratio_mean"] == pytest.approx(
        result.paths["ratio"].loc[year, "mean"]
    )
    words = comparison_report(comparison)
    hinge = result.hinge
    p_hinge = result.by_assumption.loc[hinge, "p_target_met"]
    line = next(x for x in words.splitlines() if x.strip().startswith(f"{result.name}: P ="))
    assert f"P = {100 * result.p_target_met:.0f} % with the {result.model} model" in line
    assert f"{100 * p_hinge:.0f} %" in line and f"under {hinge}:" in line
    assert f"{result.paths['ratio'].loc[year, 'mean']:.3f}" in words  # the table's ratio column


# --- words a newcomer reads right --------------------------------------------------------------


@pytest.fixture(scope="module")
def no_measures_result(population):
    """The counterfactual without measures, as many replications as ``result`` (paired)."""
    from simulation import load_scenario

    spec = load_scenario(SCENARIOS / "no_measures.yaml")
    return TargetTest(spec, replications=12, seed=7, attribution_replications=0).run(
        population, workers=1
    )


def test_cost_differences_are_written_as_costing_or_saving():
    assert cost_change(1.2e9) == "costing 1.20 bn yuan more"
    assert cost_change(-4.05e9) == "saving 4.05 bn yuan"
    assert cost_change(1e6) == "at the same cost"
    assert cost_change(float("nan")) == "n/a"


def test_a_cheaper_mix_is_said_to_save_not_to_cost_a_negative_sum(result, no_measures_result):
    words = comparison_report(Comparison([result, no_measures_result]))
    saved = result.total_cost - no_measures_result.total_cost
    assert saved > 0
    line = next(x for x in words.splitlines() if x.startswith("no_measures vs action_plan"))
    assert line.endswith(f"saving {saved / 1e9:,.2f} bn yuan.")
    assert "costing -" not in words and "bn yuan more" not in line


def test_comparison_table_gives_each_p_its_standard_error_and_warns_when_few(result):
    words = comparison_report(Comparison([result]))
    p = result.p_target_met
    error = 100 * (p * (1 - p) / result.replications) ** 0.5
    row = next(x for x in words.splitlines() if x.startswith(result.name + " "))
    assert f"{100 * p:.0f} % ± {error:.0f}" in row
    assert "cost (province)" in words
    assert f"With {result.replications} replications, each probability is uncertain" in words
    assert few_replications_caveat(200) is None  # enough: no caveat
    assert "± 25 points" in few_replications_caveat(4)


def test_report_says_when_yunnan_first_gets_above_without_calling_it_a_line(result, report):
    assert "line first" not in report and "Yunnan's line" not in report
    line = next(x for x in report.splitlines() if "first gets above the national level" in x)
    for year in result.years:
        if result.crossing[year] > 0:
            assert f"{year}: {100 * result.crossing[year]:.0f} %" in line
    assert f"Only the end of {result.target_year} counts for the target" in line
    assert line.endswith(f"in {100 * result.p_target_met:.0f} %.")


def test_report_and_conclusion_say_costs_are_province_wide(result, report):
    assert "Cost of the measures, province-wide" in report
    assert f"cost the province {result.total_cost / 1e9:,.2f} bn yuan" in target_conclusion(result)


# --- figures a reader can read -----------------------------------------------------------------


def test_fan_chart_legends_name_the_bands_and_the_published_points(result):
    figure = fan_chart(result)
    assert_readable(figure)
    levels, ratio = figure.axes
    legend = legend_labels(levels)
    for side in ("national (forecast)", "Yunnan (simulated)"):
        assert side in legend
        assert f"{side}, 80 % band" in legend and f"{side}, 95 % band" in legend
    assert {"national (published)", "Yunnan (published)"} <= set(legend)
    assert "target: ratio above 1" in legend_labels(ratio)
    assert "Yunnan / national (projected), 80 % band" in legend_labels(ratio)
    years = [int(t) for t in tick_labels(ratio)]
    assert years == sorted(years) and result.target_year in years  # whole years only


def test_cost_chart_stacks_few_colours_and_writes_each_years_province_wide_total(result):
    figure = cost_chart(result)
    assert_readable(figure)
    (ax,) = figure.axes
    assert "province-wide" in ax.get_ylabel() and "province-wide" in ax.get_title()
    parts = legend_labels(ax)
    measures = result.cost_by_measure.index.get_level_values("measure").unique()
    assert len(parts) == min(len(measures) - 1, COST_PARTS)  # less the "total" row
    assert len(measures) - 1 <= COST_PARTS or parts[0] == "other measures"  # lumped on top
    colours = [patch.get_facecolor() for patch in ax.get_legend().get_patches()]
    assert len(set(colours)) == len(colours)  # every part its own colour
    totals = result.cost_by_measure.loc["total", "mean"] / 1e9
    assert [t.get_text() for t in ax.texts] == [f"{v:,.2f}" for v in totals]
    assert [int(t) for t in tick_labels(ax)] == list(result.years)


def test_composition_chart_writes_the_mean_income_on_each_bar(result):
    figure = composition_chart(result)
    assert_readable(figure)
    (ax,) = figure.axes
    assert set(legend_labels(ax)) == {"wage", "operating", "property", "transfer"}
    total = result.composition[["wage", "operating", "property", "transfer"]].sum(axis=1)
    assert [t.get_text() for t in ax.texts] == [f"{v:,.0f}" for v in total]
    assert ax.get_ylim()[0] == 0  # incomes are not negative: no room below zero


def test_attribution_chart_gives_totals_and_band_or_refuses_an_empty_one(
    result, no_measures_result
):
    figure = attribution_chart(result)
    assert_readable(figure)
    (ax,) = figure.axes
    assert "total, 95 % band" in legend_labels(ax)
    measures = result.attribution.drop(index="total")
    shown = {t.get_text() for t in ax.texts}
    assert {
        f"{v:+,.0f}" for v in measures[["wage", "operating", "property", "transfer"]].sum(axis=1)
    } == shown
    with pytest.raises(ValueError, match="no attribution"):
        attribution_chart(no_measures_result)


def test_comparison_chart_names_each_mix_with_its_probability(result, no_measures_result):
    figure = comparison_chart(Comparison([result, no_measures_result]))
    assert_readable(figure)
    (ax,) = figure.axes
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == f"{result.name}\nP = {100 * result.p_target_met:.0f} %"
    assert "80 % band" in legend_labels(ax)


def test_save_plots_writes_no_attribution_figure_without_an_attribution(
    no_measures_result, tmp_path
):
    names = {p.name for p in save_plots(no_measures_result, tmp_path)}
    assert names == {"fan_chart.png", "composition.png", "cost.png", "counties.png"}


# --- in Chinese (issue 16) ------------------------------------------------------------------


def test_chinese_report_names_measures_as_the_plan_does_and_keeps_its_figures(result, report):
    with use_language("zh"):
        chinese = target_report(result)
        conclusion = target_conclusion(result)
    measures = [m for m in result.attribution.index if m != "total"]
    for measure in measures:
        assert f"  {gettext(f'measure.{measure}', 'zh')}：" in chinese, measure
        assert f"  {measure}:" not in chinese
    assert "技能培训" in chinese and "工资性收入" in chinese and "防止返贫监测" in chinese
    assert f"**{gettext(f'measure.{measures[0]}', 'zh')}**" in conclusion
    # the same figures as the English report, in the same order
    assert re.findall(r"[+-]?\d[\d,]*", chinese.split("\n")[2]) == re.findall(
        r"[+-]?\d[\d,]*", report.split("\n")[2]
    )
    assert summary_dict(result) == _in_chinese(summary_dict, result)  # summary.json: English


def test_chinese_comparison_report_and_table(result, no_measures_result):
    comparison = Comparison([result, no_measures_result])
    chinese = _in_chinese(comparison_report, comparison)
    assert "P(目标)" in chinese and "节省" in chinese and "亿元" in chinese
    assert (
        comparison.table.columns.tolist()
        == Comparison([result, no_measures_result]).table.columns.tolist()
    )


def test_chinese_charts_name_the_plan_measures_with_a_font_that_has_their_glyphs(result):
    if plotting.cjk_font() is None:
        pytest.skip("no CJK font on this machine (install fonts-noto-cjk)")
    with use_language("zh"):
        attribution, fan = attribution_chart(result), fan_chart(result)
    assert_glyphs_covered(attribution)
    assert_glyphs_covered(fan)
    ticks = tick_labels(attribution.axes[0], "y")
    assert gettext("measure.skills_training", "zh") in ticks
    assert "工资性收入" in legend_labels(attribution.axes[0])
    assert "云南（模拟）" in legend_labels(fan.axes[0]) and fan.axes[0].get_xlabel() == ""
    assert fan.axes[1].get_xlabel() == "年份"


def _in_chinese(say, *args):
    with use_language("zh"):
        return say(*args)

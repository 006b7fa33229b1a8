"""The notebooks' figures of panels, forecasts and risk (forecast.figures) in the house style:
checked on their Matplotlib objects (labels, legend entries, tick values), not on files."""

from __future__ import annotations

import pytest
from figure_checks import assert_readable, legend_labels, tick_labels

from forecast import figures
from forecast.backtesting import backtest
from forecast.calibration import (
    published_yunnan_series,
    share_of_people_below,
    weighted_means,
    weighted_quantiles,
)
from forecast.risk import train_risk_model
from forecast.risk.line import load_monitoring_line
from forecast.series import forecast_series, load_series
from forecast.targets import MODELS, backtest_targets

KEYS = dict(id_col="household_id", time_col="year", target="net_income_per_capita")


@pytest.fixture(scope="module")
def means(synthetic_panel):
    return weighted_means(synthetic_panel)


def test_income_chart_sets_the_panel_against_the_published_points(means):
    figure = figures.income_chart(means, published_yunnan_series())
    assert_readable(figure)
    (ax,) = figure.axes
    assert any("(published)" in label for label in legend_labels(ax))
    assert all(text.replace(",", "").isdigit() for text in tick_labels(ax, "y"))  # 14,000


def test_quantile_and_source_charts_name_their_lines_and_totals(synthetic_panel, means):
    quantiles = figures.quantile_chart(weighted_quantiles(synthetic_panel))
    assert_readable(quantiles)
    assert legend_labels(quantiles.axes[0]) == [f"{p}th percentile" for p in (90, 75, 50, 25, 10)]
    sources = figures.source_chart(means)
    assert_readable(sources)
    total = means[["wage", "operating", "property", "transfer"]].sum(axis=1)
    assert [t.get_text() for t in sources.axes[0].texts] == [f"{v:,.0f}" for v in total]


def test_under_line_chart_writes_shares_in_percent(synthetic_panel):
    share = share_of_people_below(synthetic_panel, load_monitoring_line().value)
    figure = figures.under_line_chart(share)
    assert_readable(figure)
    (ax,) = figure.axes
    assert tick_labels(ax, "y") and all(t.endswith("%") for t in tick_labels(ax, "y"))
    assert [t.get_text() for t in ax.texts] == [f"{100 * v:.1f} %" for v in share]
    assert [int(t) for t in tick_labels(ax)] == list(share.index)


def test_trajectories_chart_draws_one_line_a_household(synthetic_panel):
    ids = synthetic_panel["household_id"].drop_duplicates().iloc[:4]
    figure = figures.trajectories_chart(synthetic_panel, ids)
    assert_readable(figure)
    assert len(figure.axes[0].lines) == 4


def test_coverage_chart_marks_the_nominal_level_in_percent(synthetic_panel):
    results = backtest(synthetic_panel, **KEYS, models=["naive", "drift"])
    figure = figures.coverage_chart(results)
    assert_readable(figure)
    for ax, level in zip(figure.axes, (80, 95), strict=True):
        assert legend_labels(ax) == ["naive", "drift", f"nominal {level} %"]
        assert all(t.endswith("%") for t in tick_labels(ax, "y"))
        assert all(t.isdigit() for t in tick_labels(ax))  # 2019, never 2019.5


def test_household_fans_label_the_bands_and_the_observed_incomes(synthetic_panel):
    from forecast.forecasters import make_forecaster

    history = synthetic_panel[synthetic_panel["year"] <= 2021]
    fan = make_forecaster("drift").fit(history).predict(history, horizon=2)
    ids = list(synthetic_panel["household_id"].drop_duplicates().iloc[:3])
    figure = figures.household_fans(synthetic_panel, fan, ids, "drift: forecasts from 2021")
    assert_readable(figure)
    assert legend_labels(figure.axes[0]) == [
        "observed",
        "forecast, 95 % band",
        "forecast, 80 % band",
        "forecast",
    ]
    assert figure.get_suptitle() == "drift: forecasts from 2021"
    assert figure.get_layout_engine() is not None  # the title cannot overlap the panels


def test_trajectories_to_label_published_points_and_forecast_bands():
    national = load_series("national_net_income_alleviated")
    figure = figures.trajectories_to(
        {"national": national}, {"national": forecast_series(national, 2)}, "to 2024"
    )
    assert_readable(figure)
    legend = legend_labels(figure.axes[0])
    assert "national (published)" in legend and "national (forecast), 80 % band" in legend
    assert "2024" in tick_labels(figure.axes[0])


def test_target_errors_chart_writes_errors_in_percent():
    cases = backtest_targets(until=2022)
    series = ["national_rural_disposable"]
    figure = figures.target_errors_chart(cases, series, list(MODELS))
    assert_readable(figure)
    for ax in figure.axes:
        assert all(t.endswith("%") for t in tick_labels(ax, "y"))
    assert legend_labels(figure.axes[0])[0] in MODELS


def test_risk_quality_chart_reads_in_percent_with_its_references(synthetic_panel):
    _, metrics = train_risk_model(synthetic_panel)
    figure = figures.risk_quality_chart(metrics, 2022)
    assert_readable(figure)
    calibration, capacity = figure.axes
    assert legend_labels(calibration) == ["logistic", "boosting", "perfect calibration"]
    for ax in figure.axes:
        for axis in ("x", "y"):
            assert all(t.endswith("%") for t in tick_labels(ax, axis))
    assert len(capacity.lines) == 4  # two models, two visit capacities

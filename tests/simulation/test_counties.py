"""County-level answers: each county's year adds up to the province's, across replications
they carry bands, and the report, summary and chart show them."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.montecarlo import TargetTest
from simulation.montecarlo.plots import county_chart
from simulation.montecarlo.report import target_report
from simulation.montecarlo.summary import summary_dict
from simulation.run import simulate


@pytest.fixture(scope="module")
def result(population, action_plan):
    return TargetTest(action_plan, replications=3, seed=4, attribution_replications=0).run(
        population, workers=1
    )


def test_county_years_add_up_to_the_province(population, action_plan):
    run = simulate(action_plan, population, seed=2)
    counties = run.counties
    assert set(counties["county"]) == set(population.county_codes)
    for year, rows in counties.groupby("year"):
        people = rows["people"].to_numpy()
        assert people.sum() == pytest.approx(np.sum(population.weight * population.members))
        mean = np.average(rows["net_income_per_capita"], weights=people)
        under = np.average(rows["share_people_under_line"], weights=people)
        assert mean == pytest.approx(run.annual.loc[year, "net_income_per_capita"], rel=1e-12)
        assert under == pytest.approx(run.annual.loc[year, "share_people_under_line"], abs=1e-12)
        spent = run.cost.loc[run.cost["year"] == year, "cost_yuan"].sum()
        assert rows["cost_yuan"].sum() == pytest.approx(spent, rel=1e-9)
        assert (rows["households_reached"] <= rows["people"]).all()
        assert rows["households_reached"].sum() > 0  # the plan reaches someone every year


def test_county_answers_carry_the_provinces_gap_and_bands(result):
    counties, groups = result.counties, result.county_groups
    assert len(counties) == result.results[0].counties["county"].nunique()
    assert counties["gap_mean"].is_monotonic_increasing  # furthest behind first
    assert (counties["lower_80"] <= counties["mean"]).all()
    assert (counties["mean"] <= counties["upper_80"]).all()
    assert counties["p_above_national"].between(0, 1).all()
    # People-weighted, the counties' (and the two groups') gaps are the province's.
    province = float(result.target_gap.mean())
    for table in (counties, groups):
        gap = np.average(table["gap_mean"], weights=table["people"])
        assert gap == pytest.approx(province, rel=1e-9)
    assert set(groups.index) == {"key counties", "other counties"}


def test_report_summary_and_chart_show_the_counties(result):
    text = target_report(result)
    furthest = result.counties.index[0]
    assert "counties furthest behind" in text and f"{furthest} (" in text
    summary = summary_dict(result)["counties"]
    assert len(summary["by_county"]) == len(result.counties)
    assert list(summary["by_county"])[0] == str(furthest)
    axes = county_chart(result).axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels[-1] == str(furthest) and len(labels) == len(result.counties)
    legend = {t.get_text() for t in axes.get_legend().get_texts()}
    assert legend <= {"key county", "county"} and legend

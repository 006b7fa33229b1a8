"""Reach, reported: per lever and year the scale asked, what the eligible pool held, what was
reached, and why any shortfall; the target test's report and summary.json warn under 95 %."""

from __future__ import annotations

import dataclasses

import pytest

from simulation import simulate
from simulation.montecarlo import TargetTest
from simulation.montecarlo.report import target_report
from simulation.montecarlo.summary import summary_dict


@pytest.fixture(scope="module")
def many_trainees(action_plan):
    """The action plan asking 1.5 million trainees a year (issue 15's planner)."""
    lever = action_plan.levers["skills_training"]
    scale = dataclasses.replace(
        lever.scale, values=dict.fromkeys((2022, 2023, 2024), 1_500_000), assumption="test"
    )
    levers = {**action_plan.levers, "skills_training": dataclasses.replace(lever, scale=scale)}
    return dataclasses.replace(action_plan, levers=levers)


def test_reach_names_an_exhausted_pool(many_trainees, population):
    # Without places and funds binding (test_institutions shows those): the pool alone.
    unbound = many_trainees.without_agents("capacities", "budgets")
    reach = simulate(unbound, population, seed=3).reach.set_index(["measure", "year"])
    first, second = reach.loc[("skills_training", 2023)], reach.loc[("skills_training", 2024)]
    assert first["unit"] == "households" and first["asked"] == 1_500_000
    assert first["available"] > 1_500_000 and first["shortfall"] == ""
    # Those trained in 2023 hold the three-year lever: in 2024 the pool runs out.
    assert second["available"] < 1_500_000
    assert second["reached"] == pytest.approx(second["available"], rel=1e-6)  # the whole pool
    assert second["shortfall"].startswith("eligible pool exhausted")
    assert second["households"] < second["reached"]  # take-up: 90 % find work
    # A lever whose pool holds its scale reports no shortfall; a pool lever counts yuan.
    assert reach.loc[("public_welfare_posts", 2023), "shortfall"] == ""
    aid = reach.loc[("consumption_aid", 2024)]
    assert aid["unit"] == "yuan" and aid["reached"] == aid["asked"] == 10_000_000_000


def test_target_test_warns_below_95_percent(many_trainees, population):
    result = TargetTest(many_trainees, replications=2, seed=1, attribution_replications=0).run(
        population
    )
    table = result.reach
    assert table.loc[("skills_training", 2024), "share_reached"] < 0.95
    warned = result.reach_warnings.index.get_level_values("measure")
    assert "skills_training" in warned
    assert "consumption_aid" not in warned
    summary = summary_dict(result)["reach"]
    assert any(w.startswith("skills_training 2024: reached") for w in summary["warnings"])
    assert "eligible pool exhausted" in " ".join(summary["warnings"])
    rows = {(r["measure"], r["year"]): r for r in summary["by_measure_and_year"]}
    assert rows[("skills_training", 2023)]["asked"] == 1_500_000
    assert "WARNING: reach below 95 %" in target_report(result)

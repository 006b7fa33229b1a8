"""Scenario files: every one runs; bad ones are refused with file, key and reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simulation import ScenarioError, load_scenario, simulate
from simulation.report import parameter_provenance

SCENARIOS = sorted(
    p
    for p in (Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml")
    if p.stem not in ("measures", "calibration")
)
BAD = Path(__file__).parent / "bad_scenarios"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_runs_a_few_months(path, population):
    scenario = load_scenario(path)
    result = simulate(scenario, population, seed=3, months=3)
    assert len(result.monthly) == 3
    assert np.isfinite(result.monthly.to_numpy()).all()
    assert result.scenario == scenario.name


def test_at_least_three_variants_over_action_plan():
    variants = [load_scenario(p) for p in SCENARIOS]
    names = {s.name for s in variants}
    assert {"baseline", "action_plan"} <= names
    assert len(names - {"baseline", "action_plan"}) >= 3


def test_action_plan_has_every_measure_of_the_plan(action_plan):
    plan_numbers = {
        int(m.plan.split(":")[0].split()[1])
        for m in action_plan.levers.values()
        if m.plan.startswith("measure")
    }
    assert plan_numbers == set(range(1, 13))
    assert set(action_plan.measures) == set(action_plan.levers)


def test_every_parameter_has_unit_and_source_or_assumption(action_plan):
    params = [p for m in action_plan.levers.values() for p in _parameters(m)]
    params += [*action_plan.monitoring.values(), *action_plan.shocks.values()]
    params += [*action_plan.agents.values()]
    assert params
    for p in params:
        assert p.unit and (p.source or p.assumption)


def _parameters(measure):
    yield from (measure.scale, measure.reach_per_unit, measure.take_up, measure.unit_cost)
    yield from (measure.delay_months, measure.duration_months)
    yield from measure.effects.values()
    yield from measure.extra.values()


def test_without_switches_measures_off(action_plan):
    fewer = action_plan.without("skills_training", "microcredit")
    assert "skills_training" not in fewer.measures and "microcredit" not in fewer.measures
    assert len(fewer.measures) == len(action_plan.measures) - 2
    assert "skills_training" in action_plan.measures  # the original is unchanged
    with pytest.raises(KeyError):
        action_plan.without("no_such_measure")


def test_transfers_only_costs_what_the_action_plan_costs(action_plan, population):
    transfers = load_scenario(SCENARIOS[0].parent / "transfers_only.yaml")
    for seed in (1, 2):
        plan = simulate(action_plan, population, seed=seed, draw_parameters=False)
        alone = simulate(transfers, population, seed=seed, draw_parameters=False)
        assert set(alone.cost["measure"]) == {"transfers", "monitoring", "monitoring_assistance"}
        total = alone.cost["cost_yuan"].sum()
        assert total == pytest.approx(plan.cost["cost_yuan"].sum(), rel=0.10)


def test_variant_changes_only_what_it_says(action_plan):
    skills = load_scenario(SCENARIOS[0].parent / "skills_first.yaml")
    assert skills.levers["skills_training"].scale.at(2023) == 900_000
    assert action_plan.levers["skills_training"].scale.at(2023) == 600_000
    assert skills.levers["microcredit"] == action_plan.levers["microcredit"]


@pytest.mark.parametrize(
    ("file", "fragment"),
    [
        ("unknown_key.yaml", "changes.measures.skills_training.trainees_per_year: unknown key"),
        ("missing_value.yaml", "skills_training.unit_cost.value: missing value"),
        ("negative_count.yaml", "skills_training.scale.values.2023: negative value"),
        ("share_above_one.yaml", "skills_training.take_up.value: share 90 outside [0, 1]"),
        ("year_outside_run.yaml", "scale.values.2026: year outside the run 2022-2024"),
        ("missing_source.yaml", "take_up: a change needs its source: or assumption:"),
        ("unknown_measure.yaml", "activate: unknown measure 'free_money'"),
        ("unknown_targeting.yaml", "monitoring.targeting.value: 'lottery' not one of"),
        (
            "effect_kind_wrong_reach.yaml",
            "skills_training.effects.wage.kind: 'pool' does not fit reach 'households'",
        ),
        ("effect_off_centre.yaml", "wage.central: a beta draw on [3000, 10000] with mean 3500"),
        (
            "triangular_off_centre.yaml",
            "wage.central: a triangular draw on [3000, 15000] with mean 6000 needs its mode at 0",
        ),
        ("unknown_distribution.yaml", "wage.distribution: 'uniform' not one of"),
        ("cumulative_multi_year.yaml", "wage.cumulative: only a yearly entitlement accumulates"),
        ("cumulative_cost_per_unit.yaml", "wage.cumulative: only a lever whose cost is what"),
        ("cumulative_without_source.yaml", "wage.cumulative: needs a source: citing the plan"),
        (
            "synthetic_panel_elsewhere.yaml",
            "reach_per_unit.value: 'synthetic_panel' stands only for",
        ),
        ("activate_nested_list.yaml", "activate: expected a list of measure names"),
        ("unknown_spending_rule.yaml", "agents.spending_rule.value: 'first_come' not one of"),
        ("switch_not_binary.yaml", "agents.budgets.value: expected 1 (on) or 0 (off)"),
        (
            "unknown_link_arrangement.yaml",
            "local_leaders.link_arrangement.value: 'handshake' not one of",
        ),
        ("description_not_text.yaml", "description: expected text, got a dict"),
        ("name_not_text.yaml", "name: expected text, got a list"),
        (
            "assumption_list.yaml",
            "skills_training.take_up.assumption: expected text saying where the value comes "
            "from, got a list",
        ),
    ],
)
def test_bad_scenario_is_refused_naming_file_key_and_reason(file, fragment):
    with pytest.raises(ScenarioError) as error:
        load_scenario(BAD / file)
    message = str(error.value)
    assert fragment in message
    assert file in message or "measures.yaml" in message
    assert error.value.file.name in (file, "measures.yaml") and error.value.key
    assert message == f"{error.value.file}: {error.value.key}: {error.value.reason}"


def test_run_years_outside_the_scenario_are_refused(population, action_plan, tmp_path):
    late = replace(action_plan, years=(2020, 2022))
    with pytest.raises(ValueError, match="outside the scenario's years"):
        simulate(late, population, seed=1, months=1)


def test_provenance_lists_every_parameter_with_its_basis(action_plan):
    table = parameter_provenance(action_plan)
    assert set(table["basis"]) == {"source", "assumption"}
    assert table["why"].str.len().min() > 0
    row = table.set_index("parameter").loc["measures.skills_training.take_up"]
    assert row["basis"] == "source" and "90 %" in row["why"]
    assert len(table) > 100


def test_a_billion_laughs_is_refused_before_any_expansion():
    with pytest.raises(ScenarioError) as error:
        load_scenario(BAD / "billion_laughs.yaml")
    assert error.value.file.name == "billion_laughs.yaml"
    assert "aliases are refused" in error.value.reason

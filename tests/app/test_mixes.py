"""The editor's scenario files: written only when the scenario loader accepts them, with only
what changed, each change with its assumption; controls within the catalogue's bounds."""

from __future__ import annotations

import pytest

from forecast.paths import project_root
from simulation import ScenarioError, load_scenario
from zengshou.app.mixes import (
    APP_NOTE,
    LeverEdit,
    available_mixes,
    lever_controls,
    mix_content,
    save_mix,
)

ACTION_PLAN = project_root() / "scenarios" / "action_plan.yaml"


@pytest.fixture(scope="module")
def plan():
    return load_scenario(ACTION_PLAN)


def test_controls_carry_the_catalogues_bounds_and_basis(plan):
    controls = lever_controls(plan, 2023)
    skills = controls["skills_training"]
    assert skills["bounds"]["low"] == 600_000 and skills["bounds"]["high"] == 1_500_000
    assert skills["basis"].startswith("source: action plan measure 7")
    assert skills["options"] == ["random", "lowest_income"]
    assert skills["years"] == [2023, 2024]
    assert set(controls) == set(plan.levers)  # every lever, active or not


def test_a_saved_mix_loads_with_the_edits_and_their_assumption(plan, tmp_path):
    edits = {
        "skills_training": LeverEdit(True, {2023: 900_000, 2024: 600_000}, "lowest_income", 0.5)
    }
    content = mix_content("skills_half", ACTION_PLAN, plan, edits)
    change = content["changes"]["measures"]["skills_training"]
    assert change["scale"]["values"] == {2023: 900_000}  # 2024 unchanged: not written
    path, mix = save_mix(content, tmp_path)
    lever = mix.levers["skills_training"]
    assert lever.scale.at(2023) == 900_000 and lever.scale.assumption == APP_NOTE
    assert lever.priority == "lowest_income"
    assert lever.effects["wage"].central == pytest.approx(
        plan.levers["skills_training"].effects["wage"].central / 2
    )
    assert mix.measures == plan.measures
    assert "skills_half" in available_mixes(tmp_path)


def test_switching_a_lever_off_writes_deactivate(plan, tmp_path):
    content = mix_content("no_training", ACTION_PLAN, plan, {"skills_training": LeverEdit(False)})
    assert content["deactivate"] == ["skills_training"]
    _, mix = save_mix(content, tmp_path)
    assert "skills_training" not in mix.measures


def test_a_file_the_loader_refuses_is_not_kept(plan, tmp_path):
    content = mix_content("bad", ACTION_PLAN, plan, {})
    content["changes"] = {
        "measures": {"skills_training": {"scale": {"values": {2023: -5}, "assumption": "x"}}}
    }
    with pytest.raises(ScenarioError):
        save_mix(content, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["Bad Name", "../escape", "", "baseline"])
def test_names_that_are_not_a_new_file_are_refused(plan, tmp_path, name):
    with pytest.raises(ValueError):
        save_mix(mix_content(name, ACTION_PLAN, plan, {}), tmp_path)


def test_an_effect_factor_outside_its_bounds_is_refused(plan):
    with pytest.raises(ValueError, match="effect factor"):
        mix_content("x", ACTION_PLAN, plan, {"skills_training": LeverEdit(True, effect_factor=5.0)})

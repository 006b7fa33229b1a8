"""Every uncertain input declared once: found generically in the scenario's YAML, with its
unit and basis, sampled as declared, and set in a scenario by its address."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from forecast.paths import project_root
from simulation import load_scenario
from simulation.uncertainties import sample_values, uncertainties, with_inputs

SCENARIOS = project_root() / "scenarios"


@pytest.fixture(scope="module")
def action_plan():
    return load_scenario(SCENARIOS / "action_plan.yaml")


def test_every_ranged_effect_and_the_calibration_are_listed_with_unit_and_basis(action_plan):
    found = {u.name: u for u in uncertainties(action_plan)}
    for lever in action_plan.measures:
        for source, effect in action_plan.levers[lever].effects.items():
            name = f"measures.{lever}.effects.{source}"
            assert (name in found) == (effect.low < effect.high), name
    skills = found["measures.skills_training.effects.wage"]
    assert (skills.low, skills.central, skills.high) == (3000, 6000, 10000)
    assert skills.unit == "yuan per household per year"
    assert skills.basis.startswith("assumption: gain of a trained worker")
    assert skills.file.endswith("measures.yaml")
    assert found["calibration.shift_persistence"].distribution == "beta"
    shared = found["calibration.property_drift_shift"]
    assert shared.distribution == "normal" and shared.sd > 0
    assert shared.sets == ("calibration.property_drift_shift", "calibration.transfer_drift_shift")
    assert "calibration.wage_drift_shift" in found
    assert all(u.basis.startswith(("source: ", "assumption: ")) for u in found.values())


def test_a_new_range_anywhere_in_the_catalogue_is_picked_up_without_code(tmp_path):
    """A take-up, a lever's own new parameter and a shock rate given ranges in the YAML."""
    folder = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    catalogue = yaml.safe_load((folder / "measures.yaml").read_text())
    skills = catalogue["measures"]["skills_training"]
    skills["take_up"] = {
        "central": 0.5,
        "low": 0.3,
        "high": 0.7,
        "unit": "share",
        "assumption": "test",
    }
    skills["county_budget"] = {
        "central": 5.0,
        "low": 2.0,
        "high": 9.0,
        "unit": "bn yuan",
        "source": "test source",
    }
    catalogue["shocks"]["village_disaster_rate"] = {
        "central": 0.02,
        "low": 0.01,
        "high": 0.04,
        "unit": "share of villages per year",
        "assumption": "test",
    }
    (folder / "measures.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    scenario = load_scenario(folder / "action_plan.yaml")
    found = {u.name: u for u in uncertainties(scenario)}
    assert found["measures.skills_training.take_up"].unit == "share"
    assert found["measures.skills_training.county_budget"].basis == "source: test source"
    assert found["shocks.village_disaster_rate"].high == 0.04
    fixed = with_inputs(
        scenario,
        {
            "measures.skills_training.take_up": 0.61,
            "measures.skills_training.county_budget": 7.5,
            "shocks.village_disaster_rate": 0.03,
        },
        list(found.values()),
    )
    lever = fixed.levers["skills_training"]
    assert lever.take_up.value == 0.61 and lever.take_up.low is None  # fixed: range cleared
    assert lever.extra["county_budget"].at(2023) == 7.5
    assert fixed.shocks["village_disaster_rate"].value == 0.03
    assert scenario.levers["skills_training"].take_up.central == 0.5  # the original unchanged
    assert {u.name for u in uncertainties(fixed)} == set(found) - {
        "measures.skills_training.take_up",
        "measures.skills_training.county_budget",
        "shocks.village_disaster_rate",
    }


def test_a_switched_off_lever_has_no_input(action_plan):
    names = {u.name for u in uncertainties(action_plan.without("skills_training"))}
    assert not any(n.startswith("measures.skills_training.") for n in names)


def test_quantiles_map_to_the_declared_distribution(action_plan):
    inputs = uncertainties(action_plan)
    quantiles = np.random.default_rng(0).random((20_000, len(inputs)))
    values = sample_values(inputs, quantiles)
    for j, u in enumerate(inputs):
        assert values[:, j].min() >= u.low - 1e-9 and values[:, j].max() <= u.high + 1e-9
        # The central value is each distribution's mean.
        assert values[:, j].mean() == pytest.approx(u.central, abs=0.02 * (u.high - u.low))


def test_an_effect_fixed_by_a_sample_is_what_the_model_uses(action_plan, population):
    from simulation.model import Province

    name = "measures.skills_training.effects.wage"
    fixed = with_inputs(action_plan, {name: 7777.0}, uncertainties(action_plan))
    model = Province(fixed, population, seed=3, draw_parameters=True, months=1)
    assert model.parameters["skills_training.wage"] == 7777.0

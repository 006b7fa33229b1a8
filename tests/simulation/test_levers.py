"""Levers dispatch on what their YAML declares, never on their names."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation import load_scenario
from simulation.levers import (
    CollectiveLever,
    HouseholdLever,
    PoolLever,
    VillageLever,
    strategy_for,
)
from simulation.model import Province

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def renamed_catalogue(tmp_path_factory) -> Path:
    """The shipped catalogue with the tourism lever renamed and a new lever of the same kind
    added: YAML only, no code."""
    folder = tmp_path_factory.mktemp("catalogue")
    shutil.copy(SCENARIOS / "calibration.yaml", folder / "calibration.yaml")
    catalogue = yaml.safe_load((SCENARIOS / "measures.yaml").read_text(encoding="utf-8"))
    measures = catalogue["measures"]
    measures["demonstration_villages"] = measures.pop("tourism_villages")
    homestays = copy.deepcopy(measures["demonstration_villages"])  # no YAML alias to it
    homestays["plan"] = "a county's own homestay programme (test fixture)"
    homestays["scale"] = {
        "unit": "villages per year",
        "values": {2022: 300, 2023: 300, 2024: 300},
        "assumption": "test fixture",
    }
    measures["homestay_villages"] = homestays
    (folder / "measures.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    (folder / "fixture.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "fixture",
                "description": "renamed and added village levers",
                "catalogue": "measures.yaml",
                "calibration": "calibration.yaml",
                "years": {"first": 2022, "last": 2024},
                "activate": ["demonstration_villages", "homestay_villages", "tourism_services"],
            }
        )
    )
    return folder / "fixture.yaml"


def test_strategy_follows_reach_and_effect_kind():
    scenario = load_scenario(SCENARIOS / "action_plan.yaml")
    kinds = {name: type(strategy_for(m)) for name, m in scenario.levers.items()}
    assert kinds["skills_training"] is HouseholdLever
    assert kinds["tourism_villages"] is VillageLever
    assert kinds["consumption_aid"] is PoolLever
    assert kinds["collective_assets"] is CollectiveLever


def test_a_renamed_lever_and_a_new_one_of_the_same_kind_need_only_yaml(
    renamed_catalogue, population
):
    scenario = load_scenario(renamed_catalogue)
    assert scenario.levers["homestay_villages"].marks == ("tourism_village",)
    model = Province(scenario, population, seed=4, months=12, draw_parameters=False)
    result = model.run()
    year = population.as_of + 1
    for lever in ("demonstration_villages", "homestay_villages"):
        chosen = model.choices[(lever, year)]
        assert len(chosen) > 0, lever
        assert model.villages.marked["tourism_village"][chosen].all(), lever
    # The households of the marked villages carry the flag the tourism services look for.
    marked = model.villages.marked["tourism_village"]
    assert 0 < marked.sum() < len(model.villages)  # marked are the chosen ones, not everyone
    state = model.household_state()
    np.testing.assert_array_equal(state["tourism_village"], marked[state["village"]])
    reach = result.reach.set_index(["measure", "year"])["households"]
    assert reach[("tourism_services", year)] > 0
    assert reach[("homestay_villages", year)] > 0


def test_marks_are_refused_where_they_cannot_apply(tmp_path):
    from simulation import ScenarioError

    shutil.copy(SCENARIOS / "calibration.yaml", tmp_path / "calibration.yaml")
    catalogue = yaml.safe_load((SCENARIOS / "measures.yaml").read_text(encoding="utf-8"))
    catalogue["measures"]["skills_training"]["marks"] = ["tourism_village"]
    (tmp_path / "measures.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "bad",
                "catalogue": "measures.yaml",
                "calibration": "calibration.yaml",
                "years": {"first": 2022, "last": 2024},
                "activate": [],
            }
        )
    )
    with pytest.raises(ScenarioError, match=r"measures.yaml: measures.skills_training.marks"):
        load_scenario(tmp_path / "bad.yaml")

"""The decision space as data: every lever's search block, its bounds' sources, a scenario's
narrowing, and the loader's refusals naming file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulation import ScenarioError, load_scenario
from simulation.optimize import DecisionSpace

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BAD = Path(__file__).parent / "bad_scenarios"


def test_every_lever_declares_its_search_with_a_basis_for_every_bound(action_plan):
    for name, lever in action_plan.levers.items():
        assert lever.search is not None, name
        if lever.search.scale is None:
            assert lever.search.fixed, name
            continue
        for bound in (lever.search.scale.low, lever.search.scale.high):
            assert bound.source or bound.assumption, name
        assert lever.search.scale.low.value <= lever.search.scale.high.value
    training = action_plan.levers["skills_training"].search.scale
    assert training.low.value == 600_000 and "action plan measure 7" in training.low.source
    assert action_plan.levers["one_to_one_assistance"].search.scale is None


def test_space_covers_active_levers_for_the_simulated_years(action_plan):
    space = DecisionSpace.from_scenario(action_plan, 2023)
    assert "skills_training.scale.2023" in space.names
    assert "skills_training.scale.2022" not in space.names  # the as-of year is the past
    assert "skills_training.priority" in space.names
    assert not any(d.measure == "transfers" for d in space.decisions)  # fixed entitlement
    floors = space.floors()
    mix = space.apply(floors, "chosen by optimize run test")
    scale = mix.levers["skills_training"].scale
    assert scale.at(2023) == 600_000 and scale.at(2022) == 600_000
    assert scale.assumption == "chosen by optimize run test"
    with pytest.raises(ValueError, match="outside"):
        space.apply({**floors, "skills_training.scale.2023": 10}, "x")


def test_a_scenario_narrows_the_space(tmp_path):
    path = tmp_path / "narrow.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "narrow",
                "base": str(SCENARIOS / "action_plan.yaml"),
                "search": {
                    "skills_training": {
                        "scale": {
                            "high": {"value": 900_000, "assumption": "a county budget"},
                            "per_year": False,
                        },
                        "priority": {"options": ["lowest_income"], "assumption": "poorest first"},
                    },
                    "workshops": {"scale": {"fixed": True, "assumption": "sites are full"}},
                },
            }
        )
    )
    scenario = load_scenario(path)
    scale = scenario.levers["skills_training"].search.scale
    assert (scale.low.value, scale.high.value, scale.per_year) == (600_000, 900_000, False)
    space = DecisionSpace.from_scenario(scenario, 2023)
    training = [d for d in space.decisions if d.measure == "skills_training"]
    assert [d.name for d in training] == ["skills_training.scale"]  # one value, no priority
    assert training[0].years == (2023, 2024) and training[0].high == 900_000
    workshops = [d.name for d in space.decisions if d.measure == "workshops"]
    assert workshops == ["workshops.priority"]  # its scale fixed, its priority still chosen


def test_priority_changes_as_a_sourced_rule(tmp_path):
    path = tmp_path / "poorest.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "poorest",
                "base": str(SCENARIOS / "action_plan.yaml"),
                "changes": {
                    "measures": {
                        "skills_training": {
                            "priority": {
                                "value": "lowest_income",
                                "unit": "rule",
                                "assumption": "poorest first",
                            }
                        }
                    }
                },
            }
        )
    )
    assert load_scenario(path).levers["skills_training"].priority == "lowest_income"


@pytest.mark.parametrize(
    ("file", "key", "fragment"),
    [
        (
            "search_widens_floor.yaml",
            "search.skills_training.scale.low",
            "below the catalogue's floor",
        ),
        ("search_unknown_measure.yaml", "search.magic_beans", "unknown measure"),
        ("search_fixed_lever.yaml", "search.transfers", "change nothing"),
        ("search_without_basis.yaml", "search.skills_training.scale.high", "source"),
        ("search_unknown_option.yaml", "search.skills_training.priority.options", "not among"),
        ("priority_without_basis.yaml", "measures.skills_training.priority", "source"),
    ],
)
def test_bad_narrowing_is_refused_naming_file_key_and_reason(file, key, fragment):
    with pytest.raises(ScenarioError) as error:
        load_scenario(BAD / file)
    assert error.value.file.name == file
    assert error.value.key == key
    assert fragment in error.value.reason


def _catalogue_with(tmp_path: Path, lever: str, search) -> Path:
    """The shipped catalogue and scenarios copied to ``tmp_path``, one search block replaced."""
    for name in ("no_measures.yaml", "calibration.yaml", "baseline.yaml"):
        (tmp_path / name).write_text((SCENARIOS / name).read_text(encoding="utf-8"))
    catalogue = yaml.safe_load((SCENARIOS / "measures.yaml").read_text(encoding="utf-8"))
    catalogue["measures"][lever]["search"] = search
    (tmp_path / "measures.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    return tmp_path / "baseline.yaml"


LOW = {"value": 10, "assumption": "a"}
HIGH = {"value": 20, "assumption": "b"}


@pytest.mark.parametrize(
    ("lever", "search", "key", "fragment"),
    [
        (
            "workshops",
            {"scale": {"unit": "jobs per year", "low": HIGH, "high": LOW}},
            "scale",
            "above high",
        ),
        (
            "workshops",
            {"scale": {"unit": "jobs", "low": LOW, "high": HIGH}},
            "scale.unit",
            "scale unit",
        ),
        ("workshops", {"scale": {"unit": "jobs per year", "low": LOW}}, "scale.high", "missing"),
        ("workshops", {"scope": 1}, "scope", "unknown key"),
        (
            "facilities",
            {"priority": {"options": ["random"], "assumption": "a"}},
            "priority",
            "households",
        ),
        (
            "one_to_one_assistance",
            {"scale": {"unit": "households per year", "low": LOW, "high": HIGH}},
            "scale",
            "'all'",
        ),
        ("workshops", {"scale": {"fixed": True}}, "scale", "source"),
    ],
)
def test_bad_catalogue_search_is_refused(tmp_path, lever, search, key, fragment):
    with pytest.raises(ScenarioError) as error:
        load_scenario(_catalogue_with(tmp_path, lever, search))
    assert error.value.file.name == "measures.yaml"
    assert error.value.key == f"measures.{lever}.search.{key}"
    assert fragment in error.value.reason

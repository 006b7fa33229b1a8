"""Sensitivity and discovery on the real simulation, on a fixture whose ranking is known:
two transfers, one with a wide effect range, one with a narrow one (:mod:`linear_fixture`).
Also: the same seed gives the same indices on one or two worker processes, the commands
write the files the web app reads, and a bad experiments file is refused with its reason."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from linear_fixture import EFFECT, write_fixture

from simulation import Population, load_scenario
from simulation.montecarlo import TargetTest
from simulation.sensitivity.analysis import run_sensitivity
from simulation.sensitivity.discovery import discover
from simulation.uncertainties import uncertainties
from zengshou.cli import main

WIDE, NARROW = "measures.cheap.effects.transfer", "measures.dear.effects.transfer"
ROW_KEYS = {"input", "unit", "basis", "mu_star", "mu_star_conf", "sigma"}
ROW_KEYS |= {"S1", "S1_conf", "ST", "ST_conf"}


def write_ranked_fixture(folder):
    """The linear fixture with both levers on in 2023-2024: ``cheap`` adds 0-80,000 yuan to
    its small pool, ``dear`` 39,900-40,100 yuan to every household."""
    path = write_fixture(folder)
    catalogue = yaml.safe_load((folder / "measures.yaml").read_text())
    for name, (low, high) in {"cheap": (0, 2 * EFFECT), "dear": (39_900, 40_100)}.items():
        lever = catalogue["measures"][name]
        lever["scale"]["values"] = {2022: 0, 2023: 10_000_000, 2024: 10_000_000}
        lever["effects"]["transfer"] |= {"low": low, "high": high}
    (folder / "measures.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def small(synthetic_panel):
    """300 households of the shared panel, as of 2022."""
    ids = synthetic_panel["household_id"].drop_duplicates().iloc[:300]
    return Population.from_panel(synthetic_panel[synthetic_panel["household_id"].isin(ids)], 2022)


@pytest.fixture(scope="module")
def fixture_path(tmp_path_factory):
    return write_ranked_fixture(tmp_path_factory.mktemp("ranked") / "fixture")


def test_the_wide_range_ranks_first_and_sobol_covers_the_top_inputs(fixture_path, small):
    scenario = load_scenario(fixture_path)
    assert {u.name for u in uncertainties(scenario)} == {WIDE, NARROW}
    found = run_sensitivity(
        scenario, small, "sobol", trajectories=4, top=2, samples=8, replications=2, seed=3
    )
    assert found.evaluations == 4 * 3 + 8 * 4  # Morris, then Saltelli's design on two inputs
    table = found.table("gap_2024")
    assert list(table.index) == [WIDE, NARROW]
    assert table.loc[WIDE, "mu_star"] > 20 * table.loc[NARROW, "mu_star"]
    # The gap is linear in both effects: the wide one carries about all of its variance
    # (about 1 - 1/60**2); eight base samples give a wide interval that must hold it.
    wide, narrow = table.loc[WIDE], table.loc[NARROW]
    assert wide["ST"] - wide["ST_conf"] <= 0.999 <= wide["ST"] + wide["ST_conf"]
    assert narrow["ST"] < 0.01 and narrow["S1"] < wide["S1"]
    assert table.loc[WIDE, "unit"] == "yuan per household per year"
    assert set(found.top) == {WIDE, NARROW}


def test_same_seed_same_indices_on_one_or_two_workers(fixture_path, small):
    scenario = load_scenario(fixture_path)
    tables = [
        run_sensitivity(
            scenario, small, trajectories=3, replications=2, seed=5, workers=workers
        ).table("gap_2024")
        for workers in (1, 2)
    ]
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_discovery_finds_the_wide_effect_where_the_target_is_met(fixture_path, small):
    # The narrow lever fixed where the gap is about zero at the wide one's central effect:
    # whether the target is met hinges on the wide effect (and on the macro path).
    scenario = load_scenario(fixture_path).with_value(NARROW, 21_560)
    result = TargetTest(scenario, replications=40, seed=2, attribution_replications=0).run(small)
    table = result.experiments
    found = discover(table, scenario, boxes=1)
    assert found.futures == 40 and found.share_met == table["target_met"].mean()
    assert 0.2 < found.share_met < 0.8
    box = found.boxes[0]
    limits = {limit.input: limit for limit in box.limits}
    assert WIDE in limits and limits[WIDE].low is not None  # more transfer, target met
    assert limits[WIDE].high is None
    assert box.density > found.share_met
    assert "yuan per household per year" in box.text()


def test_sensitivity_and_discover_commands_write_what_the_app_reads(fixture_path, tmp_path):
    runner = CliRunner()
    out = tmp_path / "sens"
    result = runner.invoke(
        main,
        ["simulate", "sensitivity", str(fixture_path), "--method", "morris", "--trajectories",
         "2", "--replications", "2", "--households", "300", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "sensitivity.json").read_text())
    assert {"scenario", "method", "households", "seed", "run_id", "outcomes"} <= set(data)
    assert data["method"] == "morris" and data["households"] == 300
    assert set(data["outcomes"]) == {"p_target_met", "gap_2024", "share_under_line"}
    for rows in data["outcomes"].values():
        assert {r["input"] for r in rows} == {WIDE, NARROW}
        assert all(ROW_KEYS <= set(r) and r["S1"] is None for r in rows)
    assert data["run_id"] in result.output and (out / "sensitivity.png").exists()

    runs = tmp_path / "discover"
    result = runner.invoke(
        main,
        ["simulate", "discover", str(fixture_path), "--replications", "20", "--households",
         "300", "--out", str(runs)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    boxes = json.loads((runs / "boxes.json").read_text())
    assert {"scenario", "run_id", "boxes"} <= set(boxes)
    for box in boxes["boxes"]:
        assert {"coverage", "density", "mass", "limits", "text"} <= set(box)
        assert all({"input", "unit", "low", "high"} <= set(limit) for limit in box["limits"])
    assert len(pd.read_parquet(runs / "experiments.parquet")) == 20

    # The same table read back: the same boxes; another scenario's table is refused.
    again = runner.invoke(
        main,
        ["simulate", "discover", str(fixture_path), "--experiments",
         str(runs / "experiments.parquet"), "--out", str(tmp_path / "again")],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "again" / "boxes.json").read_text())["boxes"] == boxes["boxes"]
    other = tmp_path / "other.parquet"
    pd.read_parquet(runs / "experiments.parquet").assign(scenario="baseline").to_parquet(other)
    refused = runner.invoke(
        main, ["simulate", "discover", str(fixture_path), "--experiments", str(other)]
    )
    assert refused.exit_code == 1
    assert f"{other}: scenario: holds ['baseline'], not 'linear'" in refused.output

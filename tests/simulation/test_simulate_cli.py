"""``zengshou simulate run`` and ``calibrate`` from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from zengshou.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_run_prints_monthly_means_and_annual_figure():
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "run",
            str(ROOT / "scenarios/action_plan.yaml"),
            "--households",
            "1500",
            "--seed",
            "1",
            "--months",
            "13",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Monthly per-capita income by source" in result.output
    assert "2024-01" in result.output and "2024 annual per-capita net income" in result.output


def test_run_refuses_a_bad_scenario_with_its_reason():
    bad = Path(__file__).parent / "bad_scenarios" / "share_above_one.yaml"
    result = CliRunner().invoke(main, ["simulate", "run", str(bad), "--households", "100"])
    assert result.exit_code != 0
    assert "take_up.value: share 90 outside [0, 1]" in result.output

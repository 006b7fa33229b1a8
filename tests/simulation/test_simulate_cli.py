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


def test_a_panel_files_population_is_cached_and_reused(synthetic_panel_file, tmp_path, monkeypatch):
    monkeypatch.setenv("ZENGSHOU_CACHE_DIR", str(tmp_path))
    args = ["simulate", "run", str(ROOT / "scenarios/baseline.yaml"), "--panel"]
    args += [synthetic_panel_file, "--seed", "2", "--months", "2"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    [stored] = tmp_path.glob("population-*.pickle")
    written = stored.stat().st_mtime_ns
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert second.output == first.output and stored.stat().st_mtime_ns == written

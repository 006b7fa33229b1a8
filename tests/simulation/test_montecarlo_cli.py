"""``zengshou simulate run --replications``, ``compare`` and ``backtest`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.provenance import file_fingerprint
from zengshou.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.slow
def test_run_with_replications_reports_writes_summary_and_records_the_run(tmp_path):
    import mlflow

    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "run",
            str(SCENARIOS / "action_plan.yaml"),
            "--replications",
            "3",
            "--seed",
            "7",
            "--households",
            "600",
            "--attribution-replications",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 3 and summary["seed"] == 7
    assert f"{100 * summary['p_target_met']:.0f} %" in result.output
    assert {p.name for p in out.glob("*.png")} == {
        "fan_chart.png",
        "composition.png",
        "attribution.png",
        "cost.png",
        "counties.png",
    }
    run_id = result.output.split("MLflow run ")[1].split()[0]
    run = mlflow.get_run(run_id)
    assert run.data.params["scenario_sha256.action_plan.yaml"] == file_fingerprint(
        SCENARIOS / "action_plan.yaml"
    )
    assert run.data.metrics["p_target_met"] == summary["p_target_met"]


def test_run_refuses_months_with_replications():
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "run",
            str(SCENARIOS / "baseline.yaml"),
            "--replications",
            "2",
            "--households",
            "300",
            "--months",
            "3",
        ],
    )
    assert result.exit_code != 0
    assert "--months cannot be combined with --replications" in result.output


@pytest.mark.slow
def test_compare_prints_a_side_by_side_table_and_writes_a_plot(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "compare",
            str(SCENARIOS / "baseline.yaml"),
            str(SCENARIOS / "transfers_only.yaml"),
            "--replications",
            "2",
            "--households",
            "600",
            "--attribution-replications",
            "0",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "P(target)" in result.output and "transfers_only vs baseline" in result.output
    assert (tmp_path / "comparison.png").exists()
    assert (tmp_path / "comparison.csv").read_text().startswith("scenario,p_target_met")

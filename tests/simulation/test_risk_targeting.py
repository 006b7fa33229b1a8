"""Risk targeting with the risk package's model, scored over the simulated households."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario, simulate
from simulation.model import Province
from simulation.risk import PanelRiskScorer


@pytest.fixture(scope="module")
def scorer(synthetic_panel):
    from forecast.risk import train_risk_model

    model, _ = train_risk_model(synthetic_panel, compare=False)
    return PanelRiskScorer(model, synthetic_panel, as_of=2022)


def test_scorer_gives_a_probability_per_household_in_population_order(scorer, population):
    state = {
        "weight": population.weight,
        "monitored": population.monitored,
        "year": 2023,
        "annual_history": {},
    }
    p = scorer(state)
    assert p.shape == (population.size,)
    assert ((p >= 0) & (p <= 1)).all()
    # Poorer households score higher on average.
    poor = population.income_per_capita() < np.quantile(population.income_per_capita(), 0.2)
    assert p[poor].mean() > p[~poor].mean()


def test_risk_targeting_runs_over_two_years_and_changes_who_is_enrolled(
    scorer, action_plan, population
):
    by_risk = Province(action_plan, population, seed=5, targeting="risk", risk_scorer=scorer)
    by_income = Province(action_plan, population, seed=5)
    risk_enrolled = by_risk.monitoring.enrol(2023)
    income_enrolled = by_income.monitoring.enrol(2023)
    assert risk_enrolled.any() and not np.array_equal(risk_enrolled, income_enrolled)
    result = simulate(
        action_plan, population, seed=5, targeting="risk", risk_scorer=scorer, months=13
    )
    assert list(result.annual.index) == [2023, 2024]  # the 2024 enrolment scored 2023's history


CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def panel_scorer(synthetic_panel):
    from simulation.risk import panel_risk_scorer

    return panel_risk_scorer(synthetic_panel, as_of=2022)


def test_scenario_with_risk_targeting_runs_and_differs_from_income_targeting(
    panel_scorer, action_plan, population
):
    by_risk = load_scenario(CASES / "risk_targeting.yaml")
    assert by_risk.targeting == "risk" and action_plan.targeting == "income"
    with pytest.raises(ValueError, match="needs a risk_scorer"):
        simulate(by_risk, population, seed=5, months=1)
    risk = simulate(by_risk, population, seed=5, risk_scorer=panel_scorer)
    income = simulate(action_plan, population, seed=5)
    assert list(risk.annual.index) == [2023, 2024]
    assert not risk.annual.equals(income.annual)
    # Same enrolment budget, different households: the monitoring cost is the same lever.
    assert risk.cost.query("measure == 'monitoring'")["cost_yuan"].gt(0).all()


def test_target_test_ships_the_fitted_scorer_to_worker_processes(
    panel_scorer, action_plan, population
):
    from simulation.montecarlo import TargetTest

    def run(workers):
        test = TargetTest(
            action_plan,
            replications=2,
            seed=3,
            attribution_replications=1,
            targeting="risk",
            risk_scorer=panel_scorer,
        )
        return test.run(population, workers=workers)

    inline, pooled = run(1), run(2)
    assert inline.scenario.targeting == "risk"
    for a, b in zip(inline.results, pooled.results, strict=True):
        pd.testing.assert_frame_equal(a.annual, b.annual)
    direct = simulate(
        action_plan.with_calibration_of(inline.results[0].parameters),  # its calibration draw
        population,
        seed=inline.seeds[0],
        targeting="risk",
        risk_scorer=panel_scorer,
        trend=inline.trends[0],  # the replication's own trend
    )
    pd.testing.assert_frame_equal(direct.annual, inline.results[0].annual)
    with pytest.raises(ValueError, match="targets by risk"):
        TargetTest(action_plan, replications=1, targeting="risk")


def test_cli_runs_risk_targeting_without_mlflow(monkeypatch):
    from click.testing import CliRunner

    from zengshou.cli import main

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    args = ["simulate", "run", str(CASES / "risk_targeting.yaml"), "--households", "1500"]
    result = CliRunner().invoke(main, [*args, "--months", "13"])
    assert result.exit_code == 0, result.output
    assert "2024 annual per-capita net income" in result.output
    override = CliRunner().invoke(
        main,
        ["simulate", "run", str(ROOT / "scenarios/action_plan.yaml"), "--households", "1500"]
        + ["--months", "2", "--targeting", "risk"],
    )
    assert override.exit_code == 0, override.output


def test_cli_registered_risk_model_missing_is_a_clear_error(mlflow_store):
    from click.testing import CliRunner

    from zengshou.cli import main

    args = ["simulate", "run", str(CASES / "risk_targeting.yaml"), "--households", "300"]
    result = CliRunner().invoke(main, [*args, "--months", "1", "--risk-model", "registered"])
    assert result.exit_code != 0
    assert "--risk-model registered:" in result.output

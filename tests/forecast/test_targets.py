"""The models of the 2024 target, their backtest and the choice between them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast import targets
from forecast.target_report import series_table, verdict
from forecast.targets import (
    FORECASTERS,
    MODELS,
    backtest_targets,
    choose_model,
    model_table,
)
from zengshou.cli import main

COMMON = "national_rural_disposable"  # the common series named in data/macro.yaml
FORECAST_COLUMNS = ["mean", "lower_80", "upper_80", "lower_95", "upper_95"]


def _series(values: dict[int, float], name: str) -> pd.Series:
    return pd.Series(values, name=name, dtype=float).rename_axis("year")


@pytest.fixture(scope="module")
def invented() -> dict[str, pd.Series]:
    """A common series and two populations, invented, with values for 2023 and 2024 too."""
    growth = [0.11, 0.09, 0.085, 0.088, 0.09, 0.095, 0.07, 0.10, 0.065, 0.07, 0.068]
    levels = 9000 * np.exp(np.r_[0, np.cumsum(growth)])
    common = _series(dict(zip(range(2013, 2025), levels, strict=True)), COMMON)
    # A catches up 2 % a year over the common series; B 4 %, published with gaps.
    a = {
        y: common[y] * 0.8 * np.exp(0.02 * (y - 2016) + 0.005 * (-1) ** y)
        for y in range(2016, 2025)
    }
    b_years = [2015, 2018, 2020, 2021, 2022, 2023, 2024]
    b = {y: common[y] * 0.5 * np.exp(0.04 * (y - 2015) - 0.004 * (-1) ** y) for y in b_years}
    return {
        COMMON: common,
        "population_a": _series(a, "population_a"),
        "population_b": _series(b, "population_b"),
    }


@pytest.fixture(scope="module")
def invented_backtest(invented) -> pd.DataFrame:
    return backtest_targets(invented)


@pytest.fixture(scope="module")
def shipped_backtest() -> pd.DataFrame:
    """The backtest on the published series as of 2022 (the plan's vantage year)."""
    return backtest_targets(until=2022)


def test_backtest_has_every_model_at_both_horizons_and_later_years(invented_backtest) -> None:
    got = invented_backtest.groupby("horizon")["model"].unique()
    assert {h: set(models) for h, models in got.items()} == {1: set(MODELS), 2: set(MODELS)}
    assert {2023, 2024} <= set(invented_backtest["year"])
    assert (
        invented_backtest["year"] == invented_backtest["origin"] + invented_backtest["horizon"]
    ).all()


def test_backtest_never_reads_a_value_after_the_origin(invented, invented_backtest) -> None:
    origin = 2019
    poisoned = {
        name: values.where(values.index <= origin, 1e9 * (1 + values.index % 3))
        for name, values in invented.items()
    }
    again = backtest_targets(poisoned)
    keys = ["series", "origin", "horizon", "model"]
    before = invented_backtest[invented_backtest["origin"] <= origin].set_index(keys).sort_index()
    after = again[again["origin"] <= origin].set_index(keys).sort_index()
    assert origin in before.index.get_level_values("origin")
    assert set(before.loc[(slice(None), origin), :].index.get_level_values("model")) == set(MODELS)
    assert before.index.equals(after.index)
    pd.testing.assert_frame_equal(before[FORECAST_COLUMNS], after[FORECAST_COLUMNS])
    assert (after["actual"] > 1e8).any()  # the poison was there to be read


def test_macro_recovers_a_constant_premium_over_the_common_series() -> None:
    years = range(2013, 2023)
    common = _series({y: 10000 * np.exp(0.07 * (y - 2013)) for y in years}, COMMON)
    exact = _series({y: 6000 * np.exp(0.10 * (y - 2013)) for y in years}, "exact")
    # A noisy population too, so the premium noise variance is not zero.
    noisy = _series(
        {y: 5000 * np.exp(0.12 * (y - 2013) + 0.003 * (-1) ** y) for y in years}, "noisy"
    )
    data = {COMMON: common, "exact": exact, "noisy": noisy}
    table = FORECASTERS["macro"](data, "exact", 2022, 2024)
    truth = 6000 * np.exp(0.10 * (np.array([2023, 2024]) - 2013))
    np.testing.assert_allclose(table.loc[[2023, 2024], "mean"], truth, rtol=0.005)
    assert (table["lower_80"] < table["mean"]).all() and (table["mean"] < table["upper_80"]).all()


def _hand_backtest(scores: dict[int, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """Ten cases per horizon; each model's (absolute error, 80 % coverage) as given."""
    rows = []
    for horizon, by_model in scores.items():
        for model, (abs_error, coverage) in by_model.items():
            for case in range(10):
                actual = 1000.0 + case
                rows.append(
                    {
                        "series": "s",
                        "origin": 2010 + case,
                        "horizon": horizon,
                        "model": model,
                        "year": 2010 + case + horizon,
                        "actual": actual,
                        "mean": actual + abs_error,
                        "error": abs_error / actual,
                        "covered_80": case < round(10 * coverage),
                        "covered_95": True,
                    }
                )
    return pd.DataFrame(rows)


def test_choose_model_takes_the_lowest_h2_mae_among_calibrated_models() -> None:
    backtest = _hand_backtest(
        {
            # At horizon 1, drift would win: the choice must read horizon 2.
            1: {
                "drift": (1, 0.8),
                "macro": (50, 0.8),
                "ratio": (60, 0.8),
                "local_trend": (70, 0.8),
            },
            # macro has the lowest MAE but its 80 % intervals cover everything.
            2: {
                "drift": (40, 0.8),
                "macro": (10, 1.0),
                "ratio": (30, 0.7),
                "local_trend": (20, 0.5),
            },
        }
    )
    choice = choose_model(backtest)
    assert choice.model == "ratio"
    assert "among models with 80 % coverage" in choice.rule
    assert model_table(backtest).loc[(2, "ratio"), "mae"] == pytest.approx(30)
    judged = verdict(choice)
    assert judged.beats_baseline and judged.calibrated and judged.passed


def test_choose_model_falls_back_to_the_lowest_mae_when_none_is_calibrated() -> None:
    backtest = _hand_backtest(
        {2: {"drift": (40, 1.0), "macro": (10, 0.5), "ratio": (30, 1.0), "local_trend": (20, 0.6)}}
    )
    choice = choose_model(backtest)
    assert choice.model == "macro"
    assert "no model had 80 % coverage" in choice.rule
    assert not verdict(choice).passed


def test_series_table_compares_models_on_the_origins_they_share() -> None:
    backtest = _hand_backtest({2: {"drift": (40, 0.8), "macro": (10, 0.8)}})
    # ratio forecasts only the last origin, with a huge error: the row keeps that origin only.
    extra = backtest[(backtest["model"] == "macro") & (backtest["origin"] == 2019)]
    backtest = pd.concat([backtest, extra.assign(model="ratio", mean=extra["actual"] + 500)])
    table = series_table(backtest)
    assert table.loc["s", "cases"] == 1
    assert table.loc["s", ["drift", "macro", "ratio"]].tolist() == pytest.approx([40, 10, 500])


def test_shipped_data_as_of_2022_chooses_macro_and_it_beats_drift(shipped_backtest) -> None:
    choice = choose_model(shipped_backtest, until=2022)
    assert choice.model == "macro"
    judged = verdict(choice)
    assert judged.beats_baseline and judged.calibrated, judged.sentence()
    assert (shipped_backtest["year"] <= 2022).all()


@pytest.fixture
def reuse_shipped_backtest(shipped_backtest, monkeypatch) -> list[dict]:
    """Make the CLI reuse the module's backtest; returns the arguments it was called with."""
    calls = []

    def backtest(data=None, until=None, **options):
        calls.append({"data": data, "until": until, **options})
        return shipped_backtest

    monkeypatch.setattr(targets, "backtest_targets", backtest)
    return calls


def test_cli_backtest_writes_the_choice_and_logs_a_run(
    reuse_shipped_backtest, shipped_backtest, mlflow_store, tmp_path
) -> None:
    import mlflow

    out = tmp_path / "out.json"
    args = ["forecast", "targets", "--backtest", "--until", "2022", "--json", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "model table" in result.output and "MAE (yuan) by series at horizon 2" in result.output
    assert "verdict: macro beats drift" in result.output
    (call,) = reuse_shipped_backtest
    assert call["until"] == 2022 and call["horizons"] == (1, 2)
    assert max(int(s.index.max()) for s in call["data"].values()) <= 2022

    written = json.loads(out.read_text())
    assert written["choice"]["model"] == "macro" and written["verdict"]["passed"]
    assert len(written["cases"]) == len(shipped_backtest)
    assert {(r["horizon"], r["model"]) for r in written["model_table"]} == {
        (h, m) for h in (1, 2) for m in MODELS
    }

    mlflow.set_tracking_uri(mlflow_store)
    (run,) = mlflow.search_runs(experiment_names=["forecast-targets"], output_format="list")
    assert run.data.params["chosen_model"] == "macro"
    assert run.data.params["until"] == "2022" and run.data.params["data_fingerprint"]
    assert run.data.metrics["h2_mae_macro"] < run.data.metrics["h2_mae_drift"]
    assert 0.7 <= run.data.metrics["h2_coverage_80_macro"] <= 0.9
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"model_table.csv", "cases.csv", "choice.json"} <= artifacts


def test_cli_without_backtest_prints_each_models_2024_forecast(reuse_shipped_backtest) -> None:
    result = CliRunner().invoke(main, ["forecast", "targets", "--until", "2022", "--no-track"])
    assert result.exit_code == 0, result.output
    assert "national_net_income_alleviated" in result.output
    assert "yunnan_net_income_alleviated" in result.output
    assert " * macro        2024:" in result.output
    assert "chosen model: macro" in result.output and "MLflow run" not in result.output

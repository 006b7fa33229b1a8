"""The registered model: versions and the champion alias, loading as a self-contained pyfunc."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version as package_version

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast import tracking
from forecast.risk import HistoryError
from forecast.risk.policy import risk_policy
from zengshou.cli import main


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One MLflow store for the read-only tests of this module."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('risk-store') / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        yield uri


@pytest.fixture(scope="module")
def registered(trained, synthetic_panel, store):
    model, metrics = trained
    version = tracking.register_risk_model(model, metrics, panel=synthetic_panel)
    assert version == "1"
    return model, version


def test_champion_loads_as_pyfunc_and_scores_like_the_model(registered, recent):
    model, _ = registered
    loaded = mlflow.pyfunc.load_model("models:/household-risk@champion")
    rows = recent[recent["household_id"].isin(recent["household_id"].unique()[:200])]
    pd.testing.assert_frame_equal(loaded.predict(rows), model.score(rows))


def test_description_reports_training_date_metrics_signature_and_line(registered):
    description = tracking.describe_registered_model()
    assert description["trained_at"] and description["line_version"] == "2026.11-1"
    assert description["label"] == "below_line" and description["kind"] == "logistic"
    assert 0.9 < description["metrics"]["auc"] <= 1
    assert description["params"]["train_until"] == "2020"
    assert float(description["tags"]["metric.ece"]) <= 0.02
    required = {c["name"] for c in description["input_columns"] if c["required"]}
    assert {"household_id", "year", "wage_income"} <= required
    assert "weight" not in required

    assert description["policy_version"] == risk_policy().version
    # Registration finished: every required tag, the model files, and `validated` last.
    assert description["validated"] >= description["trained_at"]
    assert tracking.risk_version_problems(description["version"]) == []
    assert description["params"]["policy.band_edges"] == str(risk_policy().band_edges)


def test_model_has_example_pinned_requirements_and_typed_inputs(registered):
    uri = "models:/household-risk@champion"
    info = mlflow.models.Model.load(uri)
    example = info.load_input_example(mlflow.artifacts.download_artifacts(uri))
    assert example is not None and example["household_id"].nunique() == 2
    requirements = mlflow.pyfunc.get_model_dependencies(uri)
    with open(requirements, encoding="utf-8") as handle:
        assert f"zengshou=={package_version('zengshou')}" in handle.read().split()
    types = {c.name: str(c.type).removeprefix("DataType.") for c in info.get_input_schema().inputs}
    assert types["wage_income"] == "double" and types["household_id"] == "string"
    assert types["year"] == "long" and types["relocated"] == "boolean"
    assert types["key_county"] == types["shock_illness"] == "Any"
    loaded = mlflow.pyfunc.load_model(uri)
    with pytest.raises(mlflow.exceptions.MlflowException, match="wage_income"):
        loaded.predict(example.assign(wage_income="a lot"))


def test_loads_without_the_project_files(registered, recent, tmp_path, store):
    """Load and score in a fresh process whose project root has no data/ directory."""
    rows = recent[recent["household_id"].isin(recent["household_id"].unique()[:5])]
    rows.to_parquet(tmp_path / "rows.parquet")
    script = (
        "import mlflow, pandas as pd, json;"
        "m = mlflow.pyfunc.load_model('models:/household-risk@champion');"
        f"s = m.predict(pd.read_parquet({str(tmp_path / 'rows.parquet')!r}));"
        "print(json.dumps(s['probability'].tolist()))"
    )
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {"MLFLOW_TRACKING_URI": store, "ZENGSHOU_HOME": str(empty), "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    probabilities = json.loads(done.stdout.strip().splitlines()[-1])
    assert probabilities == pytest.approx(registered[0].score(rows)["probability"].tolist())


def test_cli_trains_registers_promotes_and_scores(synthetic_panel_file, mlflow_store, tmp_path):
    runner = CliRunner()
    trained = runner.invoke(main, ["risk", "train", "--panel", synthetic_panel_file])
    assert trained.exit_code == 0, trained.output
    assert "Registered household-risk version 1 (logistic); champion is version 1" in (
        trained.output
    )
    assert "logistic" in trained.output and "boosting" in trained.output
    again = runner.invoke(
        main, ["risk", "train", "--panel", synthetic_panel_file, "--kind", "boosting"]
    )
    assert "version 2 (boosting); champion is version 1" in again.output, again.output
    promoted = runner.invoke(main, ["risk", "promote", "2"])
    assert promoted.exit_code == 0 and "version 2" in promoted.output
    missing = runner.invoke(main, ["risk", "promote", "9"])
    assert missing.exit_code != 0 and "no version '9' (versions: [1, 2])" in missing.output
    described = json.loads(runner.invoke(main, ["risk", "describe"]).output)
    assert described["version"] == "2" and described["kind"] == "boosting"
    out = tmp_path / "scores.csv"
    scored = runner.invoke(
        main, ["risk", "score", "--panel", synthetic_panel_file, "--out", str(out), "--top", "3"]
    )
    assert scored.exit_code == 0, scored.output
    english = pd.read_csv(out)
    assert len(english) == 3000
    # --lang zh: the printed and written reasons in Chinese, the codes as they were
    chinese_out = tmp_path / "scores_zh.parquet"
    scored = runner.invoke(
        main,
        [
            "--lang",
            "zh",
            "risk",
            "score",
            "--panel",
            synthetic_panel_file,
            "--out",
            str(chinese_out),
        ],
    )
    assert scored.exit_code == 0, scored.output
    assert re.search("[\u4e00-\u9fff]{4}", scored.output.split("\n", 2)[-1]), scored.output
    chinese = pd.read_parquet(chinese_out)
    assert chinese.columns.tolist() == english.columns.tolist()  # columns stay English
    said = chinese["reasons"].explode().dropna()
    assert len(said) and said.map(lambda r: bool(re.search("[\u4e00-\u9fff]", r))).all()
    assert (
        chinese["reason_codes"].map("; ".join).fillna("").tolist()
        == english["reason_codes"].fillna("").tolist()
    )


def test_cli_refuses_a_panel_that_does_not_exist(tmp_path, mlflow_store):
    result = CliRunner().invoke(main, ["risk", "train", "--panel", str(tmp_path / "no.parquet")])
    assert result.exit_code != 0 and "no.parquet" in result.output


def test_pyfunc_passes_on_field_level_errors(registered, recent):
    loaded = mlflow.pyfunc.load_model("models:/household-risk@champion")
    rows = recent[recent["household_id"] == recent["household_id"].iloc[0]].copy()
    rows.loc[rows.index[-1], "key_county"] = None
    with pytest.raises(HistoryError, match=r"row 4 .*key_county is missing"):
        loaded.predict(rows)

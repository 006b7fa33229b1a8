"""Models go to MLflow without warnings a user cannot act on: logged as code (no CloudPickle
notice), with a signature that says which columns may hold missing values (no integer-schema
hint), and the CLI prints neither MLflow's notes nor its copy bar."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.types import DataType
from mlflow.types.schema import AnyType

from forecast import tracking
from forecast.forecasters import make_forecaster
from forecast.forecasters.pyfunc import forecaster_signature
from forecast.risk import train_risk_model


@pytest.fixture
def mlflow_warnings():
    """Warnings and MLflow log records of WARNING or above, while a test runs."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logger = logging.getLogger("mlflow")  # mlflow's loggers do not propagate to the root
    logger.addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield records, caught
    logger.removeHandler(handler)


def _user_facing(caught) -> list[str]:
    # Deprecations inside libraries are for their authors; Python hides them from users.
    return [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]


def test_forecaster_and_risk_model_are_logged_as_code_without_warnings(
    synthetic_panel, mlflow_store, mlflow_warnings
) -> None:
    records, caught = mlflow_warnings
    keys = dict(id_col="household_id", time_col="year", target="net_income_per_capita")
    forecaster = make_forecaster("drift", **keys).fit(synthetic_panel)
    tracking.log_forecast_training(forecaster, synthetic_panel)
    model, metrics = train_risk_model(synthetic_panel)
    version = tracking.register_risk_model(model, metrics, panel=synthetic_panel)
    assert not [r.getMessage() for r in records]
    assert not _user_facing(caught)
    info = mlflow.models.get_model_info(f"models:/{tracking.RISK_MODEL_NAME}/{version}")
    flavor = info.flavors["python_function"]
    assert flavor["model_code_path"].endswith("logged_model.py") and "python_model" not in flavor
    loaded = tracking.load_risk_model(version=version)
    scored = loaded.predict(synthetic_panel[synthetic_panel["year"] >= 2020].head(30))
    assert list(scored.columns[:3]) == ["household_id", "score_year", "probability"]


def test_forecaster_signature_types_nullable_columns_as_any() -> None:
    forecaster = make_forecaster("drift", id_col="unit", time_col="year", target="y")
    example = pd.DataFrame(
        {
            "unit": ["a"] * 4,
            "year": [2019, 2020, 2021, 2022],
            "y": [1.0, 2.0, 3.0, 4.0],
            "age": pd.array([30, None, 32, 33], dtype="Int64"),
        }
    )
    forecaster.fit(example)
    signature = forecaster_signature(forecaster, example)
    kinds = {spec.name: spec.type for spec in signature.inputs.inputs}
    assert kinds["year"] == DataType.long and kinds["y"] == DataType.double
    assert kinds["unit"] == DataType.string and isinstance(kinds["age"], AnyType)
    assert signature.params.params[0].name == "horizon"


@pytest.mark.integration
def test_risk_train_prints_nothing_but_its_bars_on_stderr(synthetic_panel_file, tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "ZENGSHOU_PROGRESS": "1",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [
            Path(sys.executable).parent / "zengshou",
            "risk",
            "train",
            "--panel",
            synthetic_panel_file,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert lines and all(line.startswith(("risk model", "MLflow record")) for line in lines), lines

"""The registered model: an MLflow pyfunc wrapping :meth:`RiskModel.score`, and what MLflow
records with it (signature, input example, input columns, pinned requirements).

The fitted :class:`~forecast.risk.models.RiskModel` is stored as one joblib artifact inside the
MLflow run and the wrapper is logged as code (:data:`MODEL_CODE`, MLflow's "models from
code"); loading needs nothing but that artifact and the installed ``forecast`` package. It
is not an sklearn-flavour model, so MLflow's skops loader (and its trusted-types list) is not
involved. :mod:`forecast.tracking` logs and registers it. Import this module only where MLflow
is wanted: it imports mlflow.
"""

from __future__ import annotations

from importlib.metadata import version as package_version
from pathlib import Path

import joblib
import mlflow.pyfunc
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, DataType, Schema
from mlflow.types.schema import AnyType, Array

from forecast.risk.features import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from forecast.schema import COLUMNS
from forecast.synthetic import synthesize_panel

ARTIFACT = "risk_model"  # artifact key of the joblib file
# What MLflow logs as the model's code ("models from code": nothing pickled but the fitted
# model, which the artifact holds).
MODEL_CODE = str(Path(__file__).with_name("logged_model.py"))


class RiskPyfunc(mlflow.pyfunc.PythonModel):
    """``predict(rows)`` = ``RiskModel.score(rows)``: one scoring path for every caller."""

    def load_context(self, context) -> None:
        self.model = joblib.load(context.artifacts[ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Score household history rows (see :meth:`forecast.risk.RiskModel.score`)."""
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.model.score(model_input)


def risk_input_columns() -> list[dict[str, object]]:
    """Panel columns as the risk model sees them: name, type, unit, required, used.

    Every schema column may be sent; ``used`` ones enter the features and ``required`` ones
    must be present and non-missing.
    """
    used = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    return [
        {
            "name": c.name,
            "type": c.kind,
            "unit": c.unit,
            "required": c.name in REQUIRED_COLUMNS,
            "used": c.name in used,
        }
        for c in COLUMNS
    ]


# Input columns MLflow cannot type without refusing the panel's own dtypes: a pandas
# categorical is refused for a string column ("cannot safely convert category"), and the
# nullable Int64 / boolean columns fail on a missing value ("cannot convert NA to integer",
# "cannot convert float NaN to bool"). These stay ``Any``; the pyfunc checks them itself and
# names row, field and reason.
_UNTYPED_KINDS = ("category",)
_UNTYPED_COLUMNS = ("head_age", "shock_illness", "shock_disaster")


def risk_signature() -> ModelSignature:
    """MLflow signature of the risk pyfunc: panel rows in, one row per household out.

    Strings, integers, floats and non-nullable booleans are typed, so MLflow enforces them;
    categorical and nullable columns are ``Any`` (see ``_UNTYPED_COLUMNS``). Floats are
    doubles: MLflow refuses integer values for them, so send incomes as floats (the panel's
    own dtype). The full types are in :func:`risk_input_columns`.
    """
    kinds = {"str": DataType.string, "int": DataType.long, "float": DataType.double}
    kinds["bool"] = DataType.boolean
    inputs = []
    for c in risk_input_columns():
        untyped = c["type"] in _UNTYPED_KINDS or c["name"] in _UNTYPED_COLUMNS
        kind = AnyType() if untyped else kinds[c["type"]]
        inputs.append(ColSpec(kind, c["name"], required=c["required"]))
    outputs = [
        ColSpec(DataType.string, "household_id"),
        ColSpec(DataType.long, "score_year"),
        ColSpec(DataType.double, "probability"),
        ColSpec(DataType.string, "band"),
        ColSpec(DataType.boolean, "flag"),
        ColSpec(Array(DataType.string), "reasons"),
        ColSpec(DataType.double, "line_yuan"),
        ColSpec(DataType.string, "line_version"),
        # {"code", "key", "fields"} per reason: fields vary with the reason, so untyped.
        ColSpec(AnyType(), "reason_details"),
    ]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def risk_input_example() -> pd.DataFrame:
    """Raw history rows of two synthetic households (last three years): the model's example."""
    panel = synthesize_panel(2, seed=0, as_of=2022)
    return panel[panel["year"] >= 2020].reset_index(drop=True)


def risk_pip_requirements() -> list[str]:
    """Pinned requirements of the risk pyfunc: this package (it holds the scoring code; no
    ``code_paths``, which would shadow the installed package inside a running service) and the
    packages its scoring imports."""
    packages = ("zengshou", "mlflow", "numpy", "pandas", "scikit-learn", "joblib", "pyyaml")
    return [f"{p}=={package_version(p)}" for p in packages] + [
        f"threadpoolctl=={package_version('threadpoolctl')}"
    ]

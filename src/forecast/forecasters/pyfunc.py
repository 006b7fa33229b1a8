"""The panel forecasters as an MLflow pyfunc, and what MLflow records with them.

A fitted forecaster is saved with joblib and wrapped by :class:`PanelForecasterModel`
(logged as code, :data:`MODEL_CODE`); ``predict(history, params={"horizon": h})`` is the
forecaster's own ``predict``. The input example (the full history of a few units) and the
signature (the example's and its forecast's column types, written out) belong here, next to the forecasters; :mod:`forecast.tracking` only logs
them. The joblib artifact is written and read only by zengshou: load models only from stores
you trust, as with any pickle. Import this module only where MLflow is wanted: it imports
mlflow.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import mlflow.pyfunc
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema
from mlflow.types.schema import AnyType

ARTIFACT = "forecaster"  # artifact key of the joblib file
# What MLflow logs as the model's code ("models from code": nothing pickled but the fitted
# forecaster, which the artifact holds).
MODEL_CODE = str(Path(__file__).with_name("logged_model.py"))


class PanelForecasterModel(mlflow.pyfunc.PythonModel):
    """``predict(history, params={"horizon": h})`` = the forecaster's ``predict``."""

    def load_context(self, context) -> None:
        self.forecaster = joblib.load(context.artifacts[ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):
        horizon = int((params or {}).get("horizon", 1))
        return self.forecaster.predict(model_input, horizon=horizon)


def forecaster_columns(forecaster) -> list[str]:
    """Panel columns a forecaster reads (target, parts of a total, covariates)."""
    columns = list(getattr(forecaster, "components", None) or [forecaster.target])
    return columns + list(forecaster.features or [])


def forecaster_input_example(forecaster, panel: pd.DataFrame, *, n_units: int = 3) -> pd.DataFrame:
    """The full history of the first ``n_units`` units, in the columns the forecaster reads."""
    id_col = forecaster.id_col
    units = panel[id_col].drop_duplicates().iloc[:n_units]
    example = panel[panel[id_col].isin(units)].reset_index(drop=True)
    columns = [id_col, forecaster.time_col, *forecaster_columns(forecaster)]
    example = example[[c for c in dict.fromkeys(columns) if c in example.columns]]
    return _plain_dtypes(example)


def forecaster_signature(forecaster, example: pd.DataFrame, *, horizon: int = 1) -> ModelSignature:
    """Signature of ``example``'s columns and its forecast's, ``horizon`` as a parameter.

    Each column's type is written out from its dtype rather than inferred by MLflow, so
    that columns that may hold missing values are said to: integer columns are ``long``
    (ids, periods and counts, which a panel has for every row), pandas' nullable columns
    (``Int64``, ``boolean``) are ``Any``, since MLflow cannot enforce an integer or boolean
    type on a missing value.
    """
    output = _plain_dtypes(forecaster.predict(example, horizon=horizon))
    return ModelSignature(
        inputs=_schema(example),
        outputs=_schema(output),
        params=ParamSchema([ParamSpec("horizon", DataType.long, int(horizon))]),
    )


def _schema(frame: pd.DataFrame) -> Schema:
    return Schema([ColSpec(_column_type(frame[c]), str(c)) for c in frame.columns])


def _column_type(column: pd.Series):
    dtype = column.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biu":
        return AnyType()  # nullable: a missing value has no integer or boolean form
    if pd.api.types.is_bool_dtype(dtype):
        return DataType.boolean
    if pd.api.types.is_integer_dtype(dtype):
        return DataType.long
    if pd.api.types.is_float_dtype(dtype):
        return DataType.double
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DataType.datetime
    return DataType.string


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories and pyarrow strings as plain objects, which MLflow's schemas understand."""
    converted = {
        c: frame[c].astype(object)
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(frame[c])
    }
    return frame.assign(**converted) if converted else frame

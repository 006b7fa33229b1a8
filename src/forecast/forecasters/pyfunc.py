"""The panel forecasters as an MLflow pyfunc, and what MLflow records with them.

A fitted forecaster is saved with joblib and wrapped by :class:`PanelForecasterModel`;
``predict(history, params={"horizon": h})`` is the forecaster's own ``predict``. The input
example (the full history of a few units) and the signature (inferred from the example and
the forecast it gives) belong here, next to the forecasters; :mod:`forecast.tracking` only logs
them. The joblib artifact is written and read only by zengshou: load models only from stores
you trust, as with any pickle. Import this module only where MLflow is wanted: it imports
mlflow.
"""

from __future__ import annotations

import joblib
import mlflow.pyfunc
import pandas as pd
from mlflow.models import ModelSignature, infer_signature

ARTIFACT = "forecaster"  # artifact key of the joblib file


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
    """Signature inferred from ``example`` and its forecast, ``horizon`` as a parameter."""
    output = _plain_dtypes(forecaster.predict(example, horizon=horizon))
    return infer_signature(example, output, params={"horizon": int(horizon)})


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories and pyarrow strings as plain objects, which MLflow's schemas understand."""
    converted = {
        c: frame[c].astype(object)
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(frame[c])
    }
    return frame.assign(**converted) if converted else frame

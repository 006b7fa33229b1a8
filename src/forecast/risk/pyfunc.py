"""The registered model: an MLflow pyfunc wrapping :meth:`RiskModel.score`.

The fitted :class:`~forecast.risk.models.RiskModel` is stored as one joblib artifact inside the
MLflow run; loading needs nothing but that artifact and the installed ``forecast`` package. It
is not an sklearn-flavour model, so MLflow's skops loader (and its trusted-types list) is not
involved. Import this module only where MLflow is wanted: it imports mlflow.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

ARTIFACT = "risk_model"  # artifact key of the joblib file


class RiskPyfunc(mlflow.pyfunc.PythonModel):
    """``predict(rows)`` = ``RiskModel.score(rows)``: one scoring path for every caller."""

    def load_context(self, context) -> None:
        import joblib

        self.model = joblib.load(context.artifacts[ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Score household history rows (see :meth:`forecast.risk.RiskModel.score`)."""
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.model.score(model_input)

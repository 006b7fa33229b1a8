"""Load the registered risk model from MLflow (through :mod:`forecast.tracking`)."""

from __future__ import annotations

import pandas as pd
from mlflow.exceptions import MlflowException

from api.model import ServedModel
from api.settings import Settings
from forecast import tracking


def load_registered_model(settings: Settings) -> ServedModel:
    """Load ``models:/<model_name>@<model_alias>`` with what the service reports about it.

    The alias is resolved to a version first and that version loaded, so the version reported
    is the version serving even if the alias moves meanwhile.

    Scoring calls the pyfunc's own ``predict`` on the unwrapped python model: the same code as
    ``PyFuncModel.predict`` without MLflow's per-call input conversion, which the service's
    strict schema and panel dtypes make redundant and which costs more than the model itself
    for one household. The integration test checks both give identical scores.
    """
    version = tracking.risk_alias_version(settings.model_alias, name=settings.model_name)
    loaded = tracking.load_risk_model(name=settings.model_name, version=version)
    about = tracking.describe_registered_model(version=version, name=settings.model_name)
    training = {
        key: str(about[key])
        for key in ("label", "kind", "train_until", "evaluate_year", "code_version")
        if about.get(key) is not None
    }
    if fingerprint := about.get("params", {}).get("data_fingerprint"):
        training["data_fingerprint"] = fingerprint
    return ServedModel(
        name=settings.model_name,
        version=version,
        alias=settings.model_alias,
        predict=direct_predict(loaded),
        run_id=about.get("run_id"),
        training_date=about.get("trained_at"),
        metrics={k: float(v) for k, v in about.get("metrics", {}).items()},
        line_version=str(about.get("line_version") or ""),
        training=training,
        last_years=_last_years(loaded),
    )


def alias_version(settings: Settings) -> str:
    """Return the version ``settings.model_alias`` points at now (one registry query)."""
    return tracking.risk_alias_version(settings.model_alias, name=settings.model_name)


def direct_predict(loaded):
    """Return ``predict(frame)`` calling the python model directly when it is a PythonModel."""
    try:
        python_model = loaded.unwrap_python_model()
    except (AttributeError, MlflowException):  # not a PythonModel: keep MLflow's path
        return loaded.predict

    def predict(frame: pd.DataFrame) -> pd.DataFrame:
        return python_model.predict(None, frame)

    return predict


def _last_years(loaded) -> tuple[int, int] | None:
    """Latest history years the model's monitoring line can score (the year and the next)."""
    try:
        line = loaded.unwrap_python_model().model.line_
        return int(line.first_year), int(line.last_year) - 1
    except AttributeError:
        return None

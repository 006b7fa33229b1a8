"""Load the registered risk model from MLflow (through :mod:`forecast.tracking`).

Every load and every alias check opens the store afresh (a store file moved or restored from a
backup is seen at once, not through connections opened before), refuses a store that does not
exist (MLflow would create an empty one), and refuses a version whose registration did not
finish (``tracking.risk_version_problems``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
from mlflow.exceptions import MlflowException

from api.model import ModelUnavailable, ServedModel
from api.settings import Settings
from forecast import tracking

log = logging.getLogger("zengshou.api")


def open_store() -> None:
    """Check that the MLflow store exists, and drop connections opened before.

    Raises
    ------
    ModelUnavailable
        When the store is a local SQLite file or folder that does not exist; the log names
        the path.
    """
    uri = tracking.tracking_uri()
    path = local_store_path(uri)
    if path is not None and not (path.is_file() if uri.startswith("sqlite:") else path.is_dir()):
        log.error(
            "the MLflow store %s does not exist (MLFLOW_TRACKING_URI=%s); the service never "
            "creates one: point it at the store `zengshou risk train` wrote",
            path,
            uri,
        )
        raise ModelUnavailable(
            "the MLflow store does not exist (see the service log for its path); the service "
            "never creates one"
        )
    tracking.reopen_store()


def local_store_path(uri: str) -> Path | None:
    """The file (SQLite) or folder (file store) of a local tracking URI; None for a server."""
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///").split("?", 1)[0])
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme == "" and uri:
        return Path(uri)
    return None


def resolve_version(settings: Settings) -> str:
    """Return the version the alias points at, or say why there is none.

    Raises
    ------
    ModelUnavailable
        When the store is missing or the model has no such alias.
    """
    open_store()
    try:
        return tracking.risk_alias_version(settings.model_alias, name=settings.model_name)
    except MlflowException as error:
        log.error("cannot resolve %s@%s: %s", settings.model_name, settings.model_alias, error)
        raise ModelUnavailable(
            f"{settings.model_name} has no version at alias '{settings.model_alias}' in the "
            "store (register one with `zengshou risk train`, then `zengshou risk promote N`)"
        ) from None


def load_registered_model(settings: Settings) -> ServedModel:
    """Load ``models:/<model_name>@<model_alias>`` with what the service reports about it.

    The alias is resolved to a version first and that version checked and loaded, so the
    version reported is the version serving even if the alias moves meanwhile.

    Scoring calls the pyfunc's own ``predict`` on the unwrapped python model: the same code as
    ``PyFuncModel.predict`` without MLflow's per-call input conversion, which the service's
    strict schema and panel dtypes make redundant and which costs more than the model itself
    for one household. The integration test checks both give identical scores.
    """
    version = resolve_version(settings)
    if problems := tracking.risk_version_problems(version, name=settings.model_name):
        log.error(
            "%s version %s cannot serve: %s", settings.model_name, version, "; ".join(problems)
        )
        raise ModelUnavailable(
            f"{settings.model_name} version {version} (alias '{settings.model_alias}') is "
            f"incomplete: {'; '.join(problems)}; promote a complete version"
        )
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
    return resolve_version(settings)


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

"""The one module that talks to MLflow.

The store is ``mlruns/`` at the project root (``mlruns/mlflow.db`` for tracking and the
registry, ``mlruns/artifacts/`` for artifacts), whatever the working directory.
``MLFLOW_TRACKING_URI`` overrides it; with a ``sqlite:///.../mlflow.db`` URI the artifacts go
to ``artifacts/`` beside the database, so a temporary store stays self-contained.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from functools import cache
from pathlib import Path

import pandas as pd

from forecast.paths import project_root


def tracking_uri() -> str:
    """Return the tracking URI: ``$MLFLOW_TRACKING_URI`` or the project's SQLite store."""
    if uri := os.environ.get("MLFLOW_TRACKING_URI"):
        return uri
    store = project_root() / "mlruns"
    store.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{store / 'mlflow.db'}"


def artifact_root(uri: str | None = None) -> str | None:
    """Return where new experiments keep artifacts, or None to let a remote server decide."""
    uri = uri or tracking_uri()
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    if uri.startswith("file:") or "://" not in uri:
        return None  # a file store keeps artifacts inside itself
    return None


def configure() -> str:
    """Point MLflow at the project store and return the URI used."""
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def experiment(name: str) -> str:
    """Return the id of experiment ``name``, creating it with an explicit artifact location."""
    import mlflow

    uri = configure()
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_root(uri))


def data_fingerprint(frame: pd.DataFrame) -> str:
    """Return a SHA-256 of a DataFrame's values, index and column names (order-sensitive)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def file_fingerprint(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def code_version() -> str:
    """Return the git commit of the checkout (``+dirty`` if it has changes) or the version."""
    root = project_root()
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        from importlib.metadata import version

        return f"zengshou=={version('zengshou')}"


def standard_tags() -> dict[str, str]:
    """Tags every zengshou run carries: code version and package version."""
    from importlib.metadata import version

    return {"zengshou.code_version": code_version(), "zengshou.version": version("zengshou")}

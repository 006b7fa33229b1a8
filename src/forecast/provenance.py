"""Where a figure came from: the code version and fingerprints of the data it read.

Shared core: every layer may use these (MLflow runs, ``summary.json``, target reports), and
this module imports nothing of the project beyond :mod:`forecast.paths`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.paths import project_root


def population_fingerprint(population: Any) -> str:
    """SHA-256 of the arrays a population is made of: the data a run actually started from."""
    digest = hashlib.sha256()
    for item in dataclasses.fields(population):
        value = getattr(population, item.name)
        if isinstance(value, np.ndarray):
            digest.update(item.name.encode())
            digest.update(str(value.dtype).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, (int, float, str)):
            digest.update(f"{item.name}={value}".encode())
    return digest.hexdigest()


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
        return f"zengshou=={version('zengshou')}"

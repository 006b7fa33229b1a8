"""Where the project's files are, whatever the working directory."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """Return the project root: ``$ZENGSHOU_HOME``, else the checkout this package lives in.

    An editable install (``make setup``) runs from the checkout, so the root is two levels
    above ``src/forecast``. A wheel installed elsewhere falls back to the working directory.
    """
    if home := os.environ.get("ZENGSHOU_HOME"):
        return Path(home).resolve()
    candidate = _PACKAGE_DIR.parents[1]
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


def data_file(name: str) -> Path:
    """Return the path of a sourced data file shipped with the project (``data/NAME``)."""
    shipped = _PACKAGE_DIR / "_data" / name  # inside a wheel
    if shipped.exists():
        return shipped
    path = project_root() / "data" / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: data file not found (is ZENGSHOU_HOME right?)")
    return path


def generated_dir() -> Path:
    """Return ``data/generated`` under the project root (ignored by git), creating it."""
    path = project_root() / "data" / "generated"
    path.mkdir(parents=True, exist_ok=True)
    return path

"""Households: a monitoring-system export checked and scored on this machine.

The file is written to the app's private uploads folder (owner-only), read by the panel loader
(Chinese column names through ``data/mappings/monitoring_export_zh.yaml``), scored by the
registered risk model ``household-risk@champion`` from the local MLflow store, and deleted. Its
rows go nowhere else, and no household id is ever logged: problems and scores are returned to
the page, not printed.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from forecast.panel import ColumnMapping, PanelValidationError, Problem, load_mapping, load_panel
from forecast.paths import project_root

SUFFIXES = (".csv", ".parquet")
CHINESE_MAPPING = Path("data/mappings/monitoring_export_zh.yaml")


class UploadRefused(ValueError):
    """The upload is too large or not a CSV/Parquet file."""


def check_upload(name: str, size: int, limit_mb: float) -> str:
    """The file's suffix if the upload may be read, else :class:`UploadRefused`."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(f"{name}: not a CSV or Parquet file")
    if size > limit_mb * 1e6:
        raise UploadRefused(f"{name}: {size / 1e6:.1f} MB, above the limit of {limit_mb:g} MB")
    return suffix


@contextmanager
def stored(data: bytes, suffix: str, folder: Path) -> Iterator[Path]:
    """``data`` as a private file in ``folder`` for the block's duration, then deleted."""
    path = folder / f"upload-{secrets.token_hex(8)}{suffix}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        yield path
    finally:
        path.unlink(missing_ok=True)


def mapping_for(path: Path) -> ColumnMapping | None:
    """The Chinese mapping when the file's columns are the monitoring system's, else None."""
    mapping = load_mapping(project_root() / CHINESE_MAPPING)
    if path.suffix == ".csv":
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    else:
        import pyarrow.parquet as pq

        header = pq.read_schema(path).names
    return mapping if set(header) & set(mapping.columns) else None


def check_panel(path: Path, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The validated panel, or None with every problem found (named by row and column)."""
    try:
        return load_panel(path, mapping=mapping_for(path)), []
    except PanelValidationError as error:
        return None, list(error.problems)


def score(panel: pd.DataFrame, lang: str | None = None, alias: str = "champion") -> pd.DataFrame:
    """Score every household with ``household-risk@alias`` (one row per household), its
    reasons in ``lang`` where the model words them through the message catalogue."""
    from forecast.i18n import use_language
    from forecast.tracking import load_risk_model

    model = load_risk_model(alias)
    with use_language(lang):
        return model.predict(panel)


def scores_csv(scores: pd.DataFrame) -> bytes:
    """The scores as UTF-8 CSV with a BOM (Excel opens Chinese text right), reasons joined."""
    table = scores.assign(reasons=scores["reasons"].map("; ".join))
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8-sig")


__all__ = [
    "UploadRefused",
    "check_panel",
    "check_upload",
    "mapping_for",
    "score",
    "scores_csv",
    "stored",
]

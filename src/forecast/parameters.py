"""Sourced parameter files: every value carries a unit and a source or an assumption."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml


class ParameterError(ValueError):
    """A parameter file is malformed; the message names the file, the key and the reason."""


def load_sourced_yaml(path: str | Path) -> dict[str, Any]:
    """Read a parameter file and return ``{group: {name: value}}``.

    Each leaf must be a mapping with ``value``, ``unit`` and ``source`` and/or ``assumption``.
    Top-level scalars (such as ``version``) are kept as they are.

    Raises
    ------
    ParameterError
        Naming the file and key of the first entry without a unit or without a source or
        assumption.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ParameterError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, Mapping):
        raise ParameterError(f"{path}: expected a mapping of parameter groups")
    values: dict[str, Any] = {}
    for group, entries in raw.items():
        if not isinstance(entries, Mapping):
            values[group] = entries
            continue
        values[group] = {}
        for name, entry in entries.items():
            key = f"{group}.{name}"
            if not isinstance(entry, Mapping) or "value" not in entry:
                raise ParameterError(f"{path}: {key}: expected a mapping with 'value'")
            if "unit" not in entry:
                raise ParameterError(f"{path}: {key}: missing 'unit'")
            if not ({"source", "assumption"} & set(entry)):
                raise ParameterError(f"{path}: {key}: needs a 'source' or an 'assumption'")
            values[group][name] = entry["value"]
    return values


def by_year(value: float | Mapping[int, float], years: np.ndarray | list[int]) -> np.ndarray:
    """Return a yearly value for each of ``years``: a constant, or a ``{year: value}`` mapping
    interpolated linearly between its years and held flat beyond them."""
    years = np.asarray(years, dtype=float)
    if not isinstance(value, Mapping):
        return np.full(years.shape, float(value))
    known = sorted((int(y), float(v)) for y, v in value.items())
    return np.interp(years, [y for y, _ in known], [v for _, v in known])

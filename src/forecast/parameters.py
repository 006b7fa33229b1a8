"""The synthetic panel's parameter file: sourced entries in groups (``data/synthetic_panel.yaml``).

Read with the one loader of sourced data (:mod:`forecast.sourced`); what this file adds to an
entry (a cited ``statistic``, ``known_in`` and its ``before_known``) is resolved by
:func:`forecast.synthetic.load_generator_parameters`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecast.sourced import Rules, SourcedError, SourcedFile, by_year

__all__ = ["PANEL_RULES", "ParameterError", "by_year", "load_parameters", "load_sourced_yaml"]

# Keys an entry of the parameter file may hold besides value, unit, source and assumption.
PANEL_RULES = Rules(fields=frozenset({"statistic", "known_in", "before_known", "status"}))


class ParameterError(SourcedError):
    """A parameter file is malformed; names the file, the key and the reason."""


def load_parameters(path: str | Path) -> dict[str, Any]:
    """Read a parameter file into ``{group: {name: Sourced}}``.

    Top-level scalars (such as ``version``) are kept as they are; every other top-level key is
    a group of entries, each checked by :func:`forecast.sourced.read_entry`.

    Raises
    ------
    ParameterError
        Naming the file, the key and the reason.
    """
    file = SourcedFile.load(path, PANEL_RULES, error=ParameterError)
    return {
        group: file.group(group) if isinstance(entries, dict) else entries
        for group, entries in file.data.items()
    }


def load_sourced_yaml(path: str | Path) -> dict[str, Any]:
    """Read a parameter file and return ``{group: {name: value}}`` (see
    :func:`load_parameters`)."""
    return {
        group: {name: entry.value for name, entry in entries.items()}
        if isinstance(entries, dict)
        else entries
        for group, entries in load_parameters(path).items()
    }

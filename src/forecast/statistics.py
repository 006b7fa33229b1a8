"""One typed accessor for ``data/public_statistics.yaml``, as known at an origin year.

The file holds published figures with their sources. Figures for a year are keyed by the year
(an unquoted integer): yearly series under ``series``, year-keyed blocks elsewhere (such as
``counts.migrant_workers_alleviated``). A year's entry is a number, a mapping with a numeric
``value``, or a group of such mappings (the income of 2022 by source).

Out-of-sample validation rebuilds everything as of an origin year and must not read anything
published later. :meth:`PublicStatistics.until` gives that view: it removes every year-keyed
entry after the origin, and every entry that declares ``known_in: YEAR`` (the year it became
public) after the origin. By convention a year's own figure counts as known at the end of that
year, although annual figures are released in the following months: ``known_in`` marks only
what became public later than that, such as a figure of one year derived from the next year's.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.paths import data_file
from forecast.sourced import SourcedError, dotted, is_number, is_quoted_year, is_year, read_yaml


class StatisticsError(SourcedError):
    """A statistics file is malformed, or asked for something it does not hold.

    A :class:`~forecast.sourced.SourcedError`: ``file``, ``key`` (empty for the file as a
    whole) and ``reason`` are attributes, and the message names all three.
    """


@dataclass(frozen=True, eq=True)
class PublicStatistics:
    """Published statistics, optionally as known at the end of ``origin``.

    Build with :meth:`load`; read with :meth:`series`, :meth:`yearly`, :meth:`entry` and
    :meth:`value`. Two objects are equal when they hold the same figures as of the same origin,
    wherever their files are.
    """

    path: Path = field(compare=False)
    data: dict[str, Any] = field(repr=False)
    origin: int | None = None

    @classmethod
    def load(cls, path: str | Path | None = None) -> PublicStatistics:
        """Read and check a statistics file (default ``data/public_statistics.yaml``).

        Raises
        ------
        StatisticsError
            The file cannot be read, is not valid YAML, has no ``series`` mapping, or has an
            entry whose year is quoted, whose ``value`` is missing or not a finite number, or
            whose ``known_in`` is not a year at or after its own.
        """
        path = Path(path) if path else data_file("public_statistics.yaml")
        raw = read_yaml(path, StatisticsError)
        if not isinstance(raw.get("series"), Mapping):
            raise StatisticsError(path, "series", "expected a mapping of yearly series")
        for name, entries in raw["series"].items():
            if not isinstance(entries, Mapping):
                raise StatisticsError(path, f"series.{name}", "expected a mapping of years")
        _check(raw, (), path)
        return cls(path=path, data=raw)

    def until(self, year: int) -> PublicStatistics:
        """A copy holding only what was public at the end of ``year``.

        Removes year-keyed entries after ``year`` and entries with ``known_in`` after
        ``year``, at any depth. A series left without years stays, empty.
        """
        origin = year if self.origin is None else min(year, self.origin)
        return PublicStatistics(path=self.path, data=_cut(self.data, origin), origin=origin)

    def entry(self, *keys: str | int) -> Any:
        """The entry at ``keys`` (for instance ``"counts", "relocated_people"``), as a copy.

        Raises
        ------
        StatisticsError
            No such entry; when the key is a year after the origin, the reason says so.
        """
        node: Any = self.data
        for depth, key in enumerate(keys):
            if not isinstance(node, Mapping) or key not in node:
                if is_year(key) and self.origin is not None and key > self.origin:
                    reason = f"year {key} is after the origin {self.origin}: not yet published"
                elif isinstance(node, Mapping):
                    reason = f"no such key; there are {sorted(map(str, node))}"
                else:
                    reason = f"no such key: {dotted(*keys[:depth])} is not a mapping"
                raise StatisticsError(self.path, dotted(*keys[: depth + 1]), reason)
            node = node[key]
        return copy.deepcopy(node)

    def value(self, *keys: str | int) -> float:
        """The number at ``keys``: the entry itself, or its ``value``."""
        entry = self.entry(*keys)
        number = entry.get("value") if isinstance(entry, Mapping) else entry
        if not is_number(number):
            raise StatisticsError(self.path, dotted(*keys), "has no numeric 'value'")
        return float(number)

    def yearly(self, *keys: str | int) -> pd.Series:
        """The year-keyed figures at ``keys`` as a float series indexed by ``year``.

        Raises
        ------
        StatisticsError
            No such entry, no years (as of the origin), or a year holding a group of
            figures rather than one (read that with :meth:`entry`).
        """
        entries = self.entry(*keys)
        if not isinstance(entries, Mapping):
            raise StatisticsError(self.path, dotted(*keys), "not a mapping of years")
        values = {}
        for year, entry in entries.items():
            if not is_year(year):
                continue  # compositions, status, notes beside the yearly figures
            number = entry.get("value") if isinstance(entry, Mapping) else entry
            if not is_number(number):
                parts = ", ".join(map(str, entry))
                raise StatisticsError(
                    self.path,
                    dotted(*keys, year),
                    f"a group of figures ({parts}), not one value: read it with entry()",
                )
            values[year] = float(number)
        if not values:
            known = "" if self.origin is None else f" up to the origin {self.origin}"
            raise StatisticsError(self.path, dotted(*keys), f"no yearly figures{known}")
        return pd.Series(values, name=keys[-1], dtype=float).rename_axis("year").sort_index()

    def series(self, name: str) -> pd.Series:
        """The yearly series ``series.NAME``, values by year (see :meth:`yearly`)."""
        return self.yearly("series", name)


def as_statistics(source: PublicStatistics | str | Path | None = None) -> PublicStatistics:
    """Pass a :class:`PublicStatistics` through; load a path (or the default file) otherwise."""
    return source if isinstance(source, PublicStatistics) else PublicStatistics.load(source)


def _check(node: Any, keys: tuple[Any, ...], path: Path) -> None:
    """Refuse quoted years, non-numeric values and bad ``known_in`` anywhere under ``node``."""
    if not isinstance(node, Mapping):
        return
    if "value" in node and (not is_number(node["value"]) or _not_finite(node["value"])):
        reason = f"'value' is not a finite number: {node['value']!r}"
        raise StatisticsError(path, dotted(*keys, "value"), reason)
    if "known_in" in node:
        known_in = node["known_in"]
        own = next((k for k in reversed(keys) if is_year(k)), None)  # the enclosing year
        if not is_year(known_in) or (own is not None and known_in < own):
            reason = f"'known_in' must be a year at or after the entry's own, got {known_in!r}"
            raise StatisticsError(path, dotted(*keys, "known_in"), reason)
    for key, child in node.items():
        here = (*keys, key)
        if is_quoted_year(key):
            reason = "a year written as text (quoted): write it as a bare number"
            raise StatisticsError(path, dotted(*here), reason)
        if is_year(key):
            _check_year_entry(child, here, path)
        _check(child, here, path)


def _check_year_entry(entry: Any, keys: tuple[Any, ...], path: Path) -> None:
    """A year holds a number, a mapping with ``value``, or a group of such mappings."""
    if is_number(entry):
        if _not_finite(entry):
            raise StatisticsError(path, dotted(*keys), f"not a finite number: {entry!r}")
        return
    if not isinstance(entry, Mapping):
        raise StatisticsError(path, dotted(*keys), f"expected a number or a mapping: {entry!r}")
    if "value" in entry:
        return
    parts = {k: v for k, v in entry.items() if isinstance(v, Mapping)}
    if not parts:
        raise StatisticsError(path, dotted(*keys), "missing 'value'")
    for name, part in parts.items():
        if "value" not in part:
            raise StatisticsError(path, dotted(*keys, name), "missing 'value'")


def _not_finite(value: Any) -> bool:
    return is_number(value) and not math.isfinite(value)


def _cut(node: Any, origin: int) -> Any:
    """Deep copy of ``node`` without years after ``origin`` and entries known only later."""
    if isinstance(node, list):
        return [_cut(item, origin) for item in node]
    if not isinstance(node, Mapping):
        return node
    kept = {}
    for key, child in node.items():
        if is_year(key) and key > origin:
            continue
        if isinstance(child, Mapping) and child.get("known_in", origin) > origin:
            continue
        kept[key] = _cut(child, origin)
    return kept

"""The monitoring income line (防止返贫监测收入标准) as versioned data.

The values, their sources and the rule that extends them live in ``data/monitoring_line.yaml``;
this module only reads and checks that file. Every risk score reports the line's version.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from forecast.paths import data_file


@dataclass(frozen=True)
class LineYear:
    """The line of one year and why it has that value."""

    year: int
    value: float
    status: str
    basis: str  # the source, or the assumption when there is no source


@dataclass(frozen=True)
class MonitoringLine:
    """Monitoring line per year: listed years, then a stated growth rule.

    Parameters
    ----------
    version : str
        Data version of the file; reported with every score.
    years : tuple of LineYear
        Listed years, consecutive and increasing.
    annual_growth : float
        Growth per year applied after the last listed year.
    round_to_yuan : float
        Extended values are rounded to a multiple of this.
    last_year : int
        Last year the rule extends to.
    rule : str
        The stated assumption behind the rule.
    """

    version: str
    years: tuple[LineYear, ...]
    annual_growth: float
    round_to_yuan: float
    last_year: int
    rule: str

    @property
    def first_year(self) -> int:
        return self.years[0].year

    def _values(self) -> np.ndarray:
        """Line of every year from ``first_year`` to ``last_year`` (index = year - first)."""
        listed = [y.value for y in self.years]
        value = listed[-1]
        for _ in range(self.years[-1].year + 1, self.last_year + 1):
            value = value * (1 + self.annual_growth)
            listed.append(round(value / self.round_to_yuan) * self.round_to_yuan)
        return np.asarray(listed, dtype=float)

    def value(self, year: int | np.ndarray) -> float | np.ndarray:
        """Return the line (yuan per person) of ``year``, a scalar or an integer array.

        Raises
        ------
        ValueError
            If a year is before the first listed year or after the rule's last year.
        """
        years = np.asarray(year, dtype=np.int64)
        if years.size and (years.min() < self.first_year or years.max() > self.last_year):
            bad = years[(years < self.first_year) | (years > self.last_year)].ravel()[0]
            raise ValueError(
                f"monitoring line: no value for year {int(bad)}; the line covers "
                f"{self.first_year}..{self.last_year} (data/monitoring_line.yaml)"
            )
        values = _cached_values(self)[years - self.first_year]
        return float(values) if values.ndim == 0 else values

    __call__ = value

    def table(self) -> pd.DataFrame:
        """Return one row per year: year, value (yuan/person), status and basis."""
        rows = [(y.year, y.value, y.status, y.basis) for y in self.years]
        values = _cached_values(self)
        for year in range(self.years[-1].year + 1, self.last_year + 1):
            rows.append((year, float(values[year - self.first_year]), "E", self.rule))
        return pd.DataFrame(rows, columns=["year", "value", "status", "basis"])


@cache
def _cached_values(line: MonitoringLine) -> np.ndarray:
    values = line._values()
    values.flags.writeable = False
    return values


def load_monitoring_line(path: str | Path | None = None) -> MonitoringLine:
    """Read and check a monitoring-line YAML file (default: the shipped one).

    Raises
    ------
    ValueError
        Naming the file, the key and the reason, for a missing version, a missing value or
        basis, a non-positive or falling value, a gap between years or a bad rule.
    """
    path = Path(path) if path is not None else data_file("monitoring_line.yaml")
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}

    def fail(key: str, reason: str) -> ValueError:
        return ValueError(f"{path}: {key}: {reason}")

    unknown = set(raw) - {"version", "unit", "years", "after_last_year"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown key")
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or version == "placeholder":
        raise fail("version", "missing: a non-empty version string is required")
    if raw.get("unit") != "yuan/person/year":
        raise fail("unit", f"must be 'yuan/person/year', got {raw.get('unit')!r}")
    entries = raw.get("years")
    if not isinstance(entries, dict) or not entries:
        raise fail("years", "missing: at least one year is required")

    years: list[LineYear] = []
    for year in sorted(entries):
        entry = entries[year]
        key = f"years.{year}"
        if not isinstance(year, int):
            raise fail(key, "the year must be an integer")
        if not isinstance(entry, dict) or "value" not in entry:
            raise fail(key, "missing value")
        value = entry["value"]
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise fail(f"{key}.value", f"must be a positive number of yuan, got {value!r}")
        basis = entry.get("source") or entry.get("assumption")
        if not basis:
            raise fail(key, "needs a 'source' or an 'assumption'")
        if entry.get("status") not in {"V", "D", "E"}:
            raise fail(f"{key}.status", "must be V, D or E")
        if years and year != years[-1].year + 1:
            raise fail(key, f"years must be consecutive; {years[-1].year} is followed by {year}")
        if years and value < years[-1].value:
            raise fail(f"{key}.value", f"the line may not fall ({years[-1].value} -> {value})")
        years.append(LineYear(year, float(value), entry["status"], " ".join(str(basis).split())))

    rule = raw.get("after_last_year")
    if not isinstance(rule, dict):
        raise fail("after_last_year", "missing: the rule for later years is required")
    growth = rule.get("annual_growth")
    if not isinstance(growth, int | float) or not 0 <= growth < 1:
        raise fail("after_last_year.annual_growth", f"must be a share in [0, 1), got {growth!r}")
    step = rule.get("round_to_yuan", 1)
    if not isinstance(step, int | float) or step <= 0:
        raise fail("after_last_year.round_to_yuan", f"must be positive, got {step!r}")
    last_year = rule.get("last_year")
    if not isinstance(last_year, int) or last_year < years[-1].year:
        raise fail("after_last_year.last_year", f"must be a year >= {years[-1].year}")
    if not rule.get("assumption") and not rule.get("source"):
        raise fail("after_last_year", "needs a 'source' or an 'assumption'")
    return MonitoringLine(
        version=version.strip(),
        years=tuple(years),
        annual_growth=float(growth),
        round_to_yuan=float(step),
        last_year=last_year,
        rule=" ".join(str(rule.get("assumption") or rule["source"]).split()),
    )


@cache
def _shipped_line() -> MonitoringLine:
    return load_monitoring_line()


def monitoring_line(
    year: int | np.ndarray | None = None, *, path: str | Path | None = None
) -> MonitoringLine | float | np.ndarray:
    """Return the monitoring line, or its value for ``year``.

    Parameters
    ----------
    year : int or array of int, optional
        When given, return the line's value (yuan per person) for it instead of the line.
    path : path, optional
        A monitoring-line YAML file; default the shipped ``data/monitoring_line.yaml``
        (read once and cached).

    Examples
    --------
    >>> monitoring_line(2023)
    8050.0
    >>> monitoring_line().version  # doctest: +SKIP
    '2026.11-1'
    """
    line = _shipped_line() if path is None else load_monitoring_line(path)
    return line if year is None else line.value(year)

"""The monitoring income line (防止返贫监测收入标准) as versioned data.

The values, their sources and the rule that extends them live in ``data/monitoring_line.yaml``;
this module only reads and checks that file. Every risk score reports the line's version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.paths import data_file
from forecast.sourced import BASIS as BASIS_KEYS
from forecast.sourced import Rules, SourcedError, SourcedFile, is_number, is_year

LINE_FILE = "monitoring_line.yaml"
UNIT = "yuan/person/year"
STATUSES = ("V", "D", "E")  # verbatim, derived, estimated (as in public_statistics.yaml)
# A listed year: a sourced entry in the file's unit (stated once at the top) with a status.
LINE_RULES = Rules(fields=frozenset({"status"}), unit=UNIT)


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
    path : str
        The file the line was read from (named by errors; not compared).
    """

    version: str
    years: tuple[LineYear, ...]
    annual_growth: float
    round_to_yuan: float
    last_year: int
    rule: str
    path: str = field(default="", compare=False)

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
        SourcedError
            If a year is before the first listed year (key ``years``) or after the rule's last
            year (key ``after_last_year.last_year``), naming the file.
        """
        years = np.asarray(year, dtype=np.int64)
        if years.size and (years.min() < self.first_year or years.max() > self.last_year):
            bad = int(years[(years < self.first_year) | (years > self.last_year)].ravel()[0])
            raise SourcedError(
                self.path or f"data/{LINE_FILE}",
                "years" if bad < self.first_year else "after_last_year.last_year",
                f"no value for year {bad}; the line covers {self.first_year}..{self.last_year}",
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

    Each listed year is a sourced entry (:mod:`forecast.sourced`) in the file's unit, with a
    status; the rule for later years states its assumption.

    Raises
    ------
    SourcedError
        Naming the file, the key and the reason, for a missing or malformed file, an unknown
        key, a missing version, a missing value or basis, a non-positive or falling value, a
        gap between years or a bad rule.
    """
    path = Path(path) if path is not None else data_file(LINE_FILE)
    file = SourcedFile.load(path, LINE_RULES)
    file.check_keys({"version", "unit", "years", "after_last_year"})
    version = file.text("version")
    if version == "placeholder":
        raise file.fail("version", "missing: a non-empty version string is required")
    if file.data.get("unit") != UNIT:
        raise file.fail("unit", f"must be {UNIT!r}, got {file.data.get('unit')!r}")
    entries = file.data.get("years")
    if not isinstance(entries, dict) or not entries:
        raise file.fail("years", "missing: at least one year is required")
    for year in entries:
        if not is_year(year):
            raise file.fail(f"years.{year}", "the year must be an integer")

    years: list[LineYear] = []
    for year in sorted(entries):
        key = f"years.{year}"
        entry = file.entry("years", year)
        value = entry.value
        if not is_number(value) or value <= 0:
            raise file.fail(f"{key}.value", f"must be a positive number of yuan, got {value!r}")
        if entry.extra.get("status") not in STATUSES:
            raise file.fail(f"{key}.status", "must be V, D or E")
        if years and year != years[-1].year + 1:
            raise file.fail(
                key, f"years must be consecutive; {years[-1].year} is followed by {year}"
            )
        if years and value < years[-1].value:
            raise file.fail(f"{key}.value", f"the line may not fall ({years[-1].value} -> {value})")
        years.append(LineYear(year, float(value), entry.extra["status"], entry.basis))

    rule = file.data.get("after_last_year")
    if not isinstance(rule, dict):
        raise file.fail("after_last_year", "missing: the rule for later years is required")
    unknown = set(rule) - {"annual_growth", "round_to_yuan", "last_year", "status", *BASIS_KEYS}
    if unknown:
        raise file.fail(f"after_last_year.{sorted(unknown)[0]}", "unknown key")
    growth = rule.get("annual_growth")
    if not is_number(growth) or not 0 <= growth < 1:
        raise file.fail(
            "after_last_year.annual_growth", f"must be a share in [0, 1), got {growth!r}"
        )
    step = rule.get("round_to_yuan", 1)
    if not is_number(step) or step <= 0:
        raise file.fail("after_last_year.round_to_yuan", f"must be positive, got {step!r}")
    last_year = rule.get("last_year")
    if not is_year(last_year) or last_year < years[-1].year:
        raise file.fail("after_last_year.last_year", f"must be a year >= {years[-1].year}")
    if not rule.get("assumption") and not rule.get("source"):
        raise file.fail("after_last_year", "needs a 'source' or an 'assumption'")
    return MonitoringLine(
        version=version,
        years=tuple(years),
        annual_growth=float(growth),
        round_to_yuan=float(step),
        last_year=last_year,
        rule=" ".join(str(rule.get("assumption") or rule["source"]).split()),
        path=str(path),
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

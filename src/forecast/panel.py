"""Load and validate household income panels (CSV or Parquet) against :mod:`forecast.schema`.

Validation collects every problem in the file, as (row, column, value, reason), before it
raises: a county officer fixing an export wants the whole list, not one error per run. Nothing
is dropped, filled in or coerced silently; the only conversions are the documented ones
(text to numbers, ``true/false/1/0/yes/no/是/否`` to booleans, and the column mapping).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.schema import COLUMNS, COLUMNS_BY_NAME, KEY, Column
from forecast.sourced import SourcedError, load_yaml

_TRUE = {"true", "t", "1", "yes", "y", "是"}
_FALSE = {"false", "f", "0", "no", "n", "否"}
PER_CAPITA_TOLERANCE = 1.0  # yuan: exports round per-capita income to the yuan


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, as data: the message is built from the attributes.

    Attributes
    ----------
    row : int or None
        Data row, counted from 1 (the header is not a row; in a CSV, file line = row + 1);
        None for problems of the whole file or of a whole column.
    field : str or None
        The column (or mapping key) at fault; None for the whole file.
    value : object
        The value at fault, as read; None when no single value is.
    reason : str
        What is wrong.
    household_id : str or None
        The row's household as the file gives it; None for no row or an empty cell.
    year : int or None
        The row's year as the file gives it; None for no row or a year that is not a number.
    """

    row: int | None
    field: str | None
    value: Any
    reason: str
    household_id: str | None = None
    year: int | None = None

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        column = f", column '{self.field}'" if self.field else ""
        value = "" if self.value is None else f", value {self.value!r}"
        return f"{where}{column}{value}: {self.reason}"


class PanelValidationError(ValueError):
    """Raised when a panel file is invalid; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(self.report(limit=20))

    def report(self, limit: int | None = None) -> str:
        """Plain-text report: a count per (column, reason), then the problems themselves."""
        lines = [f"{self.source}: {len(self.problems)} problem(s) found"]
        counts: dict[tuple[str, str], int] = {}
        for p in self.problems:
            key = (p.field or "-", p.reason)
            counts[key] = counts.get(key, 0) + 1
        if len(self.problems) > 1:
            lines += [f"  {n:>7} x {col}: {reason}" for (col, reason), n in counts.items()]
        shown = self.problems if limit is None else self.problems[:limit]
        lines += [f"  {self.source}: {p}" for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class ColumnMapping:
    """How an export's columns and values map onto the schema.

    Attributes
    ----------
    columns : dict
        Export column name -> schema column name.
    values : dict
        Schema column name -> {export value -> schema value}.
    ignore : tuple of str
        Export columns deliberately left out (named, so nothing is dropped silently).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a column mapping from YAML (keys ``columns``, ``values``, ``ignore``)."""
    path = Path(path)
    try:
        raw = load_yaml(path) or {}
    except SourcedError as error:
        raise PanelValidationError(
            str(path), [Problem(None, None, None, f"unreadable mapping: {error.reason}")]
        ) from None
    problems = []
    unknown_keys = (
        set(raw) - {"columns", "values", "ignore"} if isinstance(raw, Mapping) else {"<root>"}
    )
    problems += [
        Problem(None, key, None, "unknown key in mapping file") for key in sorted(unknown_keys)
    ]
    columns = (
        {str(k): str(v) for k, v in (raw.get("columns") or {}).items()} if not unknown_keys else {}
    )
    problems += [
        Problem(None, source, target, "maps to a column that is not in the schema")
        for source, target in columns.items()
        if target not in COLUMNS_BY_NAME
    ]
    values = {
        str(k): {str(a): b for a, b in (v or {}).items()}
        for k, v in (raw.get("values") or {}).items()
    }
    problems += [
        Problem(None, column, None, "value mapping for a column that is not in the schema")
        for column in values
        if column not in COLUMNS_BY_NAME
    ]
    if problems:
        raise PanelValidationError(str(path), problems)
    return ColumnMapping(columns, values, tuple(map(str, raw.get("ignore") or ())))


def load_panel(path: str | Path, mapping: ColumnMapping | str | Path | None = None) -> pd.DataFrame:
    """Read a household panel from CSV or Parquet and validate it.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (UTF-8, header row) or ``.parquet`` file, one row per household and year.
    mapping : ColumnMapping or path, optional
        Column and value mapping for exports whose names differ (for example the Chinese
        column names of a monitoring-system export); see ``data/mappings/``.

    Returns
    -------
    pandas.DataFrame
        The panel in the canonical schema and dtypes, rows in file order.

    Raises
    ------
    PanelValidationError
        With every problem found, each as (row, column, value, reason).
    """
    path = Path(path)
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    raw = _read_table(path)
    return validate_panel(raw, mapping=mapping, source=str(path))


def _read_table(path: Path) -> pd.DataFrame:
    def fail(reason: str) -> PanelValidationError:
        return PanelValidationError(str(path), [Problem(None, None, None, reason)])

    if not path.is_file():
        raise fail("file not found")
    if path.suffix.lower() in {".parquet", ".pq"}:
        try:
            return pd.read_parquet(path)
        except Exception as error:  # pyarrow raises several types for non-Parquet bytes
            raise fail(f"not a Parquet table: {type(error).__name__}: {error}") from error
    try:
        # Everything as text: numbers are parsed and checked here, with the raw value kept
        # for the report.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise fail(f"not a CSV table: {type(error).__name__}: {error}") from error
    if frame.shape[1] < 2:
        raise fail(f"not a table: found {frame.shape[1]} column(s); is the delimiter a comma?")
    return frame


def validate_panel(
    frame: pd.DataFrame, *, mapping: ColumnMapping | None = None, source: str = "<DataFrame>"
) -> pd.DataFrame:
    """Validate a raw panel table and return it in canonical dtypes (see :func:`load_panel`)."""
    problems: list[Problem] = []
    frame = _apply_mapping(frame, mapping, problems)
    present = [c for c in frame.columns if c in COLUMNS_BY_NAME]
    problems += [
        Problem(None, c.name, None, "required column is missing")
        for c in COLUMNS
        if c.required and not c.derived and c.name not in frame.columns
    ]
    problems += [
        Problem(
            None,
            str(name),
            None,
            "unknown column (not in the schema; map it or list it under 'ignore')",
        )
        for name in frame.columns
        if name not in COLUMNS_BY_NAME
    ]
    duplicated = pd.Index(frame.columns)[pd.Index(frame.columns).duplicated()]
    problems += [Problem(None, str(c), None, "column appears more than once") for c in duplicated]
    if duplicated.size:
        raise PanelValidationError(source, problems)

    if frame.empty:  # a header alone: nothing to validate, nothing to compute on
        problems.append(Problem(None, None, None, "no rows: the table has a header only"))
        raise PanelValidationError(source, problems)

    out: dict[str, Any] = {}
    for name in present:
        out[name] = _convert(frame[name], COLUMNS_BY_NAME[name], problems)
    n = len(frame)
    for column in COLUMNS:
        if column.name not in out and not column.required:
            out[column.name] = _missing(column, n)
    clean = pd.DataFrame(out, index=pd.RangeIndex(n))
    if all(c.name in clean for c in COLUMNS if c.required and not c.derived):
        bad_rows = np.zeros(n, dtype=bool)
        bad_rows[[p.row - 1 for p in problems if p.row is not None]] = True
        _check_rows(clean, problems, bad_rows)
    if problems:
        problems = _with_household_and_year(problems, frame)
        problems.sort(key=lambda p: (p.row is not None, p.row or 0))
        raise PanelValidationError(source, problems)
    sources = ["wage_income", "operating_income", "property_income", "transfer_income"]
    clean["net_income_per_capita"] = clean[sources].sum(axis=1) / clean["members"]
    return clean[[c.name for c in COLUMNS]]


def _with_household_and_year(problems: list[Problem], frame: pd.DataFrame) -> list[Problem]:
    """The problems of rows, each with its row's household and year as the file gives them."""
    at = np.array([p.row - 1 for p in problems if p.row is not None], dtype=np.int64)
    if not at.size:
        return problems
    ids: list[str | None] = [None] * at.size
    years: list[int | None] = [None] * at.size
    if "household_id" in frame.columns:
        raw = frame["household_id"].iloc[at]
        text = raw.astype(str).str.strip().to_numpy(dtype=object)
        ids = [None if pd.isna(r) or t == "" else t for r, t in zip(raw, text, strict=True)]
    if "year" in frame.columns:
        numbers = pd.to_numeric(frame["year"].iloc[at], errors="coerce").to_numpy(dtype=float)
        whole = np.isfinite(numbers) & (numbers == np.round(numbers))
        years = [int(n) if ok else None for n, ok in zip(numbers, whole, strict=True)]
    keys = iter(zip(ids, years, strict=True))
    located = []
    for problem in problems:
        if problem.row is not None:
            household_id, year = next(keys)
            problem = replace(problem, household_id=household_id, year=year)
        located.append(problem)
    return located


def _apply_mapping(frame: pd.DataFrame, mapping: ColumnMapping | None, problems) -> pd.DataFrame:
    if mapping is None:
        return frame
    # An export may leave out what the schema calls optional, even when the mapping names it.
    optional = {name for name, to in mapping.columns.items() if not COLUMNS_BY_NAME[to].required}
    problems += [
        Problem(None, name, None, "mapping names a column that the file does not have")
        for name in list(mapping.columns) + list(mapping.ignore)
        if name not in frame.columns and name not in optional
    ]
    frame = frame.drop(columns=[c for c in mapping.ignore if c in frame.columns])
    frame = frame.rename(columns=mapping.columns)
    for column, table in mapping.values.items():
        if column in frame.columns:
            text = frame[column].astype(str)
            frame[column] = text.map(lambda v, t=table: t.get(v, v))
    return frame


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask) + 1


def _convert(series: pd.Series, column: Column, problems: list[Problem]) -> pd.Series:
    """Convert one column to its schema dtype, recording each bad cell."""
    name, values = column.name, series.reset_index(drop=True)
    text = (
        values.astype(str).str.strip()
        if values.dtype.kind in "OUST"
        or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype)
        else None
    )
    empty = (
        text.isin(["", "nan", "NaN", "None", "<NA>"]).to_numpy()
        if text is not None
        else values.isna().to_numpy()
    )
    if column.required:
        problems += [Problem(int(r), name, None, "missing value") for r in _rows(empty)]

    if column.kind == "str":
        result = (text if text is not None else values.astype(str)).astype("str")
        if name == "county_code":
            bad = ~empty & ~result.str.fullmatch(r"\d{6}").to_numpy()
            problems += [
                Problem(int(r), name, result[r - 1], "county code must be 6 digits")
                for r in _rows(bad)
            ]
        return result
    if column.kind in {"int", "float"}:
        numbers = (
            pd.to_numeric(text if text is not None else values, errors="coerce")
            .astype(float)
            .to_numpy()
        )
        bad = np.isnan(numbers) & ~empty
        problems += [Problem(int(r), name, _raw(values, r), "not a number") for r in _rows(bad)]
        infinite = np.isinf(numbers)
        problems += [
            Problem(int(r), name, _raw(values, r), "not a finite number") for r in _rows(infinite)
        ]
        ok = np.isfinite(numbers)
        if column.kind == "int":
            fractional = ok & (numbers != np.round(numbers))
            problems += [
                Problem(int(r), name, _raw(values, r), "not a whole number")
                for r in _rows(fractional)
            ]
        below = ok & (numbers < column.minimum)
        above = ok & (numbers > column.maximum)
        what = "negative" if column.minimum == 0 else f"below {column.minimum:g}"
        problems += [
            Problem(int(r), name, _raw(values, r), f"{what} ({column.unit})") for r in _rows(below)
        ]
        problems += [
            Problem(
                int(r),
                name,
                _raw(values, r),
                f"above the plausible maximum {column.maximum:g} ({column.unit})",
            )
            for r in _rows(above)
        ]
        if column.kind == "int":
            return (
                pd.Series(numbers, dtype="Float64").round().astype("Int64")
                if not column.required
                else pd.Series(np.where(ok, numbers, 0).astype(np.int64))
            )
        return pd.Series(numbers)
    if column.kind == "bool":
        if values.dtype == bool:
            return values if column.required else values.astype("boolean")
        lowered = (text if text is not None else values.astype(str)).str.lower()
        truthy, falsy = lowered.isin(_TRUE).to_numpy(), lowered.isin(_FALSE).to_numpy()
        bad = ~truthy & ~falsy & ~empty
        problems += [
            Problem(int(r), name, _raw(values, r), "not a yes/no value (true/false, 1/0, 是/否)")
            for r in _rows(bad)
        ]
        if column.required:
            return pd.Series(truthy)
        return pd.Series(np.where(empty, None, truthy), dtype="boolean")
    # category
    labels = text if text is not None else values.astype(str)
    bad = ~labels.isin(column.categories).to_numpy() & ~empty
    allowed = ", ".join(column.categories)
    problems += [
        Problem(int(r), name, _raw(values, r), f"not one of: {allowed}") for r in _rows(bad)
    ]
    return pd.Series(
        pd.Categorical(labels.where(~pd.Series(empty | bad)), categories=list(column.categories))
    )


def _raw(values: pd.Series, row: int) -> Any:
    value = values.iloc[row - 1]
    return value.item() if hasattr(value, "item") else value


def _missing(column: Column, n: int) -> pd.Series:
    dtype = {"int": "Int64", "bool": "boolean", "str": "str"}.get(column.kind)
    if column.kind == "category":
        return pd.Series(pd.Categorical([None] * n, categories=list(column.categories)))
    if column.kind == "float":  # as a present float column converts: float64 with NaN
        return pd.Series(np.full(n, np.nan))
    return pd.Series([pd.NA] * n, dtype=dtype)


def _check_rows(panel: pd.DataFrame, problems: list[Problem], bad_rows: np.ndarray) -> None:
    """Checks across columns and rows: labour vs members, monitoring type, keys, years.

    Rows with a bad cell are left out of the cross-column checks, which would only repeat it.
    """
    ok = ~bad_rows
    over = ok & (panel["labour_force"] > panel["members"]).to_numpy()
    problems += [
        Problem(
            int(r),
            "labour_force",
            int(panel["labour_force"].iloc[r - 1]),
            "labour force above members",
        )
        for r in _rows(over)
    ]
    typed = (panel["monitored_type"].astype(str) != "none").to_numpy()
    monitored = panel["monitored"].to_numpy()
    typed = typed & ok
    monitored = monitored & ok
    problems += [
        Problem(int(r), "monitored_type", "none", "monitored household needs a monitoring type")
        for r in _rows(monitored & ~typed)
    ]
    problems += [
        Problem(
            int(r),
            "monitored_type",
            str(panel["monitored_type"].iloc[r - 1]),
            "type given for a household that is not monitored",
        )
        for r in _rows(~monitored & typed)
    ]
    if "net_income_per_capita" in panel:
        given = panel["net_income_per_capita"].to_numpy(dtype=float)
        total = panel[
            ["wage_income", "operating_income", "property_income", "transfer_income"]
        ].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # bad members are reported already
            derived = total.to_numpy() / panel["members"].to_numpy()
        off = ok & (np.abs(given - derived) > PER_CAPITA_TOLERANCE)
        problems += [
            Problem(
                int(r),
                "net_income_per_capita",
                float(given[r - 1]),
                f"does not equal the sum of the four sources / members ({derived[r - 1]:.0f})",
            )
            for r in _rows(off)
        ]
    if "assistance_income" in panel:
        assistance = panel["assistance_income"].to_numpy(dtype=float, na_value=np.nan)
        above = ok & (assistance > panel["transfer_income"].to_numpy(dtype=float) + 0.5)
        problems += [
            Problem(
                int(r),
                "assistance_income",
                float(assistance[r - 1]),
                "assistance is part of transfer income and cannot exceed it",
            )
            for r in _rows(above)
        ]
    ids, years = panel[KEY[0]].to_numpy(dtype=object), panel[KEY[1]].to_numpy()
    duplicate = pd.DataFrame({"h": ids, "y": years}).duplicated(keep="first").to_numpy()
    problems += [
        Problem(
            int(r),
            "year",
            int(years[r - 1]),
            f"duplicate row for household {ids[r - 1]!r} and year",
        )
        for r in _rows(duplicate)
    ]
    # Years of one household must rise by one from row to row, in file order.
    order = pd.Series(ids).groupby(ids, sort=False).cumcount().to_numpy()
    previous = pd.Series(years).groupby(ids, sort=False).shift(1).to_numpy()
    has_previous = order > 0
    step = years - np.nan_to_num(previous.astype(float), nan=0)
    reversal = has_previous & (step < 0)
    gap = has_previous & (step > 1)
    problems += [
        Problem(
            int(r), "year", int(years[r - 1]), f"years of household {ids[r - 1]!r} go backwards"
        )
        for r in _rows(reversal)
    ]
    problems += [
        Problem(
            int(r),
            "year",
            int(years[r - 1]),
            f"gap in the years of household {ids[r - 1]!r} (previous {int(previous[r - 1])})",
        )
        for r in _rows(gap)
    ]

"""Risk features of each household from its most recent years of history.

One function, :func:`compute_features`, turns panel rows (one household or millions, 1 to 5
recent years each) into a feature matrix with plain NumPy: the rows are placed into a
households x years grid once, and every feature is a vectorised reduction of that grid. Nothing
depends on other households in the batch, so a household scores the same alone or in a crowd.

Money features are per person and divided by the monitoring line of the year being scored, so
that years with different lines (and price levels) are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from forecast.risk.line import MonitoringLine, monitoring_line
from forecast.schema import (
    HEAD_EDUCATION_LEVELS,
    INCOME_SOURCES,
    KEY_COUNTY_LEVELS,
    MEASURES,
    MONITORED_TYPES,
)

WINDOW = 5  # years of history a score looks at
# Short names of the income sources ("wage", ...), in the schema's order.
SOURCES: tuple[str, ...] = tuple(s.removesuffix("_income") for s in INCOME_SOURCES)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "household_id",
    "year",
    "members",
    "labour_force",
    *(f"{s}_income" for s in SOURCES),
    "monitored",
    "monitored_type",
    "relocated",
    "key_county",
    *(f"received_{m}" for m in MEASURES),
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "head_age",
    "head_education",
    "shock_illness",
    "shock_disaster",
)

# Features by the reason they explain: a reason group is what an officer reads as one cause.
REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "income_level": (
        "income_to_line",
        "log_income_to_line",
        "min_income_to_line",
        "below_line_now",
    ),
    "income_trend": ("income_change", "income_slope"),
    "income_volatility": ("income_volatility",),
    **{s: (f"{s}_level", f"{s}_change", f"{s}_volatility") for s in SOURCES},
    "labour": ("dependency_ratio", "members", "no_labour", "labour_change"),
    "head": ("head_age", "head_over_65", "head_no_schooling", "head_primary", "head_senior_plus"),
    "illness": ("shock_illness",),
    "disaster": ("shock_disaster",),
    "past_shocks": ("shocks_in_window",),
    **{m: (f"received_{m}",) for m in MEASURES},
    "key_county": ("key_county_national", "key_county_provincial"),
    "relocated": ("relocated",),
    "monitoring": ("monitored", "type_unstable", "type_marginal", "type_sudden"),
    "history": ("years_observed",),
}
FEATURE_NAMES: tuple[str, ...] = tuple(f for group in REASON_GROUPS.values() for f in group)
GROUP_OF_FEATURE: np.ndarray = np.repeat(
    np.arange(len(REASON_GROUPS)), [len(g) for g in REASON_GROUPS.values()]
)


@dataclass(frozen=True)
class HouseholdFeatures:
    """Features of a batch of households, one row each, in order of first appearance.

    Attributes
    ----------
    household_id : ndarray of str
    last_year : ndarray of int
        Last observed year; the score is for ``last_year + 1``.
    line_yuan : ndarray of float
        Monitoring line of the scored year (yuan per person).
    values : ndarray, shape (households, len(FEATURE_NAMES))
        Feature values; NaN where the history cannot tell (one year has no trend).
    facts : dict of str to ndarray
        Plain quantities the reasons quote (yuan per person, percentage changes, counts).
    line_version : str
    """

    household_id: np.ndarray
    last_year: np.ndarray
    line_yuan: np.ndarray
    values: np.ndarray
    facts: dict[str, np.ndarray]
    line_version: str

    @property
    def score_year(self) -> np.ndarray:
        return self.last_year + 1

    def frame(self) -> pd.DataFrame:
        """Return the features as a DataFrame indexed by household_id (for inspection)."""
        index = pd.Index(self.household_id, name="household_id")
        return pd.DataFrame(self.values, index=index, columns=list(FEATURE_NAMES))


class HistoryError(ValueError):
    """Household history rows that cannot be scored: where, which field and why, as data.

    The message is built from the attributes; callers that need the place (the service, to
    point at a field of its request) read the attributes, never the message.

    Attributes
    ----------
    reason : str
        What is wrong, as a phrase following the field name ("is missing").
    row : int or None
        Position of the offending row in the rows given (from 0); None for a problem of the
        whole input or of a column.
    household_id : str or None
        The row's household, if it has one.
    year : int or None
        The row's year, as given.
    field : str or None
        The column at fault; None when no single column is.
    """

    def __init__(
        self,
        reason: str,
        *,
        row: int | None = None,
        household_id: str | None = None,
        year: int | None = None,
        field: str | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.row = row
        self.household_id = household_id
        self.year = year
        self.field = field

    def __str__(self) -> str:
        where = (
            ""
            if self.row is None
            else f"row {self.row} (household_id={self.household_id!r}, year={self.year!r}): "
        )
        subject = "" if self.field is None else f"{self.field} "
        return f"history rows: {where}{subject}{self.reason}"

    def __reduce__(self):  # keep the attributes when the error crosses a process boundary
        place = {"row": self.row, "household_id": self.household_id, "year": self.year}
        return partial(type(self), **place, field=self.field), (self.reason,)


def _place(rows: pd.DataFrame, position: int) -> dict[str, object]:
    """Row, household and year of the row at ``position``, as :class:`HistoryError` takes them."""
    household, year = (rows[c].iloc[position] for c in ("household_id", "year"))
    year = year.item() if hasattr(year, "item") else year
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    return {
        "row": int(position),
        "household_id": household if isinstance(household, str) else None,
        "year": year,
    }


def _column_arrays(rows: pd.DataFrame) -> dict[str, object]:
    """The frame's columns as arrays (public API only; about 8 us a column)."""
    if not rows.columns.is_unique:
        duplicated = rows.columns[rows.columns.duplicated()].unique().tolist()
        raise HistoryError(f"duplicate column(s): {duplicated}")
    # NumPy-typed columns as plain ndarrays (views), extension-typed ones as their arrays.
    return {
        name: column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array
        for name, column in rows.items()
    }


def _numbers(
    rows: pd.DataFrame, arrays: dict, column: str, *, optional: bool = False
) -> np.ndarray:
    """Column as float64 with NaN for missing; missing values only allowed if ``optional``."""
    if column not in arrays:
        return np.full(len(rows), np.nan)
    array = arrays[column]
    try:
        if isinstance(array, np.ndarray) and array.dtype.kind in "biuf":
            values = array.astype(np.float64)
        elif isinstance(array, pd.api.extensions.ExtensionArray):  # nullable, arrow
            values = array.to_numpy(dtype=np.float64, na_value=np.nan)
        else:  # object arrays, e.g. booleans with None
            values = pd.Series(array, copy=False).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise HistoryError(f"is not numeric ({error})", field=column) from None
    if not optional and not np.isfinite(values).all():
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise HistoryError("is missing or not finite", **_place(rows, bad[0]), field=column)
    return values


def _codes(
    rows: pd.DataFrame, arrays: dict, column: str, categories: tuple[str, ...], optional=False
) -> np.ndarray:
    """Category column as integer codes into ``categories`` (-1 = missing)."""
    if column not in arrays:
        return np.full(len(rows), -1, dtype=np.int64)
    array = arrays[column]
    if isinstance(array, pd.Categorical) and tuple(array.categories) == categories:
        codes = array.codes.astype(np.int64)
    elif len(array) <= 64:  # a few households: a dict lookup beats building a Categorical
        lookup = {name: i for i, name in enumerate(categories)}
        codes = np.fromiter((lookup.get(v, -1) for v in array), np.int64, len(array))
    else:
        codes = pd.Categorical(array, categories=list(categories)).codes.astype(np.int64)
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        values = pd.Series(array, copy=False)
        invalid = np.flatnonzero(values.iloc[bad].notna().to_numpy())
        if invalid.size:
            i = bad[invalid[0]]
            raise HistoryError(
                f"is {values.iloc[i]!r}, not one of {', '.join(categories)}",
                **_place(rows, i),
                field=column,
            )
        if not optional:
            raise HistoryError("is missing", **_place(rows, bad[0]), field=column)
    return codes


def _line_of(
    line: MonitoringLine, rows: pd.DataFrame, years: np.ndarray, last_row: np.ndarray
) -> np.ndarray:
    """The line of each household's ``years``, naming the first household the line lacks."""
    try:
        return np.asarray(line.value(years), dtype=float)
    except ValueError as error:
        outside = (years < line.first_year) | (years > line.last_year)
        place = _place(rows, int(last_row[np.argmax(outside)])) if outside.any() else {}
        raise HistoryError(
            f"is outside the monitoring line ({error})", **place, field="year"
        ) from None


def _row_std(grid: np.ndarray) -> np.ndarray:
    """Standard deviation of each row's non-missing values; NaN with fewer than two."""
    valid = ~np.isnan(grid)
    count = valid.sum(axis=1)
    filled = np.where(valid, grid, 0.0)
    mean = filled.sum(axis=1) / np.maximum(count, 1)
    var = (np.where(valid, grid - mean[:, None], 0.0) ** 2).sum(axis=1) / np.maximum(count, 1)
    return np.where(count >= 2, np.sqrt(var), np.nan)


def _row_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of y on x per row over non-missing pairs; NaN with fewer than two."""
    valid = ~(np.isnan(x) | np.isnan(y))
    count = np.maximum(valid.sum(axis=1), 1)
    xm = np.where(valid, x, 0.0).sum(axis=1) / count
    ym = np.where(valid, y, 0.0).sum(axis=1) / count
    dx = np.where(valid, x - xm[:, None], 0.0)
    sxx = (dx**2).sum(axis=1)
    sxy = (dx * np.where(valid, y - ym[:, None], 0.0)).sum(axis=1)
    return np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), np.nan)


def _pct_change(last: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Relative change in percent where the previous value is positive, else NaN."""
    ok = previous > 0
    return np.where(ok, 100.0 * (last - previous) / np.where(ok, previous, 1.0), np.nan)


def compute_features(
    rows: pd.DataFrame, line: MonitoringLine | None = None, *, window: int = WINDOW
) -> HouseholdFeatures:
    """Compute risk features for every household in ``rows``.

    Parameters
    ----------
    rows : DataFrame
        History rows in the panel schema (:mod:`forecast.schema`), any order, one or many
        households. Only the ``window`` most recent rows of each household are used; years
        need not be consecutive (changes are taken between successive observed years).
    line : MonitoringLine, optional
        Monitoring line; default the shipped one.
    window : int
        Years of history used.

    Returns
    -------
    HouseholdFeatures
        One row per household in order of first appearance in ``rows``.

    Raises
    ------
    HistoryError
        For a missing column, a missing or invalid value (naming row, household, year and
        field), or a household with two rows for the same year.
    """
    line = line or monitoring_line()
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        raise HistoryError(f"missing column(s): {', '.join(missing)}")
    if len(rows) == 0:
        raise HistoryError("no rows to score")
    arrays = _column_arrays(rows)
    codes, uniques = pd.factorize(arrays["household_id"], sort=False)
    if (codes < 0).any():
        raise HistoryError(
            "is missing", **_place(rows, int(np.argmax(codes < 0))), field="household_id"
        )
    uniques = np.asarray(uniques, dtype=object)
    if not all(isinstance(u, str) for u in uniques):
        raise HistoryError("must be a string", field="household_id")
    year = _numbers(rows, arrays, "year")
    if (year != np.round(year)).any():
        position = int(np.argmax(year != np.round(year)))
        raise HistoryError("is not a whole number", **_place(rows, position), field="year")
    year = year.astype(np.int64)

    n = len(uniques)
    order = np.lexsort((year, codes))
    sorted_codes, sorted_years = codes[order], year[order]
    same = (np.diff(sorted_codes) == 0) & (np.diff(sorted_years) == 0)
    if same.any():
        raise HistoryError(
            "duplicate (household_id, year)", **_place(rows, int(order[np.argmax(same) + 1]))
        )
    ends = np.cumsum(np.bincount(codes, minlength=n))
    from_end = ends[sorted_codes] - 1 - np.arange(len(order))
    keep = from_end < window
    take, grid_row, grid_col = order[keep], sorted_codes[keep], window - 1 - from_end[keep]
    last_row = order[ends - 1]

    def grid(values: np.ndarray) -> np.ndarray:
        out = np.full((n, window), np.nan)
        out[grid_row, grid_col] = values[take]
        return out

    members = _numbers(rows, arrays, "members")
    labour = _numbers(rows, arrays, "labour_force")
    bad = np.flatnonzero((members < 1) | (labour < 0) | (labour > members))
    if bad.size:
        first = int(bad[0])
        counts = f"(members={members[first]:g}, labour_force={labour[first]:g})"
        if members[first] < 1:
            raise HistoryError(f"must be >= 1 {counts}", **_place(rows, first), field="members")
        raise HistoryError(
            f"must be between 0 and members {counts}", **_place(rows, first), field="labour_force"
        )
    last_year = year[last_row]
    line_next, line_now = (
        _line_of(line, rows, years, last_row) for years in (last_year + 1, last_year)
    )

    members_g, years_g = grid(members), grid(year.astype(float))
    per_person = {s: grid(_numbers(rows, arrays, f"{s}_income")) / members_g for s in SOURCES}
    # The household's own income: the monitoring mechanism's assistance, where recorded, is
    # the answer to a risk, not a sign of its absence (labels read income before it too).
    assistance = np.nan_to_num(_numbers(rows, arrays, "assistance_income", optional=True))
    per_person["transfer"] = per_person["transfer"] - grid(assistance) / members_g
    income = sum(per_person.values())  # yuan per person, households x years
    scale = line_next[:, None]
    income_rel = income / scale
    observed = ~np.isnan(income)

    def last(g: np.ndarray) -> np.ndarray:
        return g[:, -1]

    def previous(g: np.ndarray) -> np.ndarray:
        return g[:, -2] if window > 1 else np.full(n, np.nan)

    features: dict[str, np.ndarray] = {
        "income_to_line": np.clip(last(income_rel), -2, 10),
        "log_income_to_line": np.log(np.clip(last(income_rel), 0.05, 20)),
        "min_income_to_line": np.clip(np.where(observed, income_rel, np.inf).min(axis=1), -2, 10),
        "below_line_now": (last(income) < line_now).astype(float),
        "income_change": np.clip(last(income_rel) - previous(income_rel), -5, 5),
        "income_slope": np.clip(_row_slope(years_g, income_rel), -5, 5),
        "income_volatility": np.clip(_row_std(np.diff(income_rel, axis=1)), 0, 5),
    }
    facts: dict[str, np.ndarray] = {
        "income": last(income),
        "income_pct_change": _pct_change(last(income), previous(income)),
        "line_now": line_now,
    }
    for s, values in per_person.items():
        rel = values / scale
        features[f"{s}_level"] = np.clip(last(rel), -5, 10)
        features[f"{s}_change"] = np.clip(last(rel) - previous(rel), -5, 5)
        features[f"{s}_volatility"] = np.clip(_row_std(np.diff(rel, axis=1)), 0, 5)
        facts[s] = last(values)
        facts[f"{s}_pct_change"] = _pct_change(last(values), previous(values))
        facts[f"{s}_share"] = np.where(last(income) > 0, last(values) / last(income), np.nan)

    labour_g = grid(labour)
    m_last, l_last = last(members_g), last(labour_g)
    features |= {
        "dependency_ratio": (m_last - l_last) / m_last,
        "members": m_last,
        "no_labour": (l_last == 0).astype(float),
        "labour_change": last(labour_g) - previous(labour_g),
    }
    facts |= {"members": m_last, "labour_force": l_last, "labour_previous": previous(labour_g)}

    age = _numbers(rows, arrays, "head_age", optional=True)[last_row]
    education = _codes(rows, arrays, "head_education", HEAD_EDUCATION_LEVELS, optional=True)[
        last_row
    ]
    known = np.where(education >= 0, 0.0, np.nan)
    features |= {
        "head_age": age,
        "head_over_65": np.where(np.isnan(age), np.nan, (age >= 65).astype(float)),
        "head_no_schooling": known + (education == 0),
        "head_primary": known + (education == 1),
        "head_senior_plus": known + (education == 3),
    }
    facts |= {"head_age": age, "head_education": education}

    illness = grid(_numbers(rows, arrays, "shock_illness", optional=True))
    disaster = grid(_numbers(rows, arrays, "shock_disaster", optional=True))
    features |= {
        "shock_illness": last(illness),
        "shock_disaster": last(disaster),
        "shocks_in_window": np.nansum(illness, axis=1) + np.nansum(disaster, axis=1),
    }
    for m in MEASURES:
        features[f"received_{m}"] = _numbers(rows, arrays, f"received_{m}")[last_row]

    key = _codes(rows, arrays, "key_county", KEY_COUNTY_LEVELS)[last_row]
    kind = _codes(rows, arrays, "monitored_type", MONITORED_TYPES)[last_row]
    features |= {
        "key_county_national": (key == 2).astype(float),
        "key_county_provincial": (key == 1).astype(float),
        "relocated": _numbers(rows, arrays, "relocated")[last_row],
        "monitored": _numbers(rows, arrays, "monitored")[last_row],
        "type_unstable": (kind == 1).astype(float),
        "type_marginal": (kind == 2).astype(float),
        "type_sudden": (kind == 3).astype(float),
        "years_observed": observed.sum(axis=1).astype(float),
    }
    facts |= {"key_county": key, "monitored_type": kind, "last_year": last_year}
    facts["shocks_in_window"] = features["shocks_in_window"]

    values = np.column_stack([features[name] for name in FEATURE_NAMES])
    return HouseholdFeatures(
        household_id=uniques,
        last_year=last_year,
        line_yuan=line_next,
        values=values,
        facts=facts,
        line_version=line.version,
    )

"""Who is at risk: the label, and training examples built from a panel.

An example is a household observed in year ``t - 1`` (with up to four earlier years), whose
features are computed exactly as at scoring time, and whose outcome is read in year ``t``.

Two definitions of the outcome:

``below_line`` (the served model's label)
    per-capita net income in year ``t``, before the monitoring mechanism's assistance
    (``assistance_income``), falls below that year's monitoring line: the event the
    monitoring system exists to catch and prevent (返贫).
``income_fall_third``
    per-capita net income falls by more than a third from ``t - 1`` to ``t``: the sudden
    severe hardship (突发严重困难) that makes a household a monitoring target even above the
    line. It catches households well above the line whose livelihood broke, which the first
    definition misses until they have fallen through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.risk.features import WINDOW, HouseholdFeatures, compute_features
from forecast.risk.line import MonitoringLine, monitoring_line
from forecast.risk.policy import risk_policy
from forecast.schema import INCOME_SOURCES, MONITORED_TYPES

LABELS: tuple[str, ...] = ("below_line", "income_fall_third")
SERVED_LABEL = "below_line"


@dataclass(frozen=True)
class Examples:
    """Feature rows with outcomes, possibly from several label years."""

    features: HouseholdFeatures
    label: np.ndarray  # bool
    label_year: np.ndarray  # int

    def __len__(self) -> int:
        return self.label.size

    @property
    def values(self) -> np.ndarray:
        return self.features.values

    def subgroups(self) -> pd.DataFrame:
        """Subgroup of every example: key county or not, relocated or not, monitored type."""

        facts = self.features.facts
        relocated = self.features.frame()["relocated"].to_numpy() == 1
        return pd.DataFrame(
            {
                "key_county": np.where(facts["key_county"] > 0, "key county", "other county"),
                "relocated": np.where(relocated, "relocated", "not relocated"),
                "monitored_type": np.asarray(MONITORED_TYPES)[facts["monitored_type"]],
            }
        )


def income_before_assistance(rows: pd.DataFrame) -> pd.Series:
    """Household net income less the monitoring mechanism's assistance (yuan/household).

    The outcome is the household's own fall under the line: assistance that lifted it above
    the line by the end of the year is the monitoring system's answer to the risk, not the
    absence of risk. Where ``assistance_income`` is absent or missing, income is read as
    recorded (an export without the column labels as before).
    """
    income = rows[list(INCOME_SOURCES)].sum(axis=1)
    if "assistance_income" not in rows:
        return income
    return income - rows["assistance_income"].astype(float).fillna(0.0)


def outcome(panel: pd.DataFrame, year: int, line: MonitoringLine, definition: str) -> pd.Series:
    """Outcome of ``definition`` in ``year`` for households observed in ``year - 1`` and ``year``.

    Returns
    -------
    Series of bool indexed by household_id.
    """
    if definition not in LABELS:
        raise ValueError(f"unknown label definition {definition!r}; choose one of {LABELS}")
    rows = panel.loc[panel["year"].isin([year - 1, year]), ["household_id", "year", "members"]]
    income = income_before_assistance(panel.loc[rows.index]) / rows["members"]
    wide = (
        pd.DataFrame({"household_id": rows["household_id"], "year": rows["year"], "pc": income})
        .pivot(index="household_id", columns="year", values="pc")
        .dropna()
    )
    if wide.empty:
        return pd.Series(dtype=bool, index=pd.Index([], name="household_id"))
    now, before = wide[year], wide[year - 1]
    if definition == "below_line":
        return now < line.value(year)
    # income_fall_third: a fall of more than the policy's share (one third) of last year's.
    return (before > 0) & (now < (1 - risk_policy().fall_share) * before)


def examples_for_year(
    panel: pd.DataFrame,
    label_year: int,
    *,
    line: MonitoringLine | None = None,
    definition: str = SERVED_LABEL,
    window: int = WINDOW,
) -> Examples:
    """Examples whose outcome is read in ``label_year`` (features from the years before)."""
    line = line or monitoring_line()
    labels = outcome(panel, label_year, line, definition)
    history = panel[
        panel["year"].between(label_year - window, label_year - 1)
        & panel["household_id"].isin(labels.index)
    ]
    if history.empty:
        raise ValueError(f"no household observed in both {label_year - 1} and {label_year}")
    features = compute_features(history, line, window=window)
    label = labels.reindex(features.household_id).to_numpy(dtype=bool)
    return Examples(features, label, np.full(label.size, label_year))


def examples_for_years(
    panel: pd.DataFrame,
    label_years: range | list[int],
    *,
    line: MonitoringLine | None = None,
    definition: str = SERVED_LABEL,
    window: int = WINDOW,
) -> Examples:
    """Examples of several label years stacked (a household appears once per year)."""
    parts = [
        examples_for_year(panel, y, line=line, definition=definition, window=window)
        for y in label_years
    ]
    if not parts:
        raise ValueError("no label years given")
    first = parts[0].features
    facts = {k: np.concatenate([p.features.facts[k] for p in parts]) for k in first.facts}
    features = HouseholdFeatures(
        household_id=np.concatenate([p.features.household_id for p in parts]),
        last_year=np.concatenate([p.features.last_year for p in parts]),
        line_yuan=np.concatenate([p.features.line_yuan for p in parts]),
        values=np.concatenate([p.features.values for p in parts]),
        facts=facts,
        line_version=first.line_version,
    )
    return Examples(
        features,
        np.concatenate([p.label for p in parts]),
        np.concatenate([p.label_year for p in parts]),
    )


def label_rates(
    panel: pd.DataFrame, years: range | list[int], *, line: MonitoringLine | None = None
) -> pd.DataFrame:
    """Share of households with each outcome, per label year (unweighted sample shares)."""
    line = line or monitoring_line()
    rows = []
    for year in years:
        row = {"year": year, "line_yuan": line.value(year)}
        for definition in LABELS:
            labels = outcome(panel, year, line, definition)
            row["households"] = labels.size
            row[definition] = float(labels.mean()) if labels.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)

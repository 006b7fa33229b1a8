"""Where the target is missed: county-level answers of a target test.

Each replication's result holds one row per county and year
(:attr:`simulation.results.ReplicationResult.counties`). Across replications a county's
figure has a band like the province's; the national level it is measured against is the
replication's own draw of the national path (the same as for the province), so the gap is
read on one footing. At full scale (every household simulated) the county means are exact up
to the Monte Carlo; on a sample, a county holds few households and its band says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

KEY_GROUPS = {True: "key counties", False: "other counties"}
BUDGET_COLUMNS = ("funds_yuan", "unspent_yuan", "unfunded_yuan")  # with county budgets


def county_rows(results: list[Any], year: int) -> pd.DataFrame:
    """Every replication's county rows of ``year``, long, with a ``replication`` column."""
    frames = [
        r.counties[r.counties["year"] == year].assign(replication=i)
        for i, r in enumerate(results)
        if r.counties is not None
    ]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def county_answers(
    results: list[Any], national: np.ndarray, year: int, by: str = "county"
) -> pd.DataFrame:
    """Each county's (or group's) answer in ``year`` across replications.

    Parameters
    ----------
    results : list of ReplicationResult
    national : ndarray
        The national level of ``year`` in each replication (yuan per person).
    year : int
    by : {"county", "group"}
        One row per county, or per key-county group (``key counties`` / ``other counties``:
        people-weighted means of their counties).

    Returns
    -------
    pandas.DataFrame
        Indexed by county code (or group), sorted by the mean gap, furthest behind first:
        ``key_county`` (counties only), ``people``, ``mean``, ``lower_80``, ``upper_80``
        (per-capita net income), ``gap_mean``, ``gap_lower_80``, ``gap_upper_80`` (to the
        replication's national level), ``p_above_national``, ``share_under_line``,
        ``households_reached`` and ``cost_yuan`` (means over replications), and with county
        budgets ``funds_yuan``, ``unspent_yuan`` and ``unfunded_yuan`` (means; what the
        county's levers asked but its funds could not pay).
    """
    rows = county_rows(results, year)
    if rows.empty:
        return pd.DataFrame()
    if by == "group":
        rows = _grouped(rows)
    elif by != "county":
        raise ValueError(f"county_answers: by must be 'county' or 'group', not {by!r}")
    rows["gap"] = rows["net_income_per_capita"] - np.asarray(national)[rows["replication"]]
    grouped = rows.groupby("county")
    income, gap = grouped["net_income_per_capita"], grouped["gap"]
    table = pd.DataFrame(
        {
            "key_county": grouped["key_county"].first(),
            "people": grouped["people"].mean(),
            "mean": income.mean(),
            "lower_80": income.quantile(0.1),
            "upper_80": income.quantile(0.9),
            "gap_mean": gap.mean(),
            "gap_lower_80": gap.quantile(0.1),
            "gap_upper_80": gap.quantile(0.9),
            "p_above_national": grouped["gap"].apply(lambda g: float((g > 0).mean())),
            "share_under_line": grouped["share_people_under_line"].mean(),
            "households_reached": grouped["households_reached"].mean(),
            "cost_yuan": grouped["cost_yuan"].mean(),
            **{c: grouped[c].mean() for c in BUDGET_COLUMNS if c in rows},
        }
    )
    if by == "group":
        table = table.drop(columns="key_county")
    return table.sort_values("gap_mean").rename_axis("county" if by == "county" else "group")


def _grouped(rows: pd.DataFrame) -> pd.DataFrame:
    """County rows summed into key-county groups per replication (people-weighted means)."""
    rows = rows.assign(
        county=rows["key_county"].map(KEY_GROUPS),
        income_people=rows["net_income_per_capita"] * rows["people"],
        under_people=rows["share_people_under_line"] * rows["people"],
    )
    summed = ["people", "income_people", "under_people", "households_reached", "cost_yuan"]
    summed += [c for c in BUDGET_COLUMNS if c in rows]
    sums = rows.groupby(["county", "replication"], as_index=False)[summed].sum()
    return sums.assign(
        key_county=sums["county"] == KEY_GROUPS[True],
        net_income_per_capita=sums["income_people"] / sums["people"],
        share_people_under_line=sums["under_people"] / sums["people"],
    )

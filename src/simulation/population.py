"""The starting population: household state in arrays plus the dynamics fitted to the panel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.dynamics import (
    SHOCKS,
    IncomeDynamics,
    estimate_dynamics,
    household_type_index,
    observed_deviations,
)
from forecast.schema import SOURCES
from forecast.statistics import PublicStatistics

REQUIRED = (
    "household_id",
    "year",
    "county_code",
    "village_code",
    "members",
    "labour_force",
    "wage_income",
    "operating_income",
    "property_income",
    "transfer_income",
    "weight",
    "monitored",
    "relocated",
    "key_county",
)


@dataclass(frozen=True)
class Population:
    """Households of the province at the end of ``as_of``, built once and reused.

    Attributes
    ----------
    as_of : int
        Last observed year; incomes are that year's.
    weight : ndarray of float
        Households each row represents.
    members, labour_force : ndarray of int
    household_type : ndarray of int8
        Index into ``forecast.dynamics.HOUSEHOLD_TYPES``.
    county, village : ndarray of int32
        Index into ``county_codes`` / ``village_codes``.
    village_county : ndarray of int32
        County index of each village.
    key_county, relocated, monitored : ndarray of bool
    income : ndarray of float, shape (4, n)
        Yuan per household per year by source (wage, operating, property, transfer).
    previous_income_per_capita : ndarray of float
        Per-capita net income of ``as_of - 1`` (NaN if the household was not observed).
    dynamics : forecast.dynamics.IncomeDynamics
        Persistence and volatility by household type and source, shock statistics and type
        transitions, fitted on years up to ``as_of``.
    deviation : ndarray of float, shape (4, n)
        Log deviation of the as-of income from the household's own level, by source
        (:func:`forecast.dynamics.observed_deviations`; NaN where the income is not
        positive). The simulation starts each household's AR(1) from it, so a bad as-of year
        recovers towards the household's level.
    deviation_correction : ndarray of float, shape (4, grid)
        By source, the log correction that keeps the population's mean income where it was
        as the deviations fade (a level is a median; see ``observed_deviations``).
    shocks : ndarray of bool, shape (2, n)
        Shocks (``forecast.dynamics.SHOCKS``: illness, disaster) reported in ``as_of``.
    """

    as_of: int
    weight: np.ndarray
    members: np.ndarray
    labour_force: np.ndarray
    household_type: np.ndarray
    county: np.ndarray
    village: np.ndarray
    village_county: np.ndarray
    county_codes: np.ndarray
    village_codes: np.ndarray
    key_county: np.ndarray
    relocated: np.ndarray
    monitored: np.ndarray
    income: np.ndarray
    previous_income_per_capita: np.ndarray
    dynamics: IncomeDynamics
    deviation: np.ndarray
    deviation_correction: np.ndarray
    shocks: np.ndarray

    @property
    def size(self) -> int:
        """Number of household rows."""
        return len(self.weight)

    @classmethod
    def from_panel(cls, panel: pd.DataFrame, as_of: int | None = None) -> Population:
        """Build the population from a household panel in the canonical schema.

        Parameters
        ----------
        panel : pandas.DataFrame
            Panel in the schema of :mod:`forecast.schema`, with years up to ``as_of``.
        as_of : int, optional
            Year whose households start the simulation (default: the panel's last year).
            Dynamics are fitted on years up to ``as_of`` only.

        Raises
        ------
        ValueError
            If a required column is missing or the panel has no row in ``as_of``.
        """
        missing = [c for c in REQUIRED if c not in panel.columns]
        if missing:
            raise ValueError(f"panel: missing columns {missing}")
        as_of = int(panel["year"].max()) if as_of is None else int(as_of)
        current = panel[panel["year"] == as_of]
        if current.empty:
            raise ValueError(f"panel: no households in as_of year {as_of}")
        dynamics = estimate_dynamics(panel, as_of=as_of)
        county_codes, county = np.unique(current["county_code"].to_numpy(str), return_inverse=True)
        village_keys = (
            current["county_code"].astype(str) + "/" + current["village_code"].astype(str)
        )
        village_codes, village = np.unique(village_keys.to_numpy(str), return_inverse=True)
        village_county = np.zeros(len(village_codes), dtype=np.int32)
        village_county[village] = county
        income = np.vstack([current[f"{s}_income"].to_numpy(dtype=float) for s in SOURCES])
        members = current["members"].to_numpy(dtype=np.int16)
        prev = np.full(len(current), np.nan)
        if "net_income_per_capita" in panel.columns:
            previous = panel.loc[
                panel["year"] == as_of - 1, ["household_id", "net_income_per_capita"]
            ]
            if not previous.empty:
                prev = (
                    current[["household_id"]]
                    .merge(previous, on="household_id", how="left")["net_income_per_capita"]
                    .to_numpy(dtype=float, na_value=np.nan)
                )
        labour = current["labour_force"].to_numpy(dtype=np.int16)
        monitored = current["monitored"].to_numpy(dtype=bool)
        deviation, correction = observed_deviations(
            panel, dynamics, as_of, current["household_id"].to_numpy()
        )
        shocks = np.vstack(
            [
                current[f"shock_{s}"].fillna(False).to_numpy(dtype=bool)
                if f"shock_{s}" in current
                else np.zeros(len(current), dtype=bool)
                for s in SHOCKS
            ]
        )
        return cls(
            as_of=as_of,
            weight=current["weight"].to_numpy(dtype=float),
            members=members,
            labour_force=labour,
            household_type=household_type_index(labour, monitored),
            county=county.astype(np.int32),
            village=village.astype(np.int32),
            village_county=village_county,
            county_codes=county_codes,
            village_codes=village_codes,
            key_county=current["key_county"].astype(str).to_numpy() != "none",
            relocated=current["relocated"].to_numpy(dtype=bool),
            monitored=monitored,
            income=income,
            previous_income_per_capita=prev,
            dynamics=dynamics,
            deviation=deviation,
            deviation_correction=correction,
            shocks=shocks,
        )

    def income_per_capita(self) -> np.ndarray:
        """Per-capita net income of ``as_of`` (yuan per person)."""
        return self.income.sum(axis=0) / self.members

    def mean_income_per_capita(self) -> float:
        """People-weighted mean per-capita net income of ``as_of``."""
        return float(
            np.sum(self.weight * self.income.sum(axis=0)) / np.sum(self.weight * self.members)
        )


def full_province_households() -> int:
    """Households of the whole province: alleviated plus monitored, from
    ``data/public_statistics.yaml`` (``counts.households_alleviated_plus_monitored``)."""
    return int(PublicStatistics.load().value("counts", "households_alleviated_plus_monitored"))

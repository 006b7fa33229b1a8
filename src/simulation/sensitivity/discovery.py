"""Scenario discovery: the boxes of inputs in which the 2024 target is met (PRIM).

PRIM (the patient rule induction method, EMA Workbench's implementation) peels an experiments
table, one row per future, down to a box of inputs where the target is met more often; each
box is a few limits ("skills training adds at least X yuan", "national growth stays under
Y %"). Of a box PRIM reports its **coverage** (the share of the futures meeting the target
that lie in it), **density** (the share of its futures meeting the target) and **mass** (the
share of all futures in it); the peeling trajectory shows the trade-off between coverage and
density, box by box. From each trajectory the box kept is the one of highest coverage whose
density reaches ``min_density`` (the densest if none does), less any restriction whose
quasi-p value (Bryant and Lempert 2010) says it gains no more density than chance would; PRIM
then looks for the next box among the futures left.

The table is the Monte Carlo's experiments table (:attr:`TargetTestResult.experiments`):
every replication draws its own effects, calibration and macro path, so the inputs of the
boxes are the uncertain inputs the scenario declares and the macro path's growth.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.montecarlo.target import MACRO_SUMMARY
from simulation.scenario import Scenario
from simulation.uncertainties import uncertainties

PEEL_ALPHA = 0.05  # share of the futures peeled at each step (PRIM's default)
MASS_MIN = 0.05  # smallest box: 5 % of the futures
MIN_DENSITY = 0.8  # the box kept: the largest coverage where the target is met this often
MAX_QUASI_P = 0.05  # a restriction less significant than this is dropped from the box


@dataclass(frozen=True)
class Limit:
    """One restricted input of a box: ``low`` and/or ``high`` (None: not restricted)."""

    input: str
    label: str
    unit: str
    low: float | None
    high: float | None
    quasi_p: float = float("nan")  # of the restriction (one-sided binomial test)

    def text(self) -> str:
        """The limit in words, with its unit."""
        low, high = (None if v is None else _amount(v) for v in (self.low, self.high))
        if low is not None and high is not None:
            return f"{self.label} is between {low} and {high} {self.unit}"
        if low is not None:
            return f"{self.label} is at least {low} {self.unit}"
        return f"{self.label} is at most {high} {self.unit}"


@dataclass(frozen=True)
class Box:
    """A box of futures: its statistics, its limits and its peeling trajectory."""

    coverage: float
    density: float
    mass: float
    limits: list[Limit]
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim by peeling step
    chosen_step: int  # the step kept from the trajectory
    dropped: bool = False  # whether restrictions of that step were dropped as insignificant

    def text(self, outcome: str = "the target is met") -> str:
        """The box in plain language."""
        if not self.limits:
            return f"{outcome} in {self.density:.0%} of all futures (no input restricted)"
        conditions = " and ".join(limit.text() for limit in self.limits)
        return (
            f"{outcome} in {self.density:.0%} of futures where {conditions}; these futures are "
            f"{self.mass:.0%} of all and hold {self.coverage:.0%} of those where it is met"
        )


@dataclass
class Discovery:
    """The boxes PRIM found in an experiments table."""

    boxes: list[Box]
    futures: int
    share_met: float
    inputs: list[str]
    min_density: float
    scenario: str = ""
    households: int | None = None
    seed: int | None = None
    experiments_source: str = ""
    extra: dict = field(default_factory=dict)


def _amount(value: float) -> str:
    """A number as a person reads it: thousands separated, three significant digits."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def find_boxes(
    x: pd.DataFrame,
    met: np.ndarray,
    about: Mapping[str, tuple[str, str]],
    *,
    boxes: int = 2,
    min_density: float | None = None,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
    max_quasi_p: float = MAX_QUASI_P,
) -> Discovery:
    """Find up to ``boxes`` boxes of ``x`` (futures x inputs) where ``met`` is true.

    Parameters
    ----------
    x : DataFrame
        One numeric column per input, one row per future.
    met : array of bool
        Whether the target is met in each future.
    about : mapping of str to (unit, label)
        Each input's unit and words.
    boxes : int
        At most this many boxes (fewer when PRIM finds no more).
    min_density : float, optional
        The box kept from each trajectory: the largest coverage reaching this density.
        Default: :data:`MIN_DENSITY`, or halfway from the share of all futures meeting the
        target to certainty when that share already reaches it (a box must say more than
        "all futures").
    max_quasi_p : float
        A restriction of the kept box whose quasi-p value exceeds this is dropped (it does
        not raise the density more than chance would).
    """
    met = np.asarray(met, dtype=bool)
    if min_density is None:
        share = float(met.mean()) if len(met) else 0.0
        min_density = MIN_DENSITY if share < MIN_DENSITY else (1 + share) / 2
    if len(x) != len(met):
        raise ValueError(f"{len(x)} futures but {len(met)} outcomes")
    if len(x) < 20:
        raise ValueError(f"PRIM needs at least 20 futures, got {len(x)}")
    x = x.loc[:, x.nunique() > 1].astype(float).reset_index(drop=True)
    with warnings.catch_warnings():  # its use of pandas' deprecated options is its own
        warnings.simplefilter("ignore", DeprecationWarning)
        prim = _prim()(x, met.astype(int), peel_alpha=peel_alpha, mass_min=mass_min)
    found = []
    for _ in range(boxes):
        if not met.any():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            box = prim.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
        step = _chosen_step(trajectory, min_density)
        box.select(step)
        kept, quasi_p = _significant(box, step, max_quasi_p)
        limits = _limits(box.box_lims[kept], prim.box_init, about, quasi_p)
        stats = box.peeling_trajectory.loc[kept]
        if not limits or (found and float(stats["density"]) < min_density):
            break  # no restriction stands out from chance: no (further) box to report
        found.append(
            Box(
                coverage=float(stats["coverage"]),
                density=float(stats["density"]),
                mass=float(stats["mass"]),
                limits=limits,
                trajectory=trajectory,
                chosen_step=int(step),
                dropped=int(stats["res_dim"]) < int(trajectory.loc[step, "res_dim"]),
            )
        )
    return Discovery(
        boxes=found,
        futures=len(x),
        share_met=float(met.mean()),
        inputs=list(x.columns),
        min_density=min_density,
    )


def discover(
    experiments: pd.DataFrame,
    scenario: Scenario,
    *,
    boxes: int = 2,
    min_density: float | None = None,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
) -> Discovery:
    """The boxes of an experiments table (:attr:`TargetTestResult.experiments`) where the
    target is met, over the scenario's uncertain inputs and the macro path's growth.

    Columns that are not a declared input (:func:`simulation.uncertainties.uncertainties`)
    or a macro summary (:data:`MACRO_SUMMARY`) are left out; so are inputs a table holds
    fixed (one value).
    """
    about = {u.name: (u.unit, u.label) for u in uncertainties(scenario)}
    about |= {name: (unit, words) for name, (unit, words) in MACRO_SUMMARY.items()}
    columns = [c for c in experiments.columns if c in about]
    if "target_met" not in experiments or not columns:
        raise ValueError(
            "an experiments table needs a target_met column and inputs of the scenario "
            f"{scenario.name!r} (found columns: {', '.join(map(str, experiments.columns[:8]))}...)"
        )
    found = find_boxes(
        experiments[columns],
        experiments["target_met"].to_numpy(dtype=bool),
        about,
        boxes=boxes,
        min_density=min_density,
        peel_alpha=peel_alpha,
        mass_min=mass_min,
    )
    found.scenario = scenario.name
    return found


def _prim():
    """EMA Workbench's PRIM, imported quietly (it warns about optional parallel back-ends
    and logs each box)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis.prim import Prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return Prim


def _significant(box, step: int, max_quasi_p: float) -> tuple[int, dict[str, float]]:
    """Drop, one by one, the box's restrictions whose quasi-p value (Bryant and Lempert
    2010: a one-sided binomial test of the density gained by the restriction) exceeds
    ``max_quasi_p``, the least significant first; return the box's final step on the
    trajectory and each kept restriction's quasi-p value."""
    current = step
    while True:
        values = {
            name: max(v for v in pair if v >= 0)
            for name, pair in box.p_values[current].items()
            if any(v >= 0 for v in pair)
        }
        worst = max(values, key=values.get, default=None)
        if worst is None or values[worst] <= max_quasi_p:
            return current, values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            box.drop_restriction(worst, current)
        current = len(box.peeling_trajectory) - 1


def _chosen_step(trajectory: pd.DataFrame, min_density: float) -> int:
    dense = trajectory[trajectory["density"] >= min_density]
    if dense.empty:
        return int(trajectory["density"].idxmax())
    return int(dense["coverage"].idxmax())


def _limits(
    lims: pd.DataFrame,
    initial: pd.DataFrame,
    about: Mapping[str, tuple[str, str]],
    quasi_p: Mapping[str, float],
) -> list[Limit]:
    """The restricted inputs of a box (limits that moved from the whole data's)."""
    found = []
    for column in lims.columns:
        low, high = float(lims[column].iloc[0]), float(lims[column].iloc[1])
        low0, high0 = float(initial[column].iloc[0]), float(initial[column].iloc[1])
        moved_low, moved_high = low > low0, high < high0
        if moved_low or moved_high:
            unit, label = about.get(column, ("", column))
            found.append(
                Limit(
                    input=column,
                    label=label,
                    unit=unit,
                    low=low if moved_low else None,
                    high=high if moved_high else None,
                    quasi_p=float(quasi_p.get(column, np.nan)),
                )
            )
    return found


__all__ = [
    "Box",
    "Discovery",
    "Limit",
    "MASS_MIN",
    "MIN_DENSITY",
    "PEEL_ALPHA",
    "discover",
    "find_boxes",
]

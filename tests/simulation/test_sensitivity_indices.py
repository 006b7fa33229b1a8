"""The sensitivity pipeline on a test function with known indices (Ishigami), and PRIM on
data with a planted box."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.sensitivity.discovery import find_boxes
from simulation.sensitivity.indices import morris_indices, sobol_indices
from simulation.uncertainties import Uncertainty

A, B = 7.0, 0.1  # the usual Ishigami constants


def ishigami(values: np.ndarray) -> dict[str, np.ndarray]:
    x1, x2, x3 = values.T
    return {"y": np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)}


def analytical() -> pd.DataFrame:
    """Ishigami's first-order and total indices (Sobol' and Levitan 1999)."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return (
        pd.DataFrame(
            {"S1": [v1, v2, 0.0], "ST": [v1 + v13, v2, v13]},
            index=pd.Index(["x1", "x2", "x3"], name="input"),
        )
        / total
    )


INPUTS = [
    Uncertainty(f"x{i}", "1", "uniform", 0.0, -math.pi, math.pi, "assumption: test", "-")
    for i in (1, 2, 3)
]


def test_sobol_indices_of_ishigami_match_the_analytical_values_within_their_intervals():
    found = sobol_indices(INPUTS, ishigami, samples=4096, seed=3)["y"]
    expected = analytical()
    assert list(found.index) == ["x1", "x2", "x3"]  # ranked by total index
    for name, row in expected.iterrows():
        for index in ("S1", "ST"):
            estimate, half_width = found.loc[name, index], found.loc[name, f"{index}_conf"]
            assert 0 < half_width < 0.1
            assert abs(estimate - row[index]) <= half_width, (name, index, estimate, row[index])


def test_morris_screening_of_ishigami_ranks_the_inputs_and_flags_the_interaction():
    found = morris_indices(INPUTS, ishigami, trajectories=60, seed=2)["y"]
    assert found["mu_star"].notna().all() and (found["mu_star_conf"] > 0).all()
    assert found["S1"].isna().all()  # Morris alone gives no Sobol index
    # x3 acts only through its interaction with x1: its effects vary more than they average.
    assert found.loc["x3", "sigma"] > found.loc["x3", "mu_star"] * 0.9
    assert found.loc["x1", "mu_star"] > found.loc["x3", "mu_star"]


def test_prim_recovers_a_planted_box():
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.uniform(0, 1, (2000, 5)), columns=[f"u{i}" for i in range(5)])
    inside = (x["u1"] >= 0.6) & (x["u3"] <= 0.3)
    met = inside.to_numpy() | (rng.random(len(x)) < 0.03)  # a little noise outside
    about = {"u1": ("yuan", "skills"), "u3": ("percent a year", "national growth")}
    found = find_boxes(x, met, about, boxes=1, min_density=0.9)
    box = found.boxes[0]
    limits = {limit.input: limit for limit in box.limits}
    assert set(limits) == {"u1", "u3"}
    assert limits["u1"].low == pytest.approx(0.6, abs=0.04) and limits["u1"].high is None
    assert limits["u3"].high == pytest.approx(0.3, abs=0.04) and limits["u3"].low is None
    assert box.density >= 0.9 and box.coverage >= 0.7
    assert box.mass == pytest.approx(inside.mean(), abs=0.03)
    text = box.text()
    assert f"skills is at least {limits['u1'].low:.3g} yuan" in text
    assert f"national growth is at most {limits['u3'].high:.3g} percent a year" in text
    trajectory = box.trajectory
    assert trajectory["coverage"].is_monotonic_decreasing
    assert trajectory.loc[box.chosen_step, "density"] == box.density


def test_prim_reports_no_box_where_the_outcome_is_noise():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.uniform(0, 1, (400, 6)), columns=[f"u{i}" for i in range(6)])
    found = find_boxes(x, rng.random(len(x)) < 0.6, {})
    assert found.boxes == []  # every restriction's gain is within chance (quasi-p > 0.05)

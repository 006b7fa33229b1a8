"""Calibration of the four sources: from as-of 2021 the policies in force reproduce the
published 2022 composition, with a Laplace posterior that the Monte Carlo draws from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulation import load_scenario
from simulation.calibration import (
    FREE,
    GROUPS,
    Posterior,
    Targets,
    calibrate,
    calibration_table,
    write_calibration,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def fitted(population_2021):
    return calibrate(load_scenario(SCENARIOS / "baseline.yaml"), population_2021, seed=0)


def test_targets_are_the_published_2022_composition():
    targets = Targets.published(2022)
    assert targets.net_income_per_capita == 14147
    assert targets.levels == {"wage": 9409, "operating": 3120, "property_and_transfer": 1618}
    assert sum(targets.levels.values()) == pytest.approx(targets.net_income_per_capita)


def test_calibration_reproduces_every_source_within_its_tolerance(fitted):
    table = fitted.table
    assert fitted.within_tolerance, table
    assert abs(table.loc["net_income_per_capita", "relative_error"]) <= 0.01
    for group in GROUPS:
        assert abs(table.loc[group, "relative_error"]) <= 0.05, group
    assert set(fitted.parameters) == {name for names in FREE for name in names}
    assert fitted.parameters["property_drift_shift"] == fitted.parameters["transfer_drift_shift"]


def test_posterior_is_a_proper_normal_and_its_draws_vary(fitted):
    posterior = fitted.posterior
    assert np.all(np.linalg.eigvalsh(posterior.covariance) > 0)
    draws = np.array([list(posterior.draw(np.random.default_rng(i)).values()) for i in range(400)])
    assert draws.std(axis=0).min() > 0
    np.testing.assert_allclose(
        draws[:, [0, 1, 2]].mean(axis=0), posterior.mean, atol=4 * posterior.sd.max()
    )
    assert posterior.draw(None) == fitted.parameters


def test_unfitted_shifts_miss_some_source(population_2021, fitted):
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    zero = dict.fromkeys(fitted.parameters, 0.0)
    table = calibration_table(baseline, population_2021, 0, zero)
    moved = table["relative_error"].abs() - fitted.table["relative_error"].abs()
    assert (moved > 0).any()  # the fit improves on no shift


def test_written_posterior_is_read_back(fitted, tmp_path):
    folder = tmp_path
    for name in ("measures.yaml", "no_measures.yaml", "baseline.yaml"):
        (folder / name).write_text((SCENARIOS / name).read_text(encoding="utf-8"))
    write_calibration(fitted, folder / "calibration.yaml", "test panel")
    scenario = load_scenario(folder / "baseline.yaml")
    read = Posterior.from_scenario(scenario)
    assert read is not None
    np.testing.assert_allclose(read.mean, fitted.posterior.mean, rtol=1e-5)
    np.testing.assert_allclose(read.covariance, fitted.posterior.covariance, rtol=1e-6)

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
from simulation.model import Province
from simulation.rules import SOURCES
from simulation.trend import shift_carried

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
    central = fitted.parameters | {"shift_persistence": 0.5}
    assert posterior.draw(None) == central
    # The persistence is drawn too, centred on its stated value and inside its range.
    carried = draws[:, -1]
    assert (
        carried.min() >= 0 and carried.max() <= 1 and carried.mean() == pytest.approx(0.5, abs=0.03)
    )


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
    np.testing.assert_allclose(read.covariance, fitted.posterior.covariance, rtol=1e-6, atol=1e-15)
    # The file's other entries are written back as they were read, assumptions included.
    shipped = load_scenario(SCENARIOS / "baseline.yaml").calibration
    for name in ("shift_persistence", "observation_error_property_and_transfer"):
        assert scenario.calibration[name] == shipped[name], name
    assert scenario.calibration["calibration_year"].value == 2022


def test_a_shift_is_full_in_its_year_and_carried_at_its_persistence():
    years = range(2021, 2025)
    np.testing.assert_allclose(shift_carried(years, 2022, 0.0), [0, 1, 0, 0])
    np.testing.assert_allclose(shift_carried(years, 2022, 0.5), [0, 1, 0.5, 0.25])
    np.testing.assert_allclose(shift_carried(years, 2022, 1.0), [0, 1, 1, 1])


@pytest.mark.parametrize("persistence", [0.0, 0.6])
def test_the_model_carries_the_calibrated_shift_into_later_years(persistence, population):
    """From as-of 2022, 2023's growth of a source moves by shift x persistence, 2024's by
    shift x persistence squared; a shift of 0 moves nothing."""
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    shifted = baseline.with_calibration(
        wage_drift_shift=0.1,
        operating_drift_shift=0.0,
        property_drift_shift=0.0,
        transfer_drift_shift=0.0,
        shift_persistence=persistence,
        calibration_year=2022,
    )
    model = Province(shifted, population, seed=0, draw_parameters=False, months=1)
    plain = Province(
        shifted.with_calibration(wage_drift_shift=0.0),
        population,
        seed=0,
        draw_parameters=False,
        months=1,
    )
    wage = list(SOURCES).index("wage")
    for elapsed, expected in (
        (1.0, 0.1 * persistence),
        (2.0, 0.1 * (persistence + persistence**2)),
    ):
        moved = model._log_trend(elapsed) - plain._log_trend(elapsed)
        assert moved[0, wage] == pytest.approx(expected)
        assert np.delete(moved[0], wage) == pytest.approx(0.0)

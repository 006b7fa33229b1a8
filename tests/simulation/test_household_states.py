"""Household states that move: shocks recover at their stated rate, types move at the panel's
rates, and the noise starts from each household's observed deviation from its own level."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_rules_cases import one_person_block

from forecast.dynamics import HOUSEHOLD_TYPES, LABOUR_GROUPS
from simulation import Population, load_scenario, rules
from simulation.households import HouseholdBlock, MonthContext
from simulation.model import Province
from simulation.trend import expected_trend

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


def quiet(scenario):
    """The scenario without measures, shocks or the monitoring system's payments."""
    switched = scenario.without_shocks().without_monitoring_payments()
    return dataclasses.replace(switched, measures=())


# -- shocks that recover -----------------------------------------------------------------------


def wage_block(n: int, wage: float = 12_000.0) -> HouseholdBlock:
    """``n`` one-person households earning ``wage`` yuan a year, all of it wage."""
    return one_person_block(n, wage, household_type=1)


def quiet_month(month: int, **shock) -> MonthContext:
    """A month without trend, noise or monitoring: only the illness rule acts."""
    values = {
        "illness_hazard": 0.0,
        "illness_effect": 0.0,
        "illness_duration": 1,
        "illness_decay": 0.0,
        "disaster_hazard": 0.0,
        "disaster_effect": 0.0,
        "disaster_duration": 1,
        "disaster_decay": 0.0,
        **shock,
    }
    return MonthContext(
        month=month,
        elapsed_years=(month + 6.5) / 12,
        year_index=month // 12,
        trend=np.zeros((len(HOUSEHOLD_TYPES), 4)),
        rho_m=np.zeros((len(HOUSEHOLD_TYPES), 4)),
        sigma_m=np.zeros((len(HOUSEHOLD_TYPES), 4)),
        village_disaster_active=np.zeros(1, dtype=bool),
        village_disaster_effect=0.0,
        price_multiplier=1.0,
        labour_multiplier=1.0,
        line=0.0,
        hit_rate=0.0,
        detection_lag=0.0,
        assistance_delay=0,
        gap_closure=0.0,
        assistance_duration=12,
        **values,
    )


def wage_path(block, months, strike_months, **shock) -> np.ndarray:
    """Each household's wage rate month by month; household i is struck in strike_months[i]."""
    n, path = block.n, []
    for k in range(months):
        draws = {
            "innovation": np.zeros((4, n)),
            "illness": np.where(np.asarray(strike_months) == k, 0.0, 1.0),
            "disaster": np.ones(n),
            "screen": np.ones(n),
        }
        block.step(quiet_month(k, illness_hazard=0.5, **shock), draws)
        path.append(block.income[rules.WAGE].copy())
    return np.array(path)


def test_a_shock_recovers_at_its_stated_rate(baseline):
    rate = float(baseline.shocks["illness_recovery_rate_fallback"].value)  # stated: 0.5 a year
    effect, duration = np.log(0.6), 3
    path = wage_path(
        wage_block(1),
        48,
        [0],
        illness_effect=effect,
        illness_duration=duration,
        illness_decay=rules.monthly_decay(rate),
    )[:, 0]
    remaining = np.log(path / 12_000.0) / effect  # share of the log effect still there
    np.testing.assert_allclose(remaining[:duration], 1.0)  # the full period
    # From then on, each year a share ``rate`` of what remains is recovered.
    for years in (1, 2, 3):
        month = duration - 1 + 12 * years
        assert remaining[month] == pytest.approx((1 - rate) ** years, rel=1e-9)
    assert np.all(np.diff(remaining[duration - 1 :]) < 0)  # recovering every month
    # A rate of one is the old rule: the effect ends with its period, at once.
    at_once = wage_path(
        wage_block(1), 6, [0], illness_effect=effect, illness_duration=duration, illness_decay=0.0
    )[:, 0]
    np.testing.assert_allclose(at_once[duration:], 12_000.0)


def test_the_rule_leaves_the_yearly_share_the_rate_was_matched_to():
    """Households struck in every month of a year: next year's mean log loss over this
    year's is what ``rules.remaining_share`` says, so the rate fitted to the panel's yearly
    share by ``rules.recovery_rate`` is the rate the block applies."""
    effect, duration, rate = -0.05, 6, 0.4
    path = wage_path(
        wage_block(12),
        36,
        np.arange(12),
        illness_effect=effect,
        illness_duration=duration,
        illness_decay=rules.monthly_decay(rate),
    )
    yearly = np.log(path / 12_000.0).reshape(3, 12, 12).mean(axis=1).mean(axis=1)
    assert yearly[1] / yearly[0] == pytest.approx(rules.remaining_share(rate, duration), rel=1e-6)
    for r in (0.0, 0.3, 0.7):
        share = 1 - rules.remaining_share(r, duration)
        assert rules.recovery_rate(share, duration) == pytest.approx(r, abs=1e-6)
    # A shock gone the year after (the synthetic panel's) is more than the full period
    # allows: the rate is one, the effect ends with its period.
    assert rules.recovery_rate(1.0, duration) == 1.0


def test_the_recovery_rate_comes_from_the_panel(population, baseline):
    model = Province(quiet(baseline), population, seed=0, months=1)
    recovered = population.dynamics.shock_recovery.loc["illness", "wage"]
    assert np.isfinite(recovered)
    duration = int(baseline.shocks["illness_duration"].value)
    expected = rules.recovery_rate(recovered, duration)
    assert model.parameters["shocks.illness_recovery_rate"] == pytest.approx(expected)


# -- noise from the household's observed deviation ----------------------------------------------


def _yearly_per_capita(model) -> list[np.ndarray]:
    """Each household's per-capita income of every simulated year."""
    years = []
    while model.month < model.months:
        model.step()
        if model.month % 12 == 0:
            years.append(model.household_income_per_capita.copy())
    return years


def _people_quantile(values, people, q):
    order = np.argsort(values)
    cumulative = np.cumsum(people[order])
    return values[order][np.searchsorted(cumulative, q * cumulative[-1])]


@pytest.mark.parametrize("trend", [None, (0.05, 0.05)], ids=["macro", "slow"])
def test_without_measures_or_shocks_the_bottom_decile_rises_with_the_mean(
    population, baseline, trend
):
    """Levers and shocks off; the monitoring system stays: the as-of incomes hold its
    assistance (the panel's households under the line were lifted above it), and without it
    the bottom would fall by construction, not by the dynamics."""
    if trend is None:
        trend = expected_trend(population.as_of, baseline.years[1])
    scenario = dataclasses.replace(quiet(baseline), monitoring=baseline.monitoring)
    model = Province(scenario, population, seed=4, draw_parameters=False, trend=np.asarray(trend))
    incomes = [population.income_per_capita(), *_yearly_per_capita(model)]
    people = population.weight * population.members
    means = [np.sum(people * x) / people.sum() for x in incomes]
    bottom = [_people_quantile(x, people, 0.1) for x in incomes]
    assert np.all(np.diff(means) > 0)
    assert np.all(np.diff(bottom) > 0), bottom


def test_a_household_depressed_by_a_shock_in_the_as_of_year_grows_faster_than_the_trend(
    population, baseline
):
    trend = np.array([0.05, 0.05])
    model = Province(quiet(baseline), population, seed=5, draw_parameters=False, trend=trend)
    first = _yearly_per_capita(model)[0]
    people = population.weight * population.members
    before = population.income_per_capita()
    ill = population.shocks[0]
    assert 0.02 < np.average(ill, weights=population.weight) < 0.08

    def growth(mask):
        return np.log(np.sum((people * first)[mask]) / np.sum((people * before)[mask]))

    # The as-of illness cost about half the wage; it is gone the next year (the panel's
    # recovery), and the rest of a bad year fades with the AR(1).
    assert growth(ill) > trend[0] + 0.2
    assert growth(ill) > growth(~population.shocks.any(axis=0)) + 0.2
    # Regression to the mean, without shocks: households whose as-of wage was below their
    # own level grow faster than those above it.
    calm = ~population.shocks.any(axis=0)
    low = calm & (population.deviation[rules.WAGE] < -0.2)
    high = calm & (population.deviation[rules.WAGE] > 0.2)
    assert growth(low) > trend[0] > growth(high)


def test_the_starting_deviation_reads_nothing_after_as_of(synthetic_panel, population_2021):
    poisoned = synthetic_panel.copy()
    later = poisoned["year"] > 2021
    for column in ("wage_income", "operating_income", "transfer_income"):
        poisoned.loc[later, column] *= 3.0
    again = Population.from_panel(poisoned, as_of=2021)
    np.testing.assert_array_equal(again.deviation, population_2021.deviation)
    np.testing.assert_array_equal(again.deviation_correction, population_2021.deviation_correction)


# -- types that move ------------------------------------------------------------------------------

# Yearly labour-group transitions of the constructed panel (rows: from, columns: to).
TRUE_LABOUR = np.array([[0.90, 0.10, 0.00], [0.06, 0.86, 0.08], [0.00, 0.07, 0.93]])


def labour_panel(n=4000, years=range(2016, 2023), seed=0) -> pd.DataFrame:
    """Households whose labour capacity moves with TRUE_LABOUR; a tenth monitored."""
    rng = np.random.default_rng(seed)
    group = rng.choice(3, n, p=[0.2, 0.4, 0.4])
    monitored = rng.random(n) < 0.1
    level = rng.normal(0, 0.4, n)
    rows = []
    for t, year in enumerate(years):
        if t:
            cumulative = np.cumsum(TRUE_LABOUR, axis=1)[group]
            group = (rng.random(n)[:, None] >= cumulative[:, :2]).sum(axis=1)
        wage = np.where(group > 0, 9_000 * group * np.exp(level + rng.normal(0, 0.2, n)), 0.0)
        rows.append(
            pd.DataFrame(
                {
                    "household_id": [f"h{i:05d}" for i in range(n)],
                    "year": year,
                    "county_code": np.where(np.arange(n) % 2, "530101", "530102"),
                    "village_code": [f"{i % 40:03d}" for i in range(n)],
                    "members": 4,
                    "labour_force": group,
                    "wage_income": wage,
                    "operating_income": 6_000 * np.exp(level + rng.normal(0, 0.3, n)),
                    "property_income": 300.0,
                    "transfer_income": 3_000.0 * np.exp(rng.normal(0, 0.2, n)),
                    "weight": 2_100_000 / n,
                    "monitored": monitored,
                    "relocated": False,
                    "key_county": "none",
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def moving():
    return Population.from_panel(labour_panel(), as_of=2022)


def test_the_panel_rates_are_recovered(moving):
    estimated = moving.dynamics.labour_transitions
    pairs = moving.dynamics.transition_pairs
    for k, name in enumerate(HOUSEHOLD_TYPES):
        row = estimated.loc[name].to_numpy()
        assert row.sum() == pytest.approx(1.0)
        n = pairs.loc[name, "pairs"]
        error = np.sqrt(TRUE_LABOUR[k % 3] * (1 - TRUE_LABOUR[k % 3]) / n)
        assert np.all(np.abs(row - TRUE_LABOUR[k % 3]) <= 4 * error + 1e-12), name
        assert pairs.loc[name, "basis"] == "type"


def _simulated_moves(population, scenario, seed, transitions=None):
    """Labour group of every household at as-of and after each January; incomes by year."""
    model = Province(
        quiet(scenario), population, seed=seed, draw_parameters=False, trend=np.array([0.05, 0.05])
    )
    if transitions is not None:
        model.labour_transitions = transitions
    groups, types, incomes = [np.clip(population.labour_force, 0, 2)], [], []
    while model.month < model.months:
        if model.month % 12 == 0:
            types.append(model.households.block.household_type.copy())
        model.step()
        if model.month % 12 == 1:
            groups.append(np.clip(model.households.block.labour_force, 0, 2))
        if model.month % 12 == 0:
            incomes.append(model.household_income_per_capita.copy())
    return groups, types, incomes


def test_types_move_at_the_panels_rates_in_the_simulation(moving, baseline):
    groups, types, _ = _simulated_moves(moving, baseline, seed=1)
    matrix = moving.dynamics.transition_matrix()
    w = moving.weight
    for year in range(len(groups) - 1):
        start = types[year]  # the type (labour group x enrolment) the draw is taken from
        before, after = groups[year], groups[year + 1]
        assert np.array_equal(start % 3, before)
        for g in range(3):
            mine = before == g
            for h in range(3):
                observed = np.average(after[mine] == h, weights=w[mine])
                expected = np.average(matrix[start[mine], h], weights=w[mine])
                error = np.sqrt(max(expected * (1 - expected), 1e-6) / mine.sum())
                assert abs(observed - expected) <= 4 * error, (year, LABOUR_GROUPS[g], h)
    assert (groups[1] != groups[0]).mean() > 0.05  # and they do move


def test_transitions_draw_from_a_stream_of_their_own(moving, baseline):
    """Switching transitions off changes the movers only: everyone else's draws are the same."""
    stay = np.tile(np.eye(3), (2, 1))
    groups, _, moved = _simulated_moves(moving, baseline, seed=2)
    _, _, still = _simulated_moves(moving, baseline, seed=2, transitions=stay)
    never = np.all([g == groups[0] for g in groups], axis=0)
    assert 0.5 < never.mean() < 1.0
    # Households that never moved have the same incomes in both runs (their draws are the
    # same), except the few whose enrolment changed because a mover's income changed the
    # ranking; movers differ (their AR(1) follows the new type).
    for a, b in zip(moved, still, strict=True):
        same = np.isclose(a, b, rtol=1e-12)
        assert same[never].mean() > 0.9
        assert not same[~never].all()

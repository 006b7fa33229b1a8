"""Effect draws centred on their stated values, raises that accumulate, one village count."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from forecast.synthetic import load_generator_parameters
from simulation import load_scenario, rules
from simulation.levers import raised_level
from simulation.model import Province
from simulation.scenario import BETA_CONCENTRATION, Parameter, effect_shape

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_FILES = sorted(
    p for p in SCENARIOS.glob("*.yaml") if p.stem not in ("measures", "calibration")
)
DRAWS = 20_000


def _uncertain_effects():
    """Every effect of the shipped catalogue with a range, as (parameter key, effect)."""
    catalogue = load_scenario(SCENARIOS / "action_plan.yaml")
    return [
        pytest.param(f"{name}.{source}", effect, id=f"{name}.{source}")
        for name, measure in catalogue.levers.items()
        for source, effect in measure.effects.items()
        if effect.low < effect.high
    ]


def _draws(effect: Parameter, key: str) -> np.ndarray:
    """The effect drawn as replications draw it: one named stream per seed."""
    return np.array([effect.draw(rules.stream(seed, f"parameters.{key}")) for seed in range(DRAWS)])


@pytest.mark.parametrize(("key", "effect"), _uncertain_effects())
def test_mean_of_the_draws_is_the_stated_central_value(key, effect):
    draws = _draws(effect, key)
    standard_error = draws.std(ddof=1) / np.sqrt(DRAWS)
    # 4 standard errors (the seeds are fixed, so the test is deterministic; a fresh set of
    # seeds would fail about once in 16,000 per effect). On skills training's 3,000-10,000 a
    # uniform draw averages 6,500 (about 35 standard errors off) and a PERT with its mode on
    # the central value 6,167 (about 18 off): both fail here for every asymmetric range.
    assert abs(draws.mean() - effect.central) < 4 * standard_error
    assert effect.low <= draws.min() and draws.max() <= effect.high
    assert draws.std() > 0.1 * (effect.high - effect.low)  # a real spread, not the centre


def test_the_catalogue_has_asymmetric_ranges_to_centre():
    """The check above is only sharp where the midpoint of the range is not the centre."""
    asymmetric = [
        key
        for key, effect in (p.values for p in _uncertain_effects())
        if not np.isclose(effect.central, (effect.low + effect.high) / 2)
    ]
    assert "skills_training.wage" in asymmetric and len(asymmetric) >= 10


def test_on_a_symmetric_range_the_beta_is_the_pert():
    """Beta-PERT with lambda = 4: a = 1 + 4 (mode - low) / (high - low), a + b = 6."""
    a, b = effect_shape("beta", 300.0, 600.0, 900.0)
    assert (a, b) == pytest.approx((3.0, 3.0))
    a, b = effect_shape("beta", 3000.0, 6000.0, 10000.0)
    assert a + b == pytest.approx(BETA_CONCENTRATION)
    assert a / (a + b) == pytest.approx(3 / 7)  # the mean, not the mode, on 6,000


def test_a_triangular_effect_is_centred_on_its_mean_too():
    effect = Parameter(
        unit="yuan per household per year",
        central=6000.0,
        low=3000.0,
        high=10000.0,
        distribution="triangular",
        assumption="test",
    )
    (mode,) = effect_shape("triangular", 3000.0, 6000.0, 10000.0)
    assert mode == pytest.approx(5000.0)  # (3,000 + 5,000 + 10,000) / 3 = 6,000
    draws = _draws(effect, "test.triangular")
    assert abs(draws.mean() - 6000.0) < 4 * draws.std(ddof=1) / np.sqrt(DRAWS)
    assert 3000.0 <= draws.min() and draws.max() <= 10000.0


def test_a_central_value_no_draw_can_have_as_mean_is_refused():
    with pytest.raises(ValueError, match="middle two thirds"):
        effect_shape("beta", 0.0, 100.0, 1000.0)
    with pytest.raises(ValueError, match="middle third"):
        effect_shape("triangular", 0.0, 200.0, 1000.0)


def test_each_replication_draws_from_the_parameters_own_stream(action_plan, population):
    model = Province(action_plan, population, seed=5, months=1)
    for name, measure in action_plan.levers.items():
        for source, effect in measure.effects.items():
            key = f"{name}.{source}"
            expected = effect.draw(rules.stream(5, f"parameters.{key}"))
            assert model.parameters[key] == expected


# -- raised every year -------------------------------------------------------------------------
class _Accounts:
    """Just what :meth:`Province.grant_effects` reads and writes: the drawn sizes, the run's
    years, grants and spending, recorded instead of applied to households."""

    _account_paid = Province._account_paid
    _account = Province._account

    def __init__(self, parameters: dict[str, float], first_year: int, months: int) -> None:
        self.parameters, self.first_year, self.months = parameters, first_year, months
        self.grants: list[tuple[int, int, int, np.ndarray]] = []
        self.costs: dict[tuple[str, int], float] = defaultdict(float)
        self.reach: dict[tuple[str, int], float] = defaultdict(float)
        self.reached = np.zeros(1, dtype=bool)

    def grant(self, idx, start, end, source, amount) -> None:
        self.grants.append((int(np.min(start)), int(np.max(end)), source, np.asarray(amount)))

    def spend(self, measure, year, yuan, recipients=None) -> None:
        self.costs[(measure, year)] += yuan

    @property
    def entities(self) -> _Accounts:
        """Links to market entities are not what these tests read: none is formed."""
        return self

    def link(self, *args) -> None:
        pass


def _grant_two_years(measure, members: float = 4.0) -> _Accounts:
    """Grant ``measure`` to one household of ``members`` people in 2023 and again in 2024."""
    accounts = _Accounts({"transfers.transfer": 600.0}, first_year=2023, months=24)
    state = {
        "transfer": np.array([0.0]),
        "members": np.array([members]),
        "weight": np.array([10.0]),
    }
    for year in (2023, 2024):
        Province.grant_effects(
            accounts, measure, year, state, np.array([0]), np.random.default_rng(0), 1.0, False
        )
    return accounts


def test_a_cumulative_raise_gives_twice_the_raise_in_the_second_year(action_plan):
    transfers = action_plan.levers["transfers"]
    assert transfers.effects["transfer"].cumulative  # the plan: raised every year
    accounts = _grant_two_years(transfers)
    (start_1, end_1, _, first), (start_2, end_2, _, second) = accounts.grants
    assert (start_1, end_1, start_2, end_2) == (0, 12, 12, 24)  # each year, January on
    assert first == pytest.approx([600 * 4])  # +600 per member in 2023
    assert second == pytest.approx([1200 * 4])  # +1,200 per member by 2024
    # The cost is what is paid: 10 households x 4 members x the year's level.
    assert accounts.costs[("transfers", 2023)] == pytest.approx(10 * 4 * 600)
    assert accounts.costs[("transfers", 2024)] == pytest.approx(10 * 4 * 1200)


def test_without_cumulative_the_raise_is_not_repeated(action_plan):
    transfers = action_plan.levers["transfers"]
    flat = dataclasses.replace(
        transfers,
        effects={"transfer": dataclasses.replace(transfers.effects["transfer"], cumulative=False)},
    )
    (*_, first), (*_, second) = _grant_two_years(flat).grants
    assert first == pytest.approx([600 * 4]) and second == pytest.approx([600 * 4])


def test_raised_level_counts_the_simulated_years():
    raise_ = Parameter(unit="yuan", central=600.0, cumulative=True, source="test")
    assert [raised_level(raise_, 600.0, y, 2022) for y in (2022, 2023, 2024)] == [600, 1200, 1800]
    flat = dataclasses.replace(raise_, cumulative=False)
    assert raised_level(flat, 600.0, 2024, 2022) == 600
    with pytest.raises(ValueError):
        raised_level(raise_, 600.0, 2021, 2022)


def test_in_a_run_a_recipient_of_both_years_is_paid_two_raises_in_the_second(
    action_plan, population
):
    """What the safety net pays per member of its recipients: +600, then +1,200."""
    others = [m for m in action_plan.measures if m != "transfers"]
    scenario = action_plan.without(*others)
    model = Province(scenario, population, seed=3, months=24, draw_parameters=False)
    model.run()
    both = np.intersect1d(model.choices[("transfers", 2023)], model.choices[("transfers", 2024)])
    assert len(both) > 0  # households reached in both years
    people = population.weight * population.members
    for year, level in ((2023, 600), (2024, 1200)):
        paid = model.costs[("transfers", year)] / people[model.choices[("transfers", year)]].sum()
        assert paid == pytest.approx(level)


# -- one village count ------------------------------------------------------------------------
def test_the_village_count_is_read_from_the_synthetic_panel_everywhere():
    panel = load_generator_parameters()["population"]
    counts = set()
    for path in SCENARIO_FILES:
        province = load_scenario(path).province
        counts.add(province["villages"].value)
        assert province["households_per_village"].value * province["villages"].value == (
            pytest.approx(panel["households"])
        )
        assert "synthetic_panel.yaml" in province["villages"].source
        assert province["villages"].assumption  # the panel's reason travels with the count
    assert counts == {panel["villages"]}


def test_the_simulated_villages_stand_for_the_panels_count(action_plan, population):
    """The sampled villages represent the province's villages at the panel's density."""
    model = Province(action_plan, population, seed=1, months=1)
    represented = model.villages.represents.sum()
    panel = load_generator_parameters()["population"]
    share_of_households = population.weight.sum() / panel["households"]
    assert represented == pytest.approx(panel["villages"] * share_of_households)

"""One footing for both sides of the target: shared macro shocks, the households' trend, and
nothing read after the origin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.macro import MacroModel
from forecast.targets import NATIONAL_SERIES, YUNNAN_SERIES, published_series
from simulation import simulate
from simulation.montecarlo.national import draw_macro
from simulation.montecarlo.replications import replication_seeds
from simulation.trend import expected_trend, macro_model


@pytest.fixture(scope="module")
def baseline():
    from simulation import load_scenario
    from simulation.montecarlo.compare import shipped_scenarios

    path = next(p for p in shipped_scenarios() if p.stem == "baseline")
    return load_scenario(path)


def test_the_same_common_draw_moves_both_sides():
    model = macro_model(2022)
    names = [NATIONAL_SERIES, YUNNAN_SERIES]

    def draw(common_seed, own_seed):
        rngs = {n: np.random.default_rng([own_seed, i]) for i, n in enumerate(names)}
        out = model.sample(names, 2024, 500, np.random.default_rng(common_seed), rngs)
        growth = {
            n: np.diff(np.log(np.c_[np.full(500, model.premium(n).last_value), out[n]]), axis=1)
            for n in names
        }
        return out["common"].to_numpy(), growth

    common_a, growth_a = draw(1, 7)
    common_b, growth_b = draw(2, 7)
    assert not np.allclose(common_a, common_b)
    for name in names:
        # Each side's growth is the common draw plus what is its own: change the common
        # draw and both sides move by exactly the change.
        np.testing.assert_allclose(growth_a[name] - growth_b[name], common_a - common_b)
    # And the common draw alone does not depend on which populations were asked for.
    alone = model.sample([YUNNAN_SERIES], 2024, 500, np.random.default_rng(1), {})
    np.testing.assert_allclose(alone["common"].to_numpy(), common_a)


def test_drawn_paths_share_the_common_component_and_do_not_depend_on_run_size():
    seeds = replication_seeds(3, 200)
    draws = draw_macro(2022, 2024, seeds)
    national_growth = np.log(draws.national[2023] / 14342)
    # Both sides load on the same common component: strongly correlated across draws.
    assert np.corrcoef(draws.yunnan_trend[2023], national_growth)[0, 1] > 0.5
    assert np.corrcoef(draws.yunnan_trend[2023], draws.common[2023])[0, 1] > 0.5
    few = draw_macro(2022, 2024, seeds[:5])
    pd.testing.assert_frame_equal(few.national, draws.national.iloc[:5])
    pd.testing.assert_frame_equal(few.yunnan_trend, draws.yunnan_trend.iloc[:5])


def test_alternative_assumptions_keep_the_shocks_and_move_the_trend():
    draws = draw_macro(2022, 2024, replication_seeds(5, 50))
    macro = draws.alternatives["macro"]
    for name, paths in draws.alternatives.items():
        ratio = np.log(paths / macro)
        # The same shock in every replication: the log difference is one number per year.
        assert np.allclose(ratio.std(axis=0), 0.0, atol=1e-12), name
        expected = np.cumsum(
            draws.assumptions[name].log_growth - draws.assumptions["macro"].log_growth
        )
        np.testing.assert_allclose(ratio.iloc[0].to_numpy(), expected, atol=1e-12)
    assert {"macro", "drift", "rural_slowdown", "ratio_trend"} <= set(draws.alternatives)


def test_without_measures_the_mean_follows_the_given_trend(population):
    """No measure and no payment: the mean follows the trend it is given. Shocks stay on:
    households hit in the as-of year recover (issue 12), and new shocks take their place,
    so the mean over seeds stays on the path; with shocks off it would rise above it."""
    from simulation import load_scenario
    from simulation.montecarlo.compare import shipped_scenarios

    none = load_scenario(next(p for p in shipped_scenarios() if p.stem == "no_measures"))
    assert not none.measures
    trend = np.array([0.10, 0.05])
    start = population.mean_income_per_capita()
    growth = []
    for seed in range(6):
        result = simulate(
            none.without_monitoring_payments(),
            population,
            seed=seed,
            draw_parameters=False,
            trend=trend,
        )
        growth.append(np.log(result.annual["net_income_per_capita"].to_numpy() / start))
    np.testing.assert_allclose(np.mean(growth, axis=0), np.cumsum(trend), atol=0.02)
    doubled = simulate(
        none.without_monitoring_payments(),
        population,
        seed=0,
        draw_parameters=False,
        trend=trend * 2,
    ).annual["net_income_per_capita"]
    assert np.log(doubled.iloc[-1] / start) - growth[0][-1] == pytest.approx(trend.sum(), abs=0.01)


def test_first_simulated_year_lies_inside_the_macro_band(population, baseline):
    result = simulate(baseline, population, seed=1)
    first = population.as_of + 1
    band = macro_model(population.as_of).forecast(YUNNAN_SERIES, first).loc[first]
    published = published_series()[YUNNAN_SERIES][population.as_of]
    growth = result.annual.loc[first, "net_income_per_capita"] / published
    assert band["lower_80"] / published <= growth <= band["upper_80"] / published
    assert np.allclose(
        expected_trend(2022, 2024),
        macro_model(2022).expected_log_growth(YUNNAN_SERIES, [2023, 2024]),
    )


def test_macro_fit_never_reads_after_the_origin():
    data = published_series()
    poisoned = {}
    for name, values in data.items():
        values = values.copy()
        values[values.index > 2021] = 1e9
        values.loc[2023] = 1.0  # an invented later year
        poisoned[name] = values.sort_index()
    clean, dirty = MacroModel.fit(data, 2021), MacroModel.fit(poisoned, 2021)
    assert clean.common.mean == dirty.common.mean
    assert clean.decay == dirty.decay
    for name in clean.premiums:
        assert clean.premiums[name].level == dirty.premiums[name].level
    pd.testing.assert_frame_equal(
        clean.forecast(YUNNAN_SERIES, 2024), dirty.forecast(YUNNAN_SERIES, 2024)
    )

"""Short annual series: loading, the log random walk's known answer, paths, backtest, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from forecast.series import (
    backtest_series,
    fit_growth,
    forecast_series,
    growth_prior,
    load_series,
    sample_series_paths,
)


def test_load_series_reads_the_published_values() -> None:
    national = load_series("national_net_income_alleviated")
    assert national.to_dict() == {2020: 10740.0, 2021: 12550.0, 2022: 14342.0}
    assert national.index.name == "year"
    with pytest.raises(KeyError, match="no yearly series 'nowhere'.*national_net_income"):
        load_series("nowhere")


def test_forecast_matches_the_formula_by_hand() -> None:
    """Reference numbers: t(5) predictive of a log random walk, prior (0.01, 4) at weight 1."""
    series = pd.Series({2000: 100.0, 2001: 110.0, 2002: 120.0})
    got = forecast_series(series, 2, prior=(0.01, 4), prior_weight=1.0)
    g = np.log([1.1, 120 / 110])
    drift = np.log(1.2) / 2
    variance = (4 * 0.01 + np.sum((g - drift) ** 2)) / 5
    for h in (1, 2):
        sd = np.sqrt(variance * (h + h**2 / 2))
        centre = np.log(120) + h * drift
        t80 = stats.t.ppf(0.9, 5)
        assert got.loc[2002 + h, "upper_80"] == pytest.approx(np.exp(centre + t80 * sd))
        assert got.loc[2002 + h, "lower_80"] == pytest.approx(np.exp(centre - t80 * sd))
        assert got.loc[2002 + h, "mean"] == pytest.approx(np.exp(centre))  # the median


def test_intervals_widen_with_horizon_and_shrink_with_evidence() -> None:
    national = load_series("national_net_income_alleviated")
    table = forecast_series(national, 4)
    assert list(table.index) == [2023, 2024, 2025, 2026]
    relative = (table.upper_95 - table.lower_95) / table["mean"]
    assert relative.is_monotonic_increasing
    assert (table.lower_95 < table.lower_80).all() and (table.upper_80 < table.upper_95).all()
    # Without the related series a 3-point series has 1 degree of freedom: far wider bands.
    alone = forecast_series(national, 1, prior=(growth_prior()[0], 1), prior_weight=0.0 + 1e-9)
    assert (alone.upper_95 - alone.lower_95).iloc[0] > 3 * (table.upper_95 - table.lower_95).iloc[0]


def test_growth_prior_comes_from_the_related_series() -> None:
    variance, dof = growth_prior()
    assert 0 < variance < 0.01  # yearly log growth of rural income varies by a few points
    assert dof >= 5


def test_sampled_paths_reproduce_the_intervals() -> None:
    yunnan = load_series("yunnan_net_income_alleviated").loc[2021:]
    table = forecast_series(yunnan, 2)
    paths = sample_series_paths(yunnan, 2, 200_000, np.random.default_rng(5))
    assert paths.shape == (200_000, 2)
    for i, year in enumerate(table.index):
        q = np.quantile(paths[:, i], [0.025, 0.1, 0.5, 0.9, 0.975])
        expected = table.loc[year, ["lower_95", "lower_80", "mean", "upper_80", "upper_95"]]
        np.testing.assert_allclose(q, expected, rtol=0.01)
        # the reported point is the paths' median (0.06 %), not the log-normal mean (0.2 % above)
        assert np.median(paths[:, i]) == pytest.approx(table.loc[year, "mean"], rel=6e-4)
    again = sample_series_paths(yunnan, 2, 10, np.random.default_rng(5))
    np.testing.assert_array_equal(
        again, sample_series_paths(yunnan, 2, 10, np.random.default_rng(5))
    )


def test_backtest_on_own_past() -> None:
    table = backtest_series(load_series("yunnan_rural_disposable_poverty_areas"))
    assert list(table["origin"]) == [2018, 2019, 2020]
    assert table["covered_95"].all()
    assert (table["error"].abs() < 0.05).all()


def test_bad_series_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 points"):
        fit_growth(pd.Series({2020: 1.0}, name="short"))
    with pytest.raises(ValueError, match="must be positive"):
        forecast_series(pd.Series({2020: 1.0, 2021: -2.0}, name="neg"), 1)
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        forecast_series(pd.Series({2020: 1.0, 2021: 2.0}), 0)


def test_cli_prints_the_national_target() -> None:
    from zengshou.cli import main

    result = CliRunner().invoke(
        main,
        [
            "forecast",
            "series",
            "national_net_income_alleviated",
            "--until",
            "2022",
            "--horizon",
            "2",
            "--backtest",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2024" in result.output and "backtest on its own past" in result.output
    bad = CliRunner().invoke(main, ["forecast", "series", "nowhere"])
    assert bad.exit_code == 2 and "no yearly series" in bad.output

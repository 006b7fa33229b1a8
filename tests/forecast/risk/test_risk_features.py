"""Risk features: known values on hand-made histories, batch independence, clear refusals."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecast.risk import FEATURE_NAMES, HistoryError, compute_features, monitoring_line


def feature(features, name):
    return features.values[:, FEATURE_NAMES.index(name)]


def test_levels_changes_and_facts_on_a_known_history(make_history):
    rows = make_history(
        "A",
        [2020, 2021, 2022],
        wage_income=[20_000.0, 20_000.0, 12_000.0],
        members=4,
        labour_force=[2, 2, 1],
    )
    f = compute_features(rows)
    line = monitoring_line(2023)
    income_2022 = (12_000 + 8_000 + 400 + 3_000) / 4
    assert f.score_year.tolist() == [2023]
    assert f.line_yuan.tolist() == [line]
    assert feature(f, "income_to_line")[0] == pytest.approx(income_2022 / line)
    assert f.facts["wage_pct_change"][0] == pytest.approx(-40.0)
    assert feature(f, "wage_change")[0] == pytest.approx(-8_000 / 4 / line)
    assert feature(f, "dependency_ratio")[0] == pytest.approx(0.75)
    assert feature(f, "labour_change")[0] == -1
    assert feature(f, "years_observed")[0] == 3
    assert feature(f, "below_line_now")[0] == 1  # 5,850 yuan < the 2022 line of 7,000


def test_one_year_of_history_leaves_trend_and_volatility_missing(make_history):
    f = compute_features(make_history("A", [2022]))
    for name in ("income_change", "income_slope", "income_volatility", "wage_change"):
        assert np.isnan(feature(f, name)[0]), name
    assert np.isfinite(feature(f, "income_to_line")[0])


def test_only_the_five_most_recent_years_count(make_history):
    old = make_history("A", list(range(2016, 2023)), wage_income=[0.0, 0.0] + [30_000.0] * 5)
    recent = old[old["year"] >= 2018]
    np.testing.assert_array_equal(compute_features(old).values, compute_features(recent).values)


def test_a_household_alone_equals_the_same_household_in_a_shuffled_batch(recent):
    batch = recent.sample(frac=1.0, random_state=3)
    together = compute_features(batch)
    order = pd.unique(batch["household_id"])
    assert together.household_id.tolist() == list(order)
    for position in (0, 17, len(order) - 1):
        alone = compute_features(recent[recent["household_id"] == order[position]])
        np.testing.assert_array_equal(alone.values[0], together.values[position])


def test_plain_strings_score_like_categoricals(recent):
    some = recent[recent["household_id"].isin(recent["household_id"].unique()[:100])]
    as_str = some.astype({"monitored_type": str, "key_county": str, "head_education": str})
    np.testing.assert_array_equal(compute_features(some).values, compute_features(as_str).values)


def test_optional_columns_may_be_absent_or_missing(make_history):
    rows = make_history("A", [2021, 2022]).drop(columns=["head_age", "head_education"])
    rows["shock_illness"] = pd.array([True, None], dtype="boolean")
    f = compute_features(rows)
    assert np.isnan(feature(f, "head_age")[0]) and np.isnan(feature(f, "head_primary")[0])
    assert np.isnan(feature(f, "shock_illness")[0])
    assert feature(f, "shocks_in_window")[0] == 1


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda r: r.drop(columns=["wage_income"]), "missing column.*wage_income"),
        (lambda r: r.assign(year=[2022, 2022]), r"row 1 .*duplicate \(household_id, year\)"),
        (
            lambda r: r.assign(key_county=["none", "county"]),
            r"row 1 \(household_id='A', year=2022\): key_county is 'county', not one of",
        ),
        (
            lambda r: r.assign(labour_force=[2, 5]),
            r"row 1 .*labour_force must be between 0 and members",
        ),
        (lambda r: r.assign(wage_income=[1.0, np.nan]), r"row 1 .*wage_income is missing"),
        (lambda r: r.assign(household_id=[1, 1]), "household_id must be a string"),
        (lambda r: r.iloc[:0], "no rows"),
    ],
)
def test_bad_rows_are_refused_naming_row_and_field(make_history, spoil, message):
    with pytest.raises(HistoryError, match=message):
        compute_features(spoil(make_history("A", [2021, 2022])))


def test_a_year_without_a_monitoring_line_is_refused(make_history):
    with pytest.raises(HistoryError, match="no value for year 2036"):
        compute_features(make_history("A", [2035]))


@pytest.mark.parametrize(
    ("spoil", "place"),
    [
        (lambda r: r.assign(wage_income=[1.0, np.nan]), (1, "B", 2022, "wage_income")),
        (lambda r: r.assign(key_county=["none", "county"]), (1, "B", 2022, "key_county")),
        (lambda r: r.assign(labour_force=[2, 5]), (1, "B", 2022, "labour_force")),
        (lambda r: r.assign(members=[4, 0], labour_force=0), (1, "B", 2022, "members")),
        (lambda r: r.assign(year=[2022, 2022]), (1, "B", 2022, None)),
        (lambda r: r.assign(year=[2034, 2035]), (1, "B", 2035, "year")),
        (lambda r: r.assign(wage_income=["a", "b"]), (None, None, None, "wage_income")),
        (lambda r: r.drop(columns=["wage_income"]), (None, None, None, None)),
    ],
)
def test_refusals_carry_row_household_year_and_field(make_history, spoil, place):
    with pytest.raises(HistoryError) as caught:
        compute_features(spoil(make_history("B", [2021, 2022])))
    error = caught.value
    assert (error.row, error.household_id, error.year, error.field) == place
    assert error.reason and str(error).endswith(error.reason)


def test_a_refusal_keeps_its_attributes_across_processes(make_history):
    with pytest.raises(HistoryError) as caught:
        compute_features(make_history("A", [2021, 2022]).assign(wage_income=[1.0, np.nan]))
    copied = pickle.loads(pickle.dumps(caught.value))
    assert str(copied) == str(caught.value)
    assert (copied.row, copied.household_id, copied.year, copied.field) == (
        1,
        "A",
        2022,
        "wage_income",
    )

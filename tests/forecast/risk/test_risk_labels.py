"""The two outcome definitions on hand-made households, and examples built per year."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.risk import examples_for_year, label_rates, monitoring_line
from forecast.risk.labels import outcome


@pytest.fixture
def panel(make_history):
    # per-capita income 2021 -> 2022 (line 2022 = 7,000 yuan):
    #   A 10,350 -> 10,350  neither;  B 10,350 -> 6,350 below the line, fall 39 %;
    #   C 40,000 -> 20,000  fall of a half but above the line;  D only in 2022: no outcome.
    return pd.concat(
        [
            make_history("A", [2020, 2021, 2022]),
            make_history("B", [2020, 2021, 2022], wage_income=[30_000.0, 30_000.0, 14_000.0]),
            make_history(
                "C",
                [2021, 2022],
                members=1,
                labour_force=1,
                wage_income=[40_000.0, 20_000.0],
                operating_income=0.0,
                property_income=0.0,
                transfer_income=0.0,
            ),
            make_history("D", [2022]),
        ],
        ignore_index=True,
    )


def test_below_line_is_income_under_the_years_line(panel):
    labels = outcome(panel, 2022, monitoring_line(), "below_line")
    assert labels.to_dict() == {"A": False, "B": True, "C": False}


def test_income_fall_third_catches_a_fall_above_the_line(panel):
    labels = outcome(panel, 2022, monitoring_line(), "income_fall_third")
    assert labels.to_dict() == {"A": False, "B": True, "C": True}


def test_examples_use_only_years_before_the_outcome(panel):
    examples = examples_for_year(panel, 2022)
    assert examples.features.household_id.tolist() == ["A", "B", "C"]
    assert examples.label.tolist() == [False, True, False]
    assert (examples.features.last_year == 2021).all()
    assert (examples.features.line_yuan == monitoring_line(2022)).all()


def test_label_rates_per_year(panel):
    rates = label_rates(panel, [2022]).iloc[0]
    assert rates["households"] == 3
    assert rates["below_line"] == pytest.approx(1 / 3)
    assert rates["income_fall_third"] == pytest.approx(2 / 3)


def test_unknown_definition_is_refused(panel):
    with pytest.raises(ValueError, match="unknown label definition 'poor'"):
        outcome(panel, 2022, monitoring_line(), "poor")


def test_assistance_does_not_hide_a_fall_under_the_line(panel):
    # B is lifted to 9,350 yuan a person in 2022 by 12,000 yuan of monitoring assistance.
    lifted = panel.copy()
    b_2022 = (lifted["household_id"] == "B") & (lifted["year"] == 2022)
    lifted.loc[b_2022, "transfer_income"] += 12_000.0
    unrecorded = outcome(lifted, 2022, monitoring_line(), "below_line")
    assert not unrecorded["B"]  # income as recorded: above the line
    lifted["assistance_income"] = 0.0
    lifted.loc[b_2022, "assistance_income"] = 12_000.0
    labels = outcome(lifted, 2022, monitoring_line(), "below_line")
    assert labels.to_dict() == {"A": False, "B": True, "C": False}


def test_features_read_income_before_assistance(make_history):
    from forecast.risk.features import compute_features

    plain = make_history("A", [2020, 2021, 2022])
    assisted = plain.assign(transfer_income=plain["transfer_income"] + 8_000.0)
    recorded = compute_features(assisted).frame()["log_income_to_line"].iloc[0]
    assisted["assistance_income"] = 8_000.0
    own = compute_features(assisted).frame()["log_income_to_line"].iloc[0]
    expected = compute_features(plain).frame()["log_income_to_line"].iloc[0]
    assert own == pytest.approx(expected) and recorded > expected

"""Fixtures of the risk-model tests: hand-made histories and one trained model per session."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.risk import train_risk_model
from forecast.schema import MEASURES


def history(household_id: str, years: list[int], **columns) -> pd.DataFrame:
    """Panel rows of one household; each column is a scalar or one value per year."""
    n = len(years)
    base = {
        "household_id": household_id,
        "year": years,
        "county_code": "530101",
        "village_code": "530101001",
        "members": 4,
        "labour_force": 2,
        "head_age": 50,
        "head_education": "primary",
        "wage_income": 30_000.0,
        "operating_income": 8_000.0,
        "property_income": 400.0,
        "transfer_income": 3_000.0,
        "weight": 1.0,
        "monitored": False,
        "monitored_type": "none",
        "relocated": False,
        "key_county": "none",
        "shock_illness": False,
        "shock_disaster": False,
        **{f"received_{m}": False for m in MEASURES},
    }
    base |= columns
    frame = pd.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in base.items()})
    sources = ["wage_income", "operating_income", "property_income", "transfer_income"]
    frame["net_income_per_capita"] = frame[sources].sum(axis=1) / frame["members"]
    return frame


@pytest.fixture(scope="session")
def make_history():
    """``make_history(household_id, years, **columns)``: hand-made panel rows."""
    return history


@pytest.fixture(scope="session")
def trained(synthetic_panel):
    """The logistic model and its evaluation (boosted challenger included), trained once."""
    return train_risk_model(synthetic_panel, train_until=2020, evaluate_year=2022)


@pytest.fixture(scope="session")
def recent(synthetic_panel) -> pd.DataFrame:
    """The last five years of every household of the synthetic panel."""
    return synthetic_panel[synthetic_panel["year"] >= synthetic_panel["year"].max() - 4]

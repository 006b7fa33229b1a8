"""Rules as data: tests/simulation/cases/rules.yaml, one case per rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation import rules
from simulation.households import HouseholdBlock, MonthContext

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "rules.yaml").read_text())


def one_person_block(
    n: int, income: float, monitored: bool = False, household_type: int = 0
) -> HouseholdBlock:
    """``n`` one-person households with ``income`` yuan a year, all of it wage."""
    base = np.zeros((4, n))
    base[rules.WAGE] = income
    return HouseholdBlock(
        {
            "weight": np.ones(n),
            "members": np.ones(n),
            "labour_force": np.ones(n, dtype=int),
            "household_type": np.full(n, household_type, dtype=np.int8),
            "county": np.zeros(n, dtype=np.int32),
            "village": np.zeros(n, dtype=np.int32),
            "key_county": np.zeros(n, dtype=bool),
            "relocated": np.zeros(n, dtype=bool),
            "monitored": np.full(n, monitored),
            "income": base,
        },
        years=4,
    )


def _screen_context(**monitoring) -> MonthContext:
    """A month with no dynamics and no shocks: only the monitoring settings matter."""
    return MonthContext(
        trend=np.zeros((1, 4)),
        rho_m=np.zeros((1, 4)),
        sigma_m=np.zeros((1, 4)),
        illness_hazard=0.0,
        illness_effect=0.0,
        illness_duration=1,
        disaster_hazard=0.0,
        disaster_effect=0.0,
        disaster_duration=1,
        illness_decay=0.0,
        disaster_decay=0.0,
        village_disaster_active=np.zeros(1, dtype=bool),
        village_disaster_effect=0.0,
        price_multiplier=1.0,
        labour_multiplier=1.0,
        **monitoring,
    )


def detection_delay(township_interval, county_interval):
    """Enrolled households fall under the line in month 0; mean months until detected."""
    n, line = 20000, 1000.0
    block = one_person_block(n, income=1.05 * line, monitored=True)  # just above the line
    rng = np.random.default_rng(0)
    for month in range(6):
        ctx = _screen_context(
            month=month,
            elapsed_years=0.5,
            year_index=0,
            line=line,
            hit_rate=0.5,
            detection_lag=rules.detection_lag(township_interval, county_interval),
            assistance_delay=1,
            gap_closure=0.0,
            assistance_duration=12,
        )
        block.income = np.zeros((4, n))  # income lost from month 0: under the line at once
        block.screen(ctx, rng.random(n))
    assert block.newly_under[0] == n
    return {"mean_delay_months": block.delay_weighted[0] / block.newly_detected[0]}


def training_spell(trained_month, delay_months, duration_months, gain_yuan, take_up):
    """Train 4,000 one-person households in a month, as the model does; read their gains."""
    n = 4000
    block = one_person_block(n, 0.0)
    employed = np.random.default_rng(0).random(n) < take_up  # the model's take-up draw
    start = trained_month + delay_months
    block.grant(np.flatnonzero(employed), start, start + duration_months, rules.WAGE, gain_yuan)
    wage = np.array([block.gains(m)[rules.WAGE] for m in range(start + 2)])
    first = int(np.argmax(wage.max(axis=1) > 0))
    return {
        "first_month_with_gain": first,
        "gain_yuan": float(wage[first].max()),
        "share_with_gain": float(np.mean(wage[first] > 0)),
        "nothing_before": bool((wage[:first] == 0).all()),
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_case(case):
    if case["rule"] == "training_spell":
        got = training_spell(**case["input"])
        assert got["nothing_before"]
        assert got["first_month_with_gain"] == case["output"]["first_month_with_gain"]
        assert got["gain_yuan"] == case["output"]["gain_yuan"]
        assert got["share_with_gain"] == pytest.approx(case["output"]["share_with_gain"], abs=0.02)
        return
    if case["rule"] == "detection_delay":
        got = detection_delay(**case["input"])
        expected = case["output"]["mean_delay_months"]
        assert got["mean_delay_months"] == pytest.approx(expected, abs=0.03)
        return
    args = {k: np.asarray(v) if isinstance(v, list) else v for k, v in case["input"].items()}
    got = getattr(rules, case["rule"])(**args)
    expected = case["output"]
    if isinstance(expected, list):
        assert np.asarray(got).tolist() == expected
    else:
        assert float(got) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_households_under_the_line_from_the_start_are_not_newly_under():
    block = one_person_block(100, income=500.0)  # all under a line of 1,000 from the start
    rng = np.random.default_rng(1)
    base = {
        "elapsed_years": 0.5,
        "year_index": 0,
        "hit_rate": 0.5,
        "detection_lag": 1.0,
        "assistance_delay": 1,
        "gap_closure": 1.0,
        "assistance_duration": 12,
        "line": 1000.0,
    }
    for month in range(3):
        ctx = _screen_context(month=month, **base)
        block.income = block.base.copy()
        block.screen(ctx, rng.random(100))
    assert block.newly_under[0] == 0
    assert (block.detect_at < 3).any() or (block.assist_from < 10).any()  # still found

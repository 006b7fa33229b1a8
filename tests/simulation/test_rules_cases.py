"""Rules as data: tests/simulation/cases/rules.yaml, one case per rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation import rules
from simulation.households import HouseholdBlock

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "rules.yaml").read_text())


def training_spell(trained_month, delay_months, duration_months, gain_yuan, take_up):
    """Train 4,000 one-person households in a month, as the model does; read their gains."""
    n = 4000
    block = HouseholdBlock(
        {
            "weight": np.ones(n),
            "members": np.ones(n),
            "labour_force": np.ones(n, dtype=int),
            "household_type": np.zeros(n, dtype=np.int8),
            "county": np.zeros(n, dtype=np.int32),
            "village": np.zeros(n, dtype=np.int32),
            "key_county": np.zeros(n, dtype=bool),
            "relocated": np.zeros(n, dtype=bool),
            "monitored": np.zeros(n, dtype=bool),
            "income": np.zeros((4, n)),
        },
        years=4,
    )
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
    args = {k: np.asarray(v) if isinstance(v, list) else v for k, v in case["input"].items()}
    got = getattr(rules, case["rule"])(**args)
    expected = case["output"]
    if isinstance(expected, list):
        assert np.asarray(got).tolist() == expected
    else:
        assert float(got) == pytest.approx(expected, rel=1e-4, abs=1e-6)

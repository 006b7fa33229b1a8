"""Evaluation metrics against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.risk.evaluation import (
    calibration_table,
    capacity_curve,
    expected_calibration_error,
    recall_at_share,
    subgroup_metrics,
)


def test_ece_of_a_known_case():
    # bin [0.1, 0.2): p = 0.1, 0.1 with outcomes 0, 1 -> gap |0.5 - 0.1| = 0.4, weight 2/4
    # bin [0.9, 1.0]: p = 0.9, 0.9 with outcomes 1, 1 -> gap 0.1, weight 2/4
    y = np.array([0, 1, 1, 1], dtype=bool)
    p = np.array([0.1, 0.1, 0.9, 0.9])
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)


def test_perfect_calibration_has_zero_ece():
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=bool)
    p = np.array([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75])
    assert expected_calibration_error(y, p) == pytest.approx(0.0)
    table = calibration_table(y, p)
    assert table["households"].tolist() == [4, 4]
    assert table["observed_rate"].tolist() == [0.25, 0.75]


def test_recall_at_share_counts_positives_in_the_top():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    p = np.linspace(1, 0, 10)  # ranks households in the given order
    assert recall_at_share(y, p, 0.10) == pytest.approx(1 / 3)
    assert recall_at_share(y, p, 0.30) == pytest.approx(2 / 3)
    curve = capacity_curve(y, p, shares=[0.1, 1.0])
    assert curve["recall"].tolist() == pytest.approx([1 / 3, 1.0])


def test_subgroups_report_each_group_and_the_province_ranking():
    import pandas as pd

    y = np.array([1, 0, 1, 0], dtype=bool)
    p = np.array([0.9, 0.2, 0.1, 0.3])
    groups = pd.DataFrame({"relocated": ["yes", "yes", "no", "no"]})
    table = subgroup_metrics(y, p, groups).set_index("subgroup")
    assert table.loc["yes", "auc"] == 1.0 and table.loc["no", "auc"] == 0.0
    assert table.loc["yes", "recall_top10_province"] == 1.0  # top 10 % of 4 = the 0.9
    assert table.loc["no", "recall_top10_province"] == 0.0

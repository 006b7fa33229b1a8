"""Uploads: size-limited, read through the Chinese mapping, every problem listed, deleted after."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.paths import project_root
from zengshou.app import scoring

EXAMPLES = project_root() / "data" / "examples"


def test_uploads_above_the_limit_or_of_another_kind_are_refused():
    assert scoring.check_upload("export.csv", 1000, limit_mb=1) == ".csv"
    with pytest.raises(scoring.UploadRefused, match="above the limit"):
        scoring.check_upload("export.csv", 2_000_000, limit_mb=1)
    with pytest.raises(scoring.UploadRefused, match="not a CSV or Parquet"):
        scoring.check_upload("export.xlsx", 10, limit_mb=1)


def test_an_export_is_checked_through_the_chinese_mapping_and_then_deleted(tmp_path):
    data = (EXAMPLES / "monitoring_export_zh.csv").read_bytes()
    with scoring.stored(data, ".csv", tmp_path) as path:
        assert path.stat().st_mode & 0o077 == 0
        assert scoring.mapping_for(path) is not None
        panel, problems = scoring.check_panel(path, "export.csv")
    assert problems == [] and list(tmp_path.iterdir()) == []
    assert panel["household_id"].nunique() == 3


def test_every_problem_is_listed(tmp_path):
    data = (EXAMPLES / "monitoring_export_zh_with_errors.csv").read_bytes()
    with scoring.stored(data, ".csv", tmp_path) as path:
        panel, problems = scoring.check_panel(path, "export.csv")
    assert panel is None
    assert [(p.row, p.field) for p in problems] == [
        (2, "labour_force"),
        (5, "wage_income"),
        (8, "year"),
    ]


def test_scores_download_as_csv_with_reasons_joined():
    scores = pd.DataFrame(
        {"household_id": ["H1"], "probability": [0.3], "reasons": [["收入下降", "因病"]]}
    )
    text = scoring.scores_csv(scores).decode("utf-8-sig")
    assert "收入下降; 因病" in text

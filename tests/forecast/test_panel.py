"""Loading and validating household panels: one small bad file per failure mode."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecast.panel import PanelValidationError, load_mapping, load_panel, validate_panel
from forecast.schema import COLUMN_NAMES, COLUMNS

PANELS = Path(__file__).parent / "panels"
MAPPING = Path(__file__).parents[2] / "data" / "mappings" / "monitoring_export_zh.yaml"
EXAMPLES = Path(__file__).parents[2] / "data" / "examples"

# file -> (row, column, words in the reason) of the one problem it must raise
BAD_FILES = {
    "bad_missing_column.csv": (None, "members", "required column is missing"),
    "bad_unknown_column.csv": (None, "favourite_colour", "unknown column"),
    "bad_duplicate_row.csv": (3, "year", "duplicate row"),
    "bad_non_numeric_count.csv": (2, "members", "not a number"),
    "bad_negative_count.csv": (3, "labour_force", "negative"),
    "bad_labour_above_members.csv": (4, "labour_force", "labour force above members"),
    "bad_implausible_income.csv": (5, "wage_income", "above the plausible maximum"),
    "bad_year_gap.csv": (2, "year", "gap in the years"),
    "bad_year_reversal.csv": (3, "year", "go backwards"),
    "bad_not_a_table.csv": (None, None, "not a CSV table"),
}


def test_valid_file_loads_in_schema_order_and_dtypes() -> None:
    panel = load_panel(PANELS / "valid.csv")
    assert tuple(panel.columns) == COLUMN_NAMES
    assert len(panel) == 9
    assert panel["household_id"].dtype == "str"
    assert panel["members"].dtype == "int64"
    assert panel["monitored"].dtype == bool
    derived = panel[["wage_income", "operating_income", "property_income", "transfer_income"]].sum(
        axis=1
    )
    assert (panel["net_income_per_capita"] - derived / panel["members"]).abs().max() < 1e-9


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_is_caught_with_row_column_and_reason(name: str) -> None:
    row, column, reason = BAD_FILES[name]
    with pytest.raises(PanelValidationError) as caught:
        load_panel(PANELS / name)
    matching = [
        p
        for p in caught.value.problems
        if p.row == row and p.field == column and reason in p.reason
    ]
    assert matching, caught.value.report()
    assert str(PANELS / name) in str(caught.value)


def test_every_problem_is_reported_not_only_the_first(tmp_path) -> None:
    frame = pd.read_csv(PANELS / "valid.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "members"] = "x"
    frame.loc[4, "wage_income"] = "-3"
    frame.loc[6, "relocated"] = "maybe"
    frame.loc[7, "monitored_type"] = "rich"
    frame.to_csv(tmp_path / "many.csv", index=False)
    with pytest.raises(PanelValidationError) as caught:
        load_panel(tmp_path / "many.csv")
    found = {(p.row, p.field) for p in caught.value.problems}
    assert {(1, "members"), (5, "wage_income"), (7, "relocated"), (8, "monitored_type")} <= found
    bad_value = next(p for p in caught.value.problems if p.field == "relocated")
    assert bad_value.value == "maybe"
    assert bad_value.household_id == frame.loc[6, "household_id"]
    assert bad_value.year == int(frame.loc[6, "year"])


def test_nothing_is_dropped_or_reordered() -> None:
    raw = pd.read_csv(PANELS / "valid.csv", dtype=str)
    shuffled = raw.iloc[[3, 4, 5, 0, 1, 2, 6, 7, 8]].reset_index(drop=True)
    panel = validate_panel(shuffled)
    assert list(panel["household_id"]) == list(shuffled["household_id"])


def test_monitored_type_must_agree_with_monitored(tmp_path) -> None:
    frame = pd.read_csv(PANELS / "valid.csv", dtype=str)
    frame.loc[0, "monitored"] = "True"
    frame.loc[0, "monitored_type"] = "none"
    frame.to_csv(tmp_path / "typed.csv", index=False)
    with pytest.raises(PanelValidationError, match="needs a monitoring type"):
        load_panel(tmp_path / "typed.csv")


def test_stated_per_capita_income_must_match_its_sources(tmp_path) -> None:
    frame = pd.read_csv(PANELS / "valid.csv", dtype=str)
    frame.loc[2, "net_income_per_capita"] = "99999"
    frame.to_csv(tmp_path / "pc.csv", index=False)
    with pytest.raises(PanelValidationError, match="does not equal the sum"):
        load_panel(tmp_path / "pc.csv")


def test_chinese_export_maps_onto_the_schema() -> None:
    english = load_panel(PANELS / "valid.csv")
    chinese = load_panel(EXAMPLES / "monitoring_export_zh.csv", mapping=MAPPING)
    pd.testing.assert_frame_equal(chinese, english)
    with pytest.raises(PanelValidationError, match="required column is missing"):
        load_panel(EXAMPLES / "monitoring_export_zh.csv")


def test_mapping_to_unknown_column_is_rejected(tmp_path) -> None:
    (tmp_path / "m.yaml").write_text("columns:\n  户编号: household_identifier\n", encoding="utf-8")
    with pytest.raises(PanelValidationError, match="not in the schema"):
        load_mapping(tmp_path / "m.yaml")


def test_parquet_and_csv_give_the_same_panel(tmp_path) -> None:
    panel = load_panel(PANELS / "valid.csv")
    panel.to_parquet(tmp_path / "p.parquet", index=False)
    pd.testing.assert_frame_equal(load_panel(tmp_path / "p.parquet"), panel)


def test_schema_documents_every_column() -> None:
    for column in COLUMNS:
        assert column.unit and column.meaning
        if column.kind in {"int", "float"}:
            assert column.minimum is not None and column.maximum is not None


def test_assistance_above_transfer_income_is_refused(tmp_path) -> None:
    panel = pd.read_csv(PANELS / "valid.csv")
    panel["assistance_income"] = 0.0
    panel.loc[2, "assistance_income"] = panel.loc[2, "transfer_income"] + 100.0
    panel.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(PanelValidationError) as error:
        load_panel(tmp_path / "p.csv")
    [problem] = error.value.problems
    assert (problem.row, problem.field) == (3, "assistance_income")
    assert "cannot exceed" in problem.reason

"""The public-statistics accessor: as of an origin year, nothing published later is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from forecast.calibration import calibration_report, published_yunnan_series
from forecast.parameters import ParameterError
from forecast.paths import data_file
from forecast.series import load_series
from forecast.sourced import SourcedError, is_share
from forecast.statistics import PublicStatistics, StatisticsError
from forecast.synthetic import load_generator_parameters, synthesize_panel

ORIGIN = 2021


def _absurd(node: Any, share: bool = False) -> Any:
    """Every number under ``node`` made absurd (years stay years); a share stays a share, so
    that the loader's range check does not refuse the file before the origin is applied."""
    if isinstance(node, bool):
        return node
    if isinstance(node, int | float):
        return 0.987 if share else node * 1000 + 7
    if isinstance(node, dict):
        return {k: v if k == "known_in" else _absurd(v, share) for k, v in node.items()}
    return node


def _poison_after(node: Any, origin: int) -> Any:
    """``node`` with every figure of a year after ``origin`` made absurd, at any depth."""
    if not isinstance(node, dict):
        return node
    return {
        k: _absurd(v) if isinstance(k, int) and k > origin else _poison_after(v, origin)
        for k, v in node.items()
    }


def _write(path: Path, document: Any) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


@pytest.fixture
def poisoned_statistics(tmp_path) -> Path:
    """public_statistics.yaml with absurd figures after 2021, an invented 2023 and an entry
    published only in 2022."""
    raw = yaml.safe_load(data_file("public_statistics.yaml").read_text(encoding="utf-8"))
    raw = _poison_after(raw, ORIGIN)
    raw["series"]["yunnan_net_income_alleviated"][2023] = {"value": 99_999, "source": "invented"}
    raw["counts"]["invented_late"] = {"value": 1, "known_in": ORIGIN + 1, "source": "invented"}
    return _write(tmp_path / "public_statistics.yaml", raw)


@pytest.fixture
def poisoned_parameters(tmp_path) -> Path:
    """synthetic_panel.yaml with absurd values for years after 2021 and for years (or
    entries) known only after 2021."""
    raw = yaml.safe_load(data_file("synthetic_panel.yaml").read_text(encoding="utf-8"))
    for entries in raw.values():
        if not isinstance(entries, dict):
            continue
        for entry in entries.values():
            known_in, value = entry.get("known_in"), entry["value"]
            share = is_share(entry["unit"])
            if isinstance(known_in, int) and known_in > ORIGIN:
                entry["value"] = _absurd(value, share)
            elif isinstance(value, dict):
                late = known_in if isinstance(known_in, dict) else {}
                for year in [y for y in value if isinstance(y, int)]:
                    if year > ORIGIN or late.get(year, year) > ORIGIN:
                        value[year] = _absurd(value[year], share)
    return _write(tmp_path / "synthetic_panel.yaml", raw)


def test_poisoned_later_years_leave_the_origin_view_unchanged(poisoned_statistics) -> None:
    real, poisoned = PublicStatistics.load(), PublicStatistics.load(poisoned_statistics)
    assert poisoned.until(ORIGIN + 1) != real.until(ORIGIN + 1)  # the poison is there
    assert poisoned.until(ORIGIN) == real.until(ORIGIN)
    assert poisoned.series("yunnan_net_income_alleviated").index.max() == 2023
    assert real.until(ORIGIN).series("yunnan_net_income_alleviated").index.max() == ORIGIN
    # The restructured by-source block is year-keyed, so an earlier origin drops it.
    assert real.until(ORIGIN).entry("series", "yunnan_net_income_alleviated_by_source") == {}


def test_poisoned_later_years_leave_the_origin_panel_unchanged(
    poisoned_statistics, poisoned_parameters
) -> None:
    real = synthesize_panel(300, seed=7, as_of=ORIGIN)
    poisoned = synthesize_panel(
        300,
        seed=7,
        as_of=ORIGIN,
        parameters=poisoned_parameters,
        statistics=poisoned_statistics,
    )
    pd.testing.assert_frame_equal(poisoned, real, check_exact=True)
    # The same poison is read at a later origin: the check above could fail.
    with pytest.raises(ParameterError, match="differs from the published"):
        load_generator_parameters(poisoned_parameters, as_of=ORIGIN + 1)


def test_calibration_report_reads_nothing_after_the_panel(
    synthetic_panel, poisoned_statistics
) -> None:
    early = synthetic_panel[synthetic_panel["year"] <= ORIGIN]
    pd.testing.assert_frame_equal(
        calibration_report(early, poisoned_statistics), calibration_report(early)
    )
    assert not calibration_report(early)["target"].str.contains("2022").any()
    late = PublicStatistics.load(poisoned_statistics).until(ORIGIN)
    assert published_yunnan_series(late).index.max() == ORIGIN


LATER_YEARS = """
series:
  invented_income:
    2022: {value: 100, source: "invented for the test"}
    2023: {value: 110, growth: 0.1, source: "invented for the test"}
    2024: {value: 121, known_in: 2026, source: "invented: revised in 2026"}
    composition_2023: {wage: 50, operating: 60}
  invented_by_source:
    2024:
      wage: {value: 80, share: 0.66}
      operating: {value: 41, share: 0.34, known_in: 2025}
counts:
  invented_count: {2023: 5, 2024: 6, status: E}
"""


@pytest.fixture
def later_years(tmp_path) -> Path:
    path = tmp_path / "later.yaml"
    path.write_text(LATER_YEARS, encoding="utf-8")
    return path


def test_later_years_load_and_read(later_years) -> None:
    stats = PublicStatistics.load(later_years)
    expected = pd.Series({2022: 100.0, 2023: 110.0, 2024: 121.0}, name="invented_income")
    pd.testing.assert_series_equal(stats.series("invented_income"), expected.rename_axis("year"))
    assert stats.yearly("counts", "invented_count").to_dict() == {2023: 5.0, 2024: 6.0}
    assert stats.entry("series", "invented_by_source", 2024, "operating", "share") == 0.34
    assert stats.value("series", "invented_by_source", 2024, "wage") == 80.0


def test_until_drops_later_years_and_later_publications(later_years) -> None:
    stats = PublicStatistics.load(later_years)
    assert stats.until(2023).series("invented_income").index.tolist() == [2022, 2023]
    # Known only in 2026: still missing as of 2025, although its year has passed.
    assert stats.until(2025).series("invented_income").index.tolist() == [2022, 2023]
    assert stats.until(2026).series("invented_income").index.tolist() == [2022, 2023, 2024]
    by_source = stats.until(2024).entry("series", "invented_by_source", 2024)
    assert set(by_source) == {"wage"}
    assert stats.until(2024).until(2030).origin == 2024  # a view never widens
    assert "composition_2023" in stats.until(2022).entry("series", "invented_income")


def test_reading_after_the_origin_names_the_reason(later_years) -> None:
    stats = PublicStatistics.load(later_years).until(2022)
    with pytest.raises(StatisticsError) as caught:
        stats.entry("series", "invented_income", 2023)
    assert caught.value.key == "series.invented_income.2023"
    assert "after the origin 2022" in caught.value.reason
    with pytest.raises(StatisticsError, match="no yearly figures up to the origin 2022"):
        stats.yearly("counts", "invented_count")
    with pytest.raises(StatisticsError, match="a group of figures"):
        PublicStatistics.load(later_years).series("invented_by_source")
    with pytest.raises(StatisticsError, match="no such key") as caught:
        stats.series("nowhere")
    assert caught.value.key == "series.nowhere"


MALFORMED = {
    "value not a number": (
        "series:\n  s:\n    2021: {value: lots, source: x}\n",
        "series.s.2021.value",
        "not a finite number",
    ),
    "value not finite": (
        "series:\n  s:\n    2021: {value: .nan}\n",
        "series.s.2021.value",
        "finite",
    ),
    "value missing": (
        "series:\n  s:\n    2021: {status: V, source: x}\n",
        "series.s.2021",
        "missing 'value'",
    ),
    "component value missing": (
        "series:\n  s:\n    2022:\n      wage: {share: 0.6}\n      operating: {value: 1}\n",
        "series.s.2022.wage",
        "missing 'value'",
    ),
    "year quoted": ("series:\n  s:\n    '2021': {value: 1}\n", "series.s.2021", "as text"),
    "known_in before its year": (
        "series:\n  s:\n    2021: {value: 1, known_in: 2020}\n",
        "series.s.2021.known_in",
        "at or after",
    ),
    "count block value not a number": (
        "series: {}\ncounts:\n  c: {2021: many}\n",
        "counts.c.2021",
        "expected a number or a mapping",
    ),
    "no series": ("counts: {}\n", "series", "mapping of yearly series"),
    "series not a mapping": ("series:\n  s: 3\n", "series.s", "mapping of years"),
    "not YAML": ("series: [unclosed\n", "", "not valid YAML"),
}


@pytest.mark.parametrize(("text", "key", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_entry_names_file_key_and_reason(tmp_path, text, key, reason) -> None:
    path = tmp_path / "stats.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StatisticsError) as caught:
        PublicStatistics.load(path)
    error = caught.value
    assert (error.file, error.key) == (path, key)
    assert reason in error.reason
    assert str(path) in str(error) and key in str(error) and isinstance(error, SourcedError)


def test_accessor_agrees_with_the_series_loader() -> None:
    stats = PublicStatistics.load()
    for name in ("national_net_income_alleviated", "yunnan_net_income_alleviated"):
        pd.testing.assert_series_equal(stats.series(name), load_series(name))

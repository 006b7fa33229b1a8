"""The monitoring line: shipped values, the growth rule, and refusals of bad files."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from forecast.paths import data_file
from forecast.risk import load_monitoring_line, monitoring_line
from forecast.sourced import SourcedError


def test_shipped_line_has_the_published_values_and_a_version():
    line = monitoring_line()
    assert line.version and line.version != "placeholder"
    assert monitoring_line(2020) == 6000
    assert monitoring_line(2022) == 7000
    assert monitoring_line(2023) == 8050


def test_line_rises_by_the_stated_rule_after_the_last_listed_year():
    line = monitoring_line()
    assert line.value(2024) == round(8050 * (1 + line.annual_growth) / 10) * 10 == 8560
    values = line.value(np.arange(line.first_year, line.last_year + 1))
    assert (np.diff(values) > 0).all()


def test_every_year_states_its_source_or_assumption():
    table = monitoring_line().table()
    assert table["basis"].str.len().gt(20).all()
    assert set(table["status"]) <= {"V", "D", "E"}


@pytest.mark.parametrize("year", [2015, 2036])
def test_years_outside_the_line_are_refused(year):
    with pytest.raises(SourcedError, match=f"no value for year {year}") as error:
        monitoring_line(year)
    assert error.value.file == data_file("monitoring_line.yaml")


def _shipped() -> dict:
    return yaml.safe_load(data_file("monitoring_line.yaml").read_text(encoding="utf-8"))


def _without_basis(raw):
    raw["years"][2020].pop("source")


def _falling(raw):
    raw["years"][2021]["value"] = 5000


def _gap(raw):
    raw["years"].pop(2021)


def _no_version(raw):
    raw.pop("version")


def _unknown_key(raw):
    raw["lines"] = {}


def _bad_growth(raw):
    raw["after_last_year"]["annual_growth"] = 1.5


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_without_basis, r"years\.2020: needs a 'source' or an 'assumption'"),
        (_falling, r"years\.2021\.value: the line may not fall"),
        (_gap, r"years\.2022: years must be consecutive"),
        (_no_version, r"version: missing"),
        (_unknown_key, r"lines: unknown key"),
        (_bad_growth, r"after_last_year\.annual_growth"),
    ],
)
def test_bad_line_files_are_refused_naming_file_and_key(tmp_path, spoil, message):
    raw = _shipped()
    spoil(raw)
    path = tmp_path / "line.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(SourcedError, match=message) as error:
        load_monitoring_line(path)
    assert error.value.file == path and str(path) in str(error.value)
    assert f"{error.value.key}: {error.value.reason}" in str(error.value)

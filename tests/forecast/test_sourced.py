"""The one loader of sourced data: each bad form is refused naming the file, the key and why."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import yaml

from forecast.macro import MacroError, MacroSettings
from forecast.parameters import ParameterError, load_parameters
from forecast.paths import data_file
from forecast.risk.line import load_monitoring_line
from forecast.risk.policy import load_risk_policy
from forecast.sourced import Rules, Sourced, SourcedError, SourcedFile, read_entry
from forecast.statistics import PublicStatistics, StatisticsError
from simulation import ScenarioError, load_scenario
from simulation.monitoring import monitoring_line

GOOD = """
version: "1"
households:
  value: 2100000
  unit: households
  source: "public_statistics.yaml counts.households_alleviated_plus_monitored"
shares:
  value: {2016: {wage: 0.55, transfer: 0.45}, 2022: {wage: 0.6, transfer: 0.4}}
  unit: share of per-capita net income
  assumption: "round numbers"
  status: E
"""

RUN = (2022, 2024)
CLOSED = Rules(fields=frozenset({"status"}), years=RUN)

# name: (YAML of the entry ``x``, key, reason)
BAD_ENTRIES = {
    "unknown key": (
        "x: {value: 1, unit: households, source: s, colour: red}",
        "x.colour",
        "unknown key",
    ),
    "missing value": ("x: {unit: households, source: s}", "x.value", "missing value"),
    "empty value": ("x: {value: null, unit: households, source: s}", "x.value", "missing value"),
    "value not a number": (
        "x: {value: lots, unit: households, source: s}",
        "x.value",
        "'lots' is not a number",
    ),
    # YAML 1.1 reads 1e300 (no dot, no sign) as text: say so, not "not a number".
    "number read as text": (
        "x: {value: 1e300, unit: households, source: s}",
        "x.value",
        "'1e300' is read as text, not a number: YAML needs a dot and a signed exponent (1.0e+300)",
    ),
    "value not finite": (
        "x: {value: .inf, unit: households, source: s}",
        "x.value",
        "not a finite number",
    ),
    "negative count": (
        "x: {value: -5, unit: households, source: s}",
        "x.value",
        "negative value -5 (a count or amount)",
    ),
    "share above 1": (
        "x: {value: 1.5, unit: share of households, assumption: a}",
        "x.value",
        "share 1.5 outside [0, 1]",
    ),
    "share above 1 in a year": (
        "x: {value: {2022: 0.5, 2023: 1.2}, unit: share, assumption: a}",
        "x.value.2023",
        "share 1.2 outside [0, 1]",
    ),
    "missing unit": ("x: {value: 1, source: s}", "x.unit", "missing value"),
    "missing source or assumption": (
        "x: {value: 1, unit: households}",
        "x",
        "needs a 'source' or an 'assumption'",
    ),
    "empty source": ("x: {value: 1, unit: households, source: ' '}", "x.source", "expected text"),
    "year outside the run": (
        "x: {value: {2022: 1, 2026: 2}, unit: households, source: s}",
        "x.value.2026",
        "year outside the run 2022-2024",
    ),
    "year written as text": (
        "x: {value: {'2022': 1}, unit: households, source: s}",
        "x.value.2022",
        "a year written as text",
    ),
    "entry not a mapping": ("x: 5", "x", "expected a mapping with value"),
    "empty mapping of numbers": (
        "x: {value: {}, unit: households, source: s}",
        "x.value",
        "missing value",
    ),
}


def _file(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _assert_names(error: SourcedError, path: Path, key: str, reason: str) -> None:
    assert (error.file, error.key) == (path, key)
    assert reason in error.reason
    assert str(error) == (f"{path}: {key}: {error.reason}" if key else f"{path}: {error.reason}")


@pytest.mark.parametrize(("text", "key", "reason"), BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_bad_entry_names_file_key_and_reason(tmp_path, text, key, reason) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(SourcedError) as caught:
        SourcedFile.load(path, CLOSED).entry("x")
    _assert_names(caught.value, path, key, reason)
    assert isinstance(caught.value, ValueError)


BAD_FILES = {
    "not YAML": ("x: [unclosed\n", "", "not valid YAML"),
    "not a mapping": ("- 1\n- 2\n", "", "expected a mapping at the top level"),
    "empty": ("", "", "expected a mapping at the top level"),
}


@pytest.mark.parametrize(("text", "key", "reason"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_malformed_file_is_refused(tmp_path, text, key, reason) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(SourcedError) as caught:
        SourcedFile.load(path)
    _assert_names(caught.value, path, key, reason)


def test_missing_file_is_an_error(tmp_path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(SourcedError) as caught:
        SourcedFile.load(path)
    _assert_names(caught.value, path, "", "file not found")


def test_missing_entry_and_unknown_top_level_key(tmp_path) -> None:
    path = _file(tmp_path, GOOD)
    file = SourcedFile.load(path, CLOSED)
    with pytest.raises(SourcedError) as caught:
        file.entry("people")
    _assert_names(caught.value, path, "people", "missing value")
    with pytest.raises(SourcedError) as caught:
        file.check_keys({"version", "households"})
    _assert_names(caught.value, path, "shares", "unknown key")
    with pytest.raises(SourcedError) as caught:
        file.text("edition")
    _assert_names(caught.value, path, "edition", "missing")


def test_exactly_one_value_key_and_scalars(tmp_path) -> None:
    rules = Rules(values=("value", "central"), numbers=("low", "high"), scalar=True)
    two = {"value": 1, "central": 2, "unit": "share", "source": "s"}
    with pytest.raises(SourcedError, match=r"f.yaml: x: give exactly one of value, central"):
        read_entry(two, "f.yaml", "x", rules)
    mapping = {"value": {"a": 1}, "unit": "yuan", "source": "s"}
    with pytest.raises(SourcedError, match=r"f.yaml: x.value: .* is not a number"):
        read_entry(mapping, "f.yaml", "x", rules)
    low = {"central": 0.5, "low": "little", "unit": "share", "source": "s"}
    with pytest.raises(SourcedError, match=r"f.yaml: x.low: 'little' is not a number"):
        read_entry(low, "f.yaml", "x", rules)


def test_good_file_gives_sourced_values(tmp_path) -> None:
    file = SourcedFile.load(_file(tmp_path, GOOD), Rules(fields=frozenset({"status"})))
    households = file.entry("households")
    assert households == Sourced(
        value=2100000,
        unit="households",
        source="public_statistics.yaml counts.households_alleviated_plus_monitored",
    )
    assert households.basis.startswith("public_statistics.yaml")
    shares = file.entry("shares")
    assert shares.extra == {"status": "E"} and shares.assumption == "round numbers"
    wage = Sourced({y: s["wage"] for y, s in shares.value.items()}, "share")
    np.testing.assert_allclose(wage.by_year([2015, 2019, 2022, 2030]), [0.55, 0.575, 0.6, 0.6])
    assert file.text("version") == "1"


def test_what_a_file_may_allow(tmp_path) -> None:
    # The file's own unit, a name without a unit, words standing in for numbers, log effects.
    line = {"value": 6000, "source": "s"}
    assert read_entry(line, "f", "x", Rules(unit="yuan/person/year")).unit == "yuan/person/year"
    name = {"value": "national_rural_disposable", "source": "s"}
    assert read_entry(name, "f", "x", Rules(names=True)).value == "national_rural_disposable"
    with pytest.raises(SourcedError, match="x.unit: missing value"):
        read_entry(name, "f", "x", Rules())
    word = {"value": "panel", "unit": "log points", "source": "s"}
    assert read_entry(word, "f", "x", Rules(words=frozenset({"panel"}))).value == "panel"
    signed = {"value": -0.3, "unit": "log points", "assumption": "a"}
    assert read_entry(signed, "f", "x").value == -0.3
    loss = {"value": {"low": 0.3, "high": 1.3}, "unit": "share lost (above 1 means a net loss)"}
    assert read_entry({**loss, "assumption": "a"}, "f", "x").value["high"] == 1.3
    assert read_entry({**line, "unit": "yuan", "note": "n"}, "f", "x", Rules(fields=None))


def test_the_error_crosses_process_boundaries() -> None:
    error = ParameterError(Path("f.yaml"), "a.b", "why")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ParameterError
    assert (again.file, again.key, again.reason, str(again)) == (
        error.file,
        error.key,
        error.reason,
        "f.yaml: a.b: why",
    )


def test_every_loader_raises_the_one_error(tmp_path) -> None:
    for kind in (ParameterError, StatisticsError, ScenarioError):
        assert issubclass(kind, SourcedError)

    def spoiled(name: str, edit) -> Path:
        raw = yaml.safe_load(data_file(name).read_text(encoding="utf-8"))
        edit(raw)
        return _file(tmp_path, yaml.safe_dump(raw, allow_unicode=True), name)

    cases = [
        (
            load_parameters,
            spoiled("synthetic_panel.yaml", lambda r: r["income"]["shock_sd"].pop("unit")),
            "income.shock_sd.unit",
            "missing value",
        ),
        (
            load_risk_policy,
            spoiled("risk_policy.yaml", lambda r: r["fall_share"].pop("assumption")),
            "fall_share",
            "needs a 'source' or an 'assumption'",
        ),
        (
            load_monitoring_line,
            spoiled("monitoring_line.yaml", lambda r: r["years"][2022].update(value="many")),
            "years.2022.value",
            "'many' is not a number",
        ),
        (
            MacroSettings.load,
            spoiled("macro.yaml", lambda r: r["recency_decay"].update(value=-0.7)),
            "recency_decay.value",
            "negative value",
        ),
        (
            PublicStatistics.load,
            spoiled("public_statistics.yaml", lambda r: r["counts"].update(late={2023: "many"})),
            "counts.late.2023",
            "expected a number or a mapping",
        ),
    ]
    for load, path, key, reason in cases:
        with pytest.raises(SourcedError) as caught:
            load(path)
        _assert_names(caught.value, path, key, reason)
    # A malformed settings file is not taken for a model that cannot answer.
    with pytest.raises(SourcedError) as caught:
        MacroSettings.load(cases[3][1])
    assert not isinstance(caught.value, MacroError)


def test_scenario_errors_carry_file_key_and_reason(tmp_path) -> None:
    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    path = _file(
        tmp_path,
        f"name: bad\nbase: {scenarios / 'action_plan.yaml'}\n"
        "changes:\n  measures:\n    skills_training:\n"
        "      take_up: {value: -0.1, assumption: a sign error}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    _assert_names(
        caught.value, path, "measures.skills_training.take_up.value", "negative value -0.1"
    )


@pytest.mark.parametrize(("year", "key"), [(2015, "years"), (2040, "after_last_year.last_year")])
def test_no_line_for_a_year_is_an_error_not_a_fallback(year, key) -> None:
    with pytest.raises(SourcedError) as caught:
        monitoring_line(year)
    _assert_names(caught.value, data_file("monitoring_line.yaml"), key, f"no value for year {year}")

"""The one YAML loader holds against hostile files: aliases, size, encoding, non-text bases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forecast.panel import PanelValidationError, load_mapping
from forecast.paths import data_file
from forecast.risk.line import load_monitoring_line
from forecast.sourced import (
    MAX_YAML_BYTES,
    MAX_YAML_BYTES_SETTING,
    SettingError,
    SourcedError,
    load_yaml,
    read_yaml,
)

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str | bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # a plain alias
        "base: &b {value: 1, unit: yuan}\nother:\n  <<: *b\n  source: here\n",  # a merge key
        'l0: &l0 "lol"\nl1: &l1 [*l0, *l0, *l0]\ndescription: *l1\n',  # a small "laughs"
    ],
    ids=["alias", "merge key", "laughs"],
)
def test_an_alias_is_refused_naming_the_file_and_line(tmp_path, text) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SourcedError) as caught:
        load_yaml(path)
    assert caught.value.file == path and caught.value.key == ""
    assert "aliases are refused" in caught.value.reason and "line " in caught.value.reason


def test_anchors_without_aliases_and_every_shipped_file_load(tmp_path) -> None:
    assert load_yaml(_write(tmp_path, "a: &x 1\nb: 2\n")) == {"a": 1, "b": 2}
    shipped = [*ROOT.glob("data/**/*.yaml"), *ROOT.glob("scenarios/*.yaml")]
    assert len(shipped) >= 10
    for path in shipped:
        assert read_yaml(path)
        assert path.stat().st_size < MAX_YAML_BYTES / 5  # the default leaves room


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path, "unknown_key: " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(SourcedError) as caught:
        load_yaml(path)
    assert f"larger than {MAX_YAML_BYTES:,} bytes" in caught.value.reason
    assert MAX_YAML_BYTES_SETTING in caught.value.reason
    monkeypatch.setenv(MAX_YAML_BYTES_SETTING, str(2 * MAX_YAML_BYTES))
    assert len(load_yaml(path)["unknown_key"]) == MAX_YAML_BYTES
    monkeypatch.setenv(MAX_YAML_BYTES_SETTING, "100")
    with pytest.raises(SourcedError, match="larger than 100 bytes"):
        load_yaml(path)


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_bad_size_setting_names_the_variable(tmp_path, monkeypatch, value) -> None:
    monkeypatch.setenv(MAX_YAML_BYTES_SETTING, value)
    with pytest.raises(SettingError) as caught:
        load_yaml(_write(tmp_path, "a: 1\n"))
    assert str(caught.value).startswith(f"{MAX_YAML_BYTES_SETTING}={value!r}: ")


def test_text_that_is_not_utf8_is_refused_naming_the_line(tmp_path) -> None:
    path = _write(tmp_path, b'name: x\nbase: baseline.yaml\ndescription: "caf\xe9"\n')
    with pytest.raises(SourcedError) as caught:
        load_yaml(path)
    assert caught.value.reason.startswith("not UTF-8 text: byte 0xe9 on line 3")


def test_a_directory_in_place_of_the_file_is_an_error(tmp_path) -> None:
    with pytest.raises(SourcedError, match="cannot be read"):
        load_yaml(tmp_path)


@pytest.mark.parametrize("basis", ["source", "assumption"])
def test_a_source_or_assumption_that_is_not_text_is_refused_at_any_depth(tmp_path, basis):
    path = _write(tmp_path, f"group:\n  - entry: {{value: 1, {basis}: [a, b]}}\n")
    with pytest.raises(SourcedError) as caught:
        read_yaml(path)
    assert caught.value.key == f"group.0.entry.{basis}"
    assert caught.value.reason == "expected text saying where the value comes from, got a list"


def test_the_monitoring_lines_rule_refuses_a_list_as_its_assumption(tmp_path) -> None:
    """The failure as found: ``after_last_year.assumption`` accepted a list."""
    data = yaml.safe_load(data_file("monitoring_line.yaml").read_text(encoding="utf-8"))
    data["after_last_year"]["assumption"] = ["one", "two"]
    path = _write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(SourcedError) as caught:
        load_monitoring_line(path)
    assert caught.value.key == "after_last_year.assumption"


def test_a_column_mapping_goes_through_the_same_loader(tmp_path) -> None:
    path = _write(tmp_path, "columns: &c {户编号: household_id}\nvalues: *c\n", "m.yaml")
    with pytest.raises(PanelValidationError) as caught:
        load_mapping(path)
    assert "aliases are refused" in str(caught.value) and str(path) in str(caught.value)

"""zengshou --lang zh|en: the reports people read switch language; machine outputs do not."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from forecast.i18n import LANGUAGE_SETTING, current_language
from zengshou.cli import main


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv(LANGUAGE_SETTING, raising=False)
    return CliRunner()


def test_an_unknown_language_is_a_usage_error_naming_the_option(runner, monkeypatch):
    result = runner.invoke(main, ["--lang", "fr", "data", "schema"])
    assert result.exit_code == 2
    assert "Invalid value for '--lang'" in result.output and "'en', 'zh'" in result.output
    monkeypatch.setenv(LANGUAGE_SETTING, "xx")
    result = runner.invoke(main, ["data", "schema"])
    assert (
        result.exit_code == 2 and "'--lang'" in result.output and LANGUAGE_SETTING in result.output
    )


def test_the_data_report_follows_lang_then_the_environment(
    runner, synthetic_panel_file, monkeypatch
):
    english = runner.invoke(main, ["data", "report", synthetic_panel_file])
    chinese = runner.invoke(main, ["--lang", "zh", "data", "report", synthetic_panel_file])
    assert english.exit_code == chinese.exit_code == 0, chinese.output
    assert (
        english.output.startswith("target ")
        and "net income per capita 2022 (yuan)" in english.output
    )
    assert chinese.output.startswith("对照指标") and "2022年人均纯收入（元）" in chinese.output
    # the same figures, in the same order
    figures = [line.split()[-5:-1] for line in english.output.splitlines()[1:]]
    assert [line.split()[-5:-1] for line in chinese.output.splitlines()[1:]] == figures
    monkeypatch.setenv(LANGUAGE_SETTING, "zh")
    assert runner.invoke(main, ["data", "report", synthetic_panel_file]).output == chinese.output
    assert runner.invoke(main, ["--lang", "en", "data", "report", synthetic_panel_file]).output == (
        english.output
    )
    monkeypatch.delenv(LANGUAGE_SETTING)
    assert current_language() == "en"  # the command's language does not outlive it

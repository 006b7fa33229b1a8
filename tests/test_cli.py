"""The ``zengshou`` command line: help everywhere, exit codes that scripts can trust."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from zengshou.cli import main

PANELS = Path(__file__).parent / "forecast" / "panels"


def _all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "path", [(), *_all_commands(main)], ids=lambda p: " ".join(p) or "zengshou"
)
def test_every_command_has_help(path) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_validate_exits_zero_on_valid_and_one_on_invalid() -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["data", "validate", str(PANELS / "valid.csv")])
    assert ok.exit_code == 0 and "valid: 9 rows" in ok.output
    bad = runner.invoke(main, ["data", "validate", str(PANELS / "bad_labour_above_members.csv")])
    assert bad.exit_code == 1
    assert "row 4, column 'labour_force'" in bad.output


def test_synth_writes_a_panel_that_validates_and_reports(tmp_path) -> None:
    out = tmp_path / "p.csv"
    runner = CliRunner()
    result = runner.invoke(
        main, ["data", "synth", "--households", "400", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "net income per capita 2022" in result.output
    assert runner.invoke(main, ["data", "validate", str(out)]).exit_code == 0
    report = runner.invoke(main, ["data", "report", str(out)])
    assert report.exit_code == 0 and "wage share 2022" in report.output


def test_validate_names_each_mistake_of_the_example_export_with_errors() -> None:
    examples = Path(__file__).parents[1] / "data" / "examples"
    mapping = Path(__file__).parents[1] / "data" / "mappings" / "monitoring_export_zh.yaml"
    runner = CliRunner()
    good = runner.invoke(
        main, ["data", "validate", str(examples / "monitoring_export_zh.csv"), "--mapping", mapping]
    )
    assert good.exit_code == 0 and "valid: 9 rows, 3 households" in good.output
    bad = runner.invoke(
        main,
        [
            "data",
            "validate",
            str(examples / "monitoring_export_zh_with_errors.csv"),
            "--mapping",
            str(mapping),
        ],
    )
    assert bad.exit_code == 1
    assert "3 problem(s) found" in bad.output
    for where in ("row 2, column 'labour_force'", "row 5, column 'wage_income'", "row 8"):
        assert where in bad.output

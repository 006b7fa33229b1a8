"""One error path: each failure found by hand, replayed with the real ``zengshou`` process.

Each prints the file, row or key and the reason in a few lines on stderr, with a non-zero
exit status and no traceback; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from zengshou import errors

ROOT = Path(__file__).resolve().parents[1]
PANELS = ROOT / "tests" / "forecast" / "panels"
BAD_SCENARIOS = ROOT / "tests" / "simulation" / "bad_scenarios"
ZENGSHOU = Path(sys.executable).parent / "zengshou"


def zengshou(*args, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ZENGSHOU, *map(str, args)],
        capture_output=True,
        text=True,
        env=os.environ | env,
        timeout=180,
    )


def assert_fails_cleanly(done: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 1, no traceback, a short message holding every fragment (file, key, reason)."""
    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert "Traceback" not in shown, shown
    assert len(done.stderr.strip().splitlines()) <= 5, done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The bad inputs: a header-only CSV, a truncated Parquet, a scenario not in UTF-8."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    valid = PANELS / "valid.csv"
    header = folder / "header.csv"
    header.write_text(valid.read_text().splitlines()[0] + "\n")
    whole = folder / "whole.parquet"
    pd.read_csv(valid).to_parquet(whole)
    truncated = folder / "truncated.parquet"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    latin1 = folder / "latin1.yaml"
    latin1.write_bytes(
        f"name: latin1\nbase: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
        'description: "caf\xe9"\n'.encode("latin-1")
    )
    return {"header": header, "truncated": truncated, "latin1": latin1}


@pytest.mark.parametrize("command", ["risk train", "risk score", "data report"])
def test_a_header_only_csv_is_refused_with_no_rows(files, command) -> None:
    done = zengshou(*command.split(), *(["--panel"] if "risk" in command else []), files["header"])
    assert_fails_cleanly(done, str(files["header"]), "no rows")


def test_data_validate_fails_on_a_header_only_csv(files) -> None:
    done = zengshou("data", "validate", files["header"])
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no rows" in done.stderr and "valid:" not in done.stdout


def test_simulate_run_names_the_row_and_column_of_a_number_written_as_text() -> None:
    panel = PANELS / "bad_non_numeric_count.csv"
    done = zengshou("simulate", "run", ROOT / "scenarios" / "baseline.yaml", "--panel", panel)
    assert_fails_cleanly(done, str(panel), "row 2, column 'members', value 'four': not a number")


def test_forecast_backtest_names_a_truncated_parquet(files) -> None:
    done = zengshou("forecast", "backtest", "--panel", files["truncated"], "--no-mlflow")
    assert_fails_cleanly(done, f"{files['truncated']}: not a readable Parquet table")


@pytest.mark.parametrize(
    ("scenario", "fragments"),
    [
        ("latin1", ("latin1.yaml: not UTF-8 text: byte 0xe9 on line 3",)),
        ("activate_nested_list", ("activate_nested_list.yaml: activate: expected a list",)),
    ],
)
def test_simulate_run_names_a_bad_scenario(files, scenario, fragments) -> None:
    path = files.get(scenario) or BAD_SCENARIOS / f"{scenario}.yaml"
    assert_fails_cleanly(zengshou("simulate", "run", path), *fragments)


@pytest.mark.parametrize("shape", ["not JSON", "keys not a list", "a directory"])
def test_api_key_names_a_corrupt_key_file(tmp_path, shape) -> None:
    path = tmp_path / "api_keys.json"
    if shape == "a directory":
        path.mkdir()
    else:
        path.write_text('{"keys": 5' if shape == "not JSON" else json.dumps({"keys": 5}))
    commands = [["list"], ["create", "--scope", "score"], ["revoke", "abc"]]
    for command in commands if shape == "keys not a list" else commands[:1]:
        done = zengshou("api-key", *command, ZENGSHOU_API_KEYS_FILE=str(path))
        assert_fails_cleanly(done, str(path))


@pytest.mark.parametrize(
    ("command", "variable", "value", "named"),
    [
        ("api-key list", "ZENGSHOU_MAX_HOUSEHOLDS", "abc", "ZENGSHOU_MAX_HOUSEHOLDS='abc': "),
        ("serve --port 1", "ZENGSHOU_CORS_ORIGINS", "[", "ZENGSHOU_CORS_ORIGINS='[': "),
        ("serve --port 1", "ZENGSHOU_API_KEY_HASHES", "x", "ZENGSHOU_API_KEY_HASHES entry 1: "),
        ("simulate run scenarios/baseline.yaml", "ZENGSHOU_MAX_YAML_BYTES", "0", "BYTES='0': "),
    ],
)
def test_a_bad_setting_names_the_variable(command, variable, value, named) -> None:
    args = [ROOT / a if a.startswith("scenarios/") else a for a in command.split()]
    assert_fails_cleanly(zengshou(*args, **{variable: value}), named)


def test_a_billion_laughs_is_refused_in_under_a_second_and_200_mb() -> None:
    """Measured in a fresh process (benchmarks/bench_hostile_yaml.py; peak RSS by resource):
    before, ``simulate run`` passed 3 GB in 44 s on this file."""
    bomb = BAD_SCENARIOS / "billion_laughs.yaml"
    refusal = f"{bomb}: an alias (*name) repeats the value anchored on line"
    bench = ROOT / "benchmarks" / "bench_hostile_yaml.py"
    done = subprocess.run(
        [sys.executable, bench, "--json", bomb, "--expect", refusal],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr  # the command failed with status 1 and refusal
    figures = json.loads(done.stdout)
    assert figures["seconds"] < 1.0 and figures["peak_mib"] < 200, figures


def test_debug_shows_the_traceback(files) -> None:
    done = zengshou("--debug", "simulate", "run", files["latin1"])
    assert done.returncode != 0 and "Traceback" in done.stderr and "not UTF-8" in done.stderr


def test_an_unexpected_error_is_one_line_pointing_to_debug() -> None:
    failure = errors.failure(TypeError("'int' object is not iterable"))
    assert failure.exit_code == errors.INTERNAL_ERROR
    assert "TypeError: 'int' object is not iterable" in failure.message
    assert "--debug" in failure.message
    expected = errors.failure(FileNotFoundError(2, "No such file or directory", "p.csv"))
    assert expected.exit_code == 1 and expected.message == "p.csv: No such file or directory"

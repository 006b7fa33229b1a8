"""``zengshou simulate optimize`` as a planner runs it: a real process, interrupted and
resumed, on a fixture catalogue whose cheapest mix is known analytically
(:mod:`linear_fixture`); and the search's own guarantees (common random numbers, fresh
seeds, the same answer on 1 or 2 workers)."""

from __future__ import annotations

import json
import math
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from linear_fixture import COST, EFFECT, write_fixture
from mlflow import MlflowClient

from forecast.synthetic import synthesize_panel
from simulation import Population, load_scenario
from simulation.montecarlo.replications import ReplicationRunner
from simulation.optimize import Constraints, DecisionSpace, Settings, optimize
from simulation.optimize.evaluate import Evaluator
from simulation.optimize.report import frontier_dict, optimization_report
from zengshou.cli import main

HOUSEHOLDS, PANEL_SEED, TRIALS, FIRST_BATCH = 800, 11, 40, 8
OPTIONS = [
    "--households", str(HOUSEHOLDS), "--panel-seed", str(PANEL_SEED), "--seed", "3",
    "--trials", str(TRIALS), "--batch", str(FIRST_BATCH), "--screen-replications", "4",
    "--rungs", "1", "--eta", "3", "--final-replications", "16", "--finalists", "6",
    "--min-probability", "0.5", "--workers", "2",
]  # fmt: skip


def _complete(db: Path) -> dict[int, str]:
    """Complete screening trials' numbers and parameters in an Optuna SQLite storage."""
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db) as connection:
            rows = connection.execute(
                "SELECT t.number, p.param_name, p.param_value FROM trials t "
                "JOIN trial_params p ON p.trial_id = t.trial_id "
                "JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
                "WHERE t.state = 'COMPLETE' AND a.key = 'stage' AND a.value_json = '\"screen\"' "
                "ORDER BY t.number, p.param_name"
            ).fetchall()
    except sqlite3.OperationalError:  # tables not created yet, or locked a moment
        return {}
    out: dict[int, str] = {}
    for number, name, value in rows:
        out[number] = out.get(number, "") + f"{name}={value};"
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Start the search in a real process, interrupt it (SIGINT) once a batch is complete,
    resume it with the same command; return the folder, the first process's complete trials,
    the second's output and the scenario path."""
    folder = tmp_path_factory.mktemp("optimize")
    scenario = write_fixture(folder / "fixture")
    out = folder / "out"
    command = [
        str(Path(sys.executable).parent / "zengshou"), "simulate", "optimize", str(scenario),
        *OPTIONS, "--out", str(out),
    ]  # fmt: skip
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(_complete(out / "optuna.db")) < FIRST_BATCH and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()[1].decode()[-2000:]
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    before = _complete(out / "optuna.db")
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    return folder, out, before, second.stdout, scenario, first.returncode


def test_interrupted_search_resumes_and_the_trial_count_goes_on(run):
    _, out, before, stdout, _, first_code = run
    assert first_code != 0  # it was stopped, not finished
    assert FIRST_BATCH <= len(before) < TRIALS
    after = _complete(out / "optuna.db")
    assert len(after) == TRIALS
    assert all(after[n] == params for n, params in before.items())  # kept, not redone
    assert f"40 screened, {len(before)} of them found in the storage" in stdout
    frontier = json.loads((out / "frontier.json").read_text())
    assert frontier["resumed_trials"] == len(before)
    assert frontier["evaluated_mixes"] > TRIALS  # and the mixes bracketing the probability


def test_cheapest_mix_within_5_percent_of_the_analytical_one(run):
    _, out, _, _, scenario_path, _ = run
    frontier = json.loads((out / "frontier.json").read_text())
    rows = {r["trial"]: r for r in frontier["frontier"]}
    best = rows[frontier["recommended"]]
    fresh = frontier["fresh_seeds"]
    # The analytical answer on the same fresh replications: the gain that lifts half of them
    # above the nation, bought with the cheap lever's whole pool first, then the dear one.
    population = Population.from_panel(
        synthesize_panel(HOUSEHOLDS, seed=PANEL_SEED, as_of=2022), as_of=2022
    )
    scenario = load_scenario(scenario_path)
    space = DecisionSpace.from_scenario(scenario, 2023)
    with ReplicationRunner(population) as runner:
        evaluator = Evaluator(scenario, population, fresh, runner)
        nothing, pool_only = evaluator.run(
            [
                (space.apply({"cheap.scale": 0, "dear.scale": 0}, "test"), None),
                (space.apply({"cheap.scale": 1_000_000, "dear.scale": 0}, "test"), None),
            ],
            len(fresh),
        )
    people = float(np.sum(population.weight * population.members))
    missing = np.sort(evaluator.national[: len(fresh)] - np.asarray(nothing.income))
    needed = missing[math.ceil(0.5 * len(fresh)) - 1] * people / EFFECT  # households
    pool = (np.mean(pool_only.income) - np.mean(nothing.income)) * people / EFFECT
    analytical = np.mean(nothing.cost) + 2 * (
        COST["cheap"] * min(needed, pool) + COST["dear"] * max(needed - pool, 0)
    )
    assert best["p_target_met"] >= 0.5
    assert analytical <= best["cost_yuan"] * (1 + 1e-6)  # nothing beats the analytical optimum
    assert best["cost_yuan"] <= 1.05 * analytical


def test_fresh_probability_within_two_standard_errors_of_the_claim(run):
    _, out, _, stdout, _, _ = run
    frontier = json.loads((out / "frontier.json").read_text())
    best = {r["trial"]: r for r in frontier["frontier"]}[frontier["recommended"]]
    assert set(frontier["fresh_seeds"]).isdisjoint(frontier["search_seeds"])
    claim, n = best["claimed_p_target_met"], best["claimed_replications"]
    error = math.hypot(best["p_std_error"], math.sqrt(claim * (1 - claim) / n))
    assert abs(best["p_target_met"] - claim) <= 2 * max(error, 1 / n)
    assert "Recommended: mix" in stdout and "fresh replications" in stdout


def test_recommended_mix_is_a_scenario_file_of_the_run(run):
    folder, out, _, stdout, _, _ = run
    run_id = stdout.strip().splitlines()[-1].split()[2]
    mix = load_scenario(out / "recommended.yaml")
    frontier = json.loads((out / "frontier.json").read_text())
    best = {r["trial"]: r for r in frontier["frontier"]}[frontier["recommended"]]
    for lever in ("cheap", "dear"):
        scale = mix.levers[lever].scale
        if scale.at(2023) != 0:  # changed from the scenario: chosen by this run
            assert scale.assumption == f"chosen by optimize run {run_id}"
        assert scale.at(2023) == scale.at(2024) == best[f"{lever}.scale"]
    assert mix.catalogue_path == str((folder / "fixture" / "measures.yaml").resolve())
    for name in ("frontier.csv", "frontier.parquet", "frontier.png", "trials.csv", "report.txt"):
        assert (out / name).stat().st_size > 0
    logged = {a.path for a in MlflowClient().list_artifacts(run_id)}
    assert {"recommended.yaml", "frontier.json", "frontier.png", "seeds.json"} <= logged


def test_another_search_on_the_same_storage_is_refused(run):
    _, out, _, _, scenario, _ = run
    options = [o if o != "3" else "4" for o in OPTIONS]  # another seed
    result = CliRunner().invoke(
        main, ["simulate", "optimize", str(scenario), *options, "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "differs in seed" in result.output and "optuna.db" in result.output


def test_same_seed_same_search_on_one_or_two_workers(population, tmp_path):
    scenario = load_scenario(write_fixture(tmp_path / "fixture"))
    settings = Settings(
        trials=4, batch=2, screen_replications=2, rungs=0, final_replications=2, finalists=2
    )
    tables = [
        optimize(
            scenario,
            population,
            tmp_path / f"w{workers}.db",
            constraints=Constraints(0.5),
            settings=settings,
            seed=7,
            workers=workers,
        ).trials
        for workers in (1, 2)
    ]
    assert tables[0].equals(tables[1])
    assert tables[0]["cost_yuan"].nunique() > 1  # distinct mixes, not one repeated


def test_no_mix_meeting_the_constraints_is_said_and_the_closest_named(population, tmp_path):
    scenario = load_scenario(write_fixture(tmp_path / "fixture"))
    settings = Settings(
        trials=3, batch=3, screen_replications=1, rungs=0, final_replications=2, finalists=2
    )
    opt = optimize(
        scenario,
        population,
        tmp_path / "optuna.db",
        constraints=Constraints(0.5, budget=1.0),  # one yuan: nothing fits
        settings=settings,
        seed=2,
    )
    assert opt.recommended is None
    report = optimization_report(opt)
    assert "No mix meets the constraints" in report and "The closest:" in report
    assert frontier_dict(opt)["closest"] == [str(n) for n in opt.closest().index]
    assert opt.closest()["shortfall"].is_monotonic_increasing

"""Runs cached by scenario hash, size and seed; background jobs report, finish and cancel."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time

from forecast.paths import project_root
from simulation import load_scenario
from zengshou.app import jobs
from zengshou.app.settings import AppSettings, is_loopback

PLAN = project_root() / "scenarios" / "action_plan.yaml"


def test_the_run_key_follows_the_scenario_content_size_and_seed():
    plan = load_scenario(PLAN)
    size = jobs.RunSize(300, 4, 1, 1)
    assert jobs.run_key(plan, size) == jobs.run_key(load_scenario(PLAN), size)
    assert jobs.run_key(plan, size) != jobs.run_key(plan, dataclasses.replace(size, seed=2))
    assert jobs.run_key(plan, size) != jobs.run_key(plan, dataclasses.replace(size, replications=5))
    fewer = plan.without("skills_training")
    assert jobs.scenario_hash(fewer) != jobs.scenario_hash(plan)
    moved = dataclasses.replace(plan, path="/elsewhere/action_plan.yaml")
    assert jobs.scenario_hash(moved) == jobs.scenario_hash(plan)  # content, not place


def test_a_job_that_cannot_run_fails_with_its_reason(tmp_path, monkeypatch):
    settings = AppSettings(home=tmp_path)
    spec = {"kind": "target", "scenario": str(tmp_path / "missing.yaml"), "size": {}}
    job = jobs.start(tmp_path / "run", spec, settings)
    status = jobs.wait(job, timeout=120)
    assert status["state"] == jobs.FAILED
    assert "missing.yaml" in status["error"]
    assert job.finished is None


def test_cancel_stops_the_worker_and_says_so(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    # A stand-in worker that only sleeps: cancel must stop its whole process group.
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    (folder / "progress.json").write_text(json.dumps({"state": "running", "pid": sleeper.pid}))
    job = jobs.Job(folder)
    assert job.status()["state"] == jobs.RUNNING
    job.cancel()
    sleeper.wait(timeout=10)
    deadline = time.monotonic() + 10
    while job.status()["state"] == jobs.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.status()["state"] == jobs.CANCELLED


def test_settings_round_trip_through_the_environment(tmp_path, monkeypatch):
    settings = AppSettings(home=tmp_path, households=300, replications=3, require_login=True)
    for name, value in settings.to_environment().items():
        monkeypatch.setenv(name, value)
    assert AppSettings.from_environment() == settings


def test_only_loopback_addresses_count_as_this_machine():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")

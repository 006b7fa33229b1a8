"""Work that takes minutes runs in a background process: a target test or a cheapest-mix search.

A job is a folder: ``job.json`` (what to do), ``progress.json`` (how far; rewritten by the
worker, :mod:`zengshou.app.worker`), and, once it has finished, what it produced. The worker
runs in its own process group, so cancelling stops it and its replication processes at once,
and the page serving the app never waits on a simulation. A run's folder is named by its key:
the scenario's hash, the seed and the run's size, and the code that simulates, so a finished
run is found again (cached) and never rerun, and a changed code or mix never reads a stale one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.disk_cache import fingerprint
from forecast.paths import project_root
from zengshou.app.settings import AppSettings

DONE, RUNNING, FAILED, CANCELLED = "done", "running", "failed", "cancelled"
RESULT = "result.pickle"  # the TargetTestResult, for comparisons
RECORD = "record"  # summary.json, the plots and manifest.json (simulation.montecarlo.record)
FINISHED = "run.json"  # written last: the run is complete
CANCEL_ASKED = "cancel"  # the app asked the worker to stop
_SIMULATES = ("src/simulation/**/*.py", "scenarios/measures.yaml", "data/*.yaml")


def simulation_fingerprint() -> str:
    """SHA-256 (16 digits) of the code and data a run's figures depend on."""
    return fingerprint(_SIMULATES)[:16]


def scenario_hash(scenario: Any) -> str:
    """SHA-256 (16 digits) of a loaded scenario's content (its base chain and catalogue
    merged in; not the file's name or place)."""
    content = repr(dataclasses.replace(scenario, path=""))
    return hashlib.sha256(content.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunSize:
    """How big a run is: what, besides the scenario, its figures depend on."""

    households: int
    replications: int
    seed: int
    attribution_replications: int
    panel_seed: int = 11
    as_of: int = 2022

    @classmethod
    def of(cls, settings: AppSettings) -> RunSize:
        """The size of the runs the app starts."""
        return cls(
            settings.households,
            settings.replications,
            settings.seed,
            settings.attribution_replications,
        )


def run_key(scenario: Any, size: RunSize) -> str:
    """The name of a run's folder: scenario hash, size and seed, simulating code."""
    text = json.dumps(
        {
            "scenario": scenario_hash(scenario),
            **dataclasses.asdict(size),
            "code": simulation_fingerprint(),
        },
        sort_keys=True,
    )
    return f"{scenario.name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class Job:
    """A background job's folder and what it reports."""

    folder: Path

    @property
    def key(self) -> str:
        """The folder's name."""
        return self.folder.name

    def status(self) -> dict[str, Any]:
        """``state`` (running, done, failed, cancelled or ``absent``), ``done`` and ``total``
        steps, ``stage`` and ``error``."""
        if (self.folder / FINISHED).exists():
            return {"state": DONE, "done": 1, "total": 1}
        status = _read_json(self.folder / "progress.json") or {"state": "absent"}
        if status.get("state") == RUNNING and not _alive(status.get("pid")):
            # Stopped before it could say so: cancelled if asked to, else failed.
            if (self.folder / CANCEL_ASKED).exists():
                return {**status, "state": CANCELLED}
            return {**status, "state": FAILED, "error": status.get("error") or "stopped"}
        return status

    @property
    def finished(self) -> dict[str, Any] | None:
        """What the finished job wrote in ``run.json`` (None until it finished)."""
        return _read_json(self.folder / FINISHED)

    def cancel(self) -> None:
        """Stop the worker and everything it started (its process group)."""
        pid = (_read_json(self.folder / "progress.json") or {}).get("pid")
        if pid and _alive(pid):
            (self.folder / CANCEL_ASKED).touch()
            os.killpg(int(pid), signal.SIGTERM)


def start(folder: Path, spec: dict[str, Any], settings: AppSettings) -> Job:
    """Start the worker on ``spec`` in ``folder`` (unless it runs or finished already)."""
    job = Job(folder)
    if job.status()["state"] in (RUNNING, DONE):
        return job
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CANCEL_ASKED).unlink(missing_ok=True)
    (folder / "job.json").write_text(json.dumps(spec, indent=2, default=str), encoding="utf-8")
    (folder / "progress.json").write_text(
        json.dumps({"state": RUNNING, "done": 0, "total": 0, "stage": "starting", "pid": None})
    )
    environment = {**os.environ, **settings.to_environment(), "ZENGSHOU_PROGRESS": "0"}
    log = (folder / "worker.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "zengshou.app.worker", str(folder)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,  # its own process group: cancel reaches its workers too
        cwd=project_root(),
    )
    log.close()
    _write_progress(folder, state=RUNNING, done=0, total=0, stage="starting", pid=process.pid)
    return job


def wait(job: Job, timeout: float, every: float = 0.2) -> dict[str, Any]:
    """Poll ``job`` until it is no longer running or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        status = job.status()
        if status["state"] != RUNNING or time.monotonic() > deadline:
            return status
        time.sleep(every)


def _write_progress(folder: Path, **status: Any) -> None:
    """Replace ``progress.json`` whole (a reader never sees half a file)."""
    partial = folder / f".progress.{os.getpid()}.json"
    partial.write_text(json.dumps(status), encoding="utf-8")
    partial.replace(folder / "progress.json")


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid: Any) -> bool:
    if not pid:
        return True  # starting: the pid is written right after the process starts
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, PermissionError, ValueError):
        return False
    # A finished child of this process stays a zombie until reaped: not alive.
    try:
        finished, _ = os.waitpid(int(pid), os.WNOHANG)
        return finished == 0
    except ChildProcessError:  # not our child (started by an earlier app): it exists
        return True


__all__ = [
    "CANCELLED",
    "DONE",
    "FAILED",
    "RUNNING",
    "Job",
    "RunSize",
    "run_key",
    "scenario_hash",
    "simulation_fingerprint",
    "start",
    "wait",
]

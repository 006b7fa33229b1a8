"""kill -9 and SIGTERM on real ``zengshou`` processes: outputs whole or absent, no run RUNNING.

Each process is stopped at a point of its record: ``simulate run`` while it writes its output
folder and once its MLflow run is open, ``risk train`` while it logs its run and (SIGTERM)
while it logs its model. Afterwards the output folder is the previous complete one, its files
exactly those its manifest lists, from a run MLflow holds as FINISHED; what a killed process
left is hidden and named after it; a terminated run is KILLED at once, and the next process
that opens the store marks the runs of killed processes KILLED, saying why.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType

from forecast.outputs import MANIFEST
from forecast.provenance import file_fingerprint
from forecast.synthetic import synthesize_panel
from forecast.tracking import END_REASON_TAG, PID_TAG

ROOT = Path(__file__).resolve().parents[1]
ZENGSHOU = Path(sys.executable).parent / "zengshou"
SIMULATE = ["simulate", "run", ROOT / "scenarios" / "action_plan.yaml", "--households", "300"]
SIMULATE += ["--replications", "1", "--attribution-replications", "0"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> dict:
    """A store of these tests, created before the processes start (they would race to)."""
    db = tmp_path_factory.mktemp("store") / "mlflow.db"
    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_experiments()  # creates the database
    return {"db": db, "client": client, "env": os.environ | {"MLFLOW_TRACKING_URI": uri}}


def start(args, store, log: Path) -> subprocess.Popen:
    with open(log, "wb") as handle:
        return subprocess.Popen(
            [ZENGSHOU, *map(str, args)], env=store["env"], stdout=handle, stderr=subprocess.STDOUT
        )


def signal_when(*points: tuple[subprocess.Popen, Callable[[], bool], int]) -> None:
    """For each (process, reached, signal), send the signal as soon as ``reached()``: all
    watched at once, so that none passes its point unseen."""
    pending, deadline = list(points), time.monotonic() + 600
    while pending:
        for point in list(pending):
            process, reached, sig = point
            if reached():
                process.send_signal(sig)
                pending.remove(point)
            else:
                assert process.poll() is None, f"process {process.pid} ended before its point"
        assert time.monotonic() < deadline, "a process never reached its point"
        time.sleep(0.005)


def run_of(store, pid: int) -> str | None:
    """The id of the MLflow run process ``pid`` opened (its pid tag), if any yet."""
    if not store["db"].exists():
        return None
    try:
        with sqlite3.connect(f"{store['db'].as_uri()}?mode=ro", uri=True, timeout=5) as db:
            found = db.execute(
                "SELECT run_uuid FROM tags WHERE key = ? AND value = ?", (PID_TAG, str(pid))
            ).fetchone()
    except sqlite3.OperationalError:  # the store is being created
        return None
    return found[0] if found else None


def assert_complete(out: Path, client: MlflowClient, downloads: Path) -> str:
    """The folder holds exactly its manifest's files, from a FINISHED run; return the run."""
    manifest = json.loads((out / MANIFEST).read_text())
    held = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {MANIFEST}
    assert held == set(manifest["files"])
    for name, digest in manifest["files"].items():
        assert file_fingerprint(out / name) == digest, f"{name} is from another run"
    run = client.get_run(manifest["run_id"])
    assert run.info.status == "FINISHED"
    downloads.mkdir(exist_ok=True)
    logged = client.download_artifacts(run.info.run_id, MANIFEST, str(downloads))
    assert json.loads(Path(logged).read_text()) == manifest  # the record names these files
    return manifest["run_id"]


def test_simulate_run_killed_at_each_point_leaves_a_complete_folder_or_none(store, tmp_path):
    client, downloads = store["client"], tmp_path / "downloads"
    out = tmp_path / "outputs" / "run"
    runs = {seed: [*SIMULATE, "--seed", str(seed), "--out", out] for seed in (1, 2, 3)}
    previous = start(runs[1], store, tmp_path / "previous.log")
    writing = start(runs[2], store, tmp_path / "writing.log")
    recording = start(runs[3], store, tmp_path / "recording.log")

    # Killed with its run open in MLflow; held (SIGSTOP, no lock held then) while writing its
    # folder, to be killed once the previous run's folder is complete.
    signal_when(
        (recording, lambda: run_of(store, recording.pid) is not None, signal.SIGKILL),
        (writing, lambda: bool(_staging(out, writing)), signal.SIGSTOP),
    )
    assert previous.wait(timeout=600) == 0, (tmp_path / "previous.log").read_text()
    first = assert_complete(out, client, downloads)
    writing.send_signal(signal.SIGKILL)
    assert writing.wait(timeout=60) == -signal.SIGKILL
    assert recording.wait(timeout=60) == -signal.SIGKILL

    assert assert_complete(out, client, downloads) == first  # never mixed with the killed
    for left in out.parent.iterdir():  # what the killed left: hidden, named after them
        if left.name != "run":
            assert left.name.startswith(".run.tmp-"), left.name
            assert int(left.name.split("-")[1]) in (writing.pid, recording.pid)

    killed_run = run_of(store, recording.pid)
    assert client.get_run(killed_run).info.status == "RUNNING"  # until the next start-up
    swept = subprocess.run(
        [ZENGSHOU, "store", "sweep"], env=store["env"], capture_output=True, text=True
    )
    assert swept.returncode == 0 and killed_run in swept.stdout, swept.stdout + swept.stderr
    _assert_nothing_running(client)
    run = client.get_run(killed_run)
    assert run.info.status == "KILLED"
    assert f"process {recording.pid}" in run.data.tags[END_REASON_TAG]
    assert "kill -9" in run.data.tags[END_REASON_TAG]


def _staging(out: Path, process) -> list[Path]:
    return list(out.parent.glob(f".{out.name}.tmp-{process.pid}-*"))


def test_risk_train_killed_or_terminated_leaves_no_run_running(store, tmp_path):
    client = store["client"]
    panel = tmp_path / "panel.parquet"
    synthesize_panel(800, seed=3, as_of=2022).to_parquet(panel)
    train = ["risk", "train", "--panel", panel]
    killed = start(train, store, tmp_path / "killed.log")
    terminated = start(train, store, tmp_path / "terminated.log")

    def evaluation_logged() -> bool:
        run = run_of(store, killed.pid)
        return run is not None and bool(list(store["db"].parent.glob(f"artifacts/{run}/**/*.csv")))

    def model_being_logged() -> bool:
        run = run_of(store, terminated.pid)
        return run is not None and _logged_model(store, run)

    signal_when(
        (killed, evaluation_logged, signal.SIGKILL),
        (terminated, model_being_logged, signal.SIGTERM),
    )
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert terminated.wait(timeout=120) == 128 + signal.SIGTERM
    assert "Interrupted (SIGTERM)" in (tmp_path / "terminated.log").read_text()
    interrupted = client.get_run(run_of(store, terminated.pid))
    assert interrupted.info.status == "KILLED"  # at once, by the process itself
    assert "interrupted" in interrupted.data.tags[END_REASON_TAG]
    assert client.get_run(run_of(store, killed.pid)).info.status == "RUNNING"

    # the next process that opens the store (any command) sweeps it at start-up
    subprocess.run([ZENGSHOU, "risk", "describe"], env=store["env"], capture_output=True)
    _assert_nothing_running(client)
    swept = client.get_run(run_of(store, killed.pid))
    assert swept.info.status == "KILLED"
    assert f"process {killed.pid}" in swept.data.tags[END_REASON_TAG]


def _logged_model(store, run_id: str) -> bool:
    """Whether the run has begun to log its model (MLflow 3 records it first)."""
    with sqlite3.connect(f"{store['db'].as_uri()}?mode=ro", uri=True, timeout=5) as db:
        found = db.execute(
            "SELECT model_id FROM logged_models WHERE source_run_id = ?", (run_id,)
        ).fetchone()
    return found is not None


def _assert_nothing_running(client: MlflowClient) -> None:
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    running = client.search_runs(experiments, "attributes.status = 'RUNNING'")
    assert not running, [r.info.run_id for r in running]

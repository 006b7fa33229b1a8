"""A copied or moved project never writes into the original's MLflow artifacts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from forecast import tracking

ROOT = Path(__file__).resolve().parents[2]
ZENGSHOU = Path(sys.executable).parent / "zengshou"


def _record(tmp_path: Path, name: str) -> str:
    """A real simulation run record, with a file artifact, in the current project's store."""
    note = tmp_path / f"{name}.txt"
    note.write_text(name)
    return tracking.log_simulation_run(
        "store-location", name, [note], {"seed": 1}, [1], None, {"x": 1.0}, artifacts=[note]
    )


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def test_a_copied_project_is_refused_until_relocated_then_writes_into_itself(
    tmp_path, monkeypatch
) -> None:
    original, copy = tmp_path / "original", tmp_path / "copy"
    shutil.copytree(ROOT / "data", original / "data", ignore=shutil.ignore_patterns("generated"))
    session_store = os.environ["MLFLOW_TRACKING_URI"]
    try:
        _copy_and_use(tmp_path, monkeypatch, original, copy)
    finally:
        mlflow.set_tracking_uri(session_store)  # MLflow keeps the last URI set, process-wide


def _copy_and_use(tmp_path, monkeypatch, original: Path, copy: Path) -> None:
    def use(project: Path) -> None:
        # mlflow.set_tracking_uri also sets MLFLOW_TRACKING_URI: drop it, so that the store
        # is the project's own, mlruns/ at its root
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        monkeypatch.setenv("ZENGSHOU_HOME", str(project))

    use(original)
    first = _record(tmp_path, "original")
    artifacts = original / "mlruns" / "artifacts"
    assert (artifacts / first).is_dir()
    shutil.copytree(original, copy)
    before = _files(original)

    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["ZENGSHOU_HOME"] = str(copy)
    refused = subprocess.run(
        [ZENGSHOU, "forecast", "targets"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    for named in (copy / "mlruns" / "mlflow.db", artifacts, "zengshou store relocate"):
        assert str(named) in refused.stderr
    assert _files(original) == before

    relocated = subprocess.run(
        [ZENGSHOU, "store", "relocate"], env=env, capture_output=True, text=True
    )
    assert relocated.returncode == 0, relocated.stderr
    assert f"moved from {artifacts} to {copy / 'mlruns' / 'artifacts'}" in relocated.stdout

    use(copy)
    second = _record(tmp_path, "copy")
    uri = tracking.tracking_uri()
    client = MlflowClient(tracking_uri=uri)
    own = (copy / "mlruns" / "artifacts").as_uri()
    for run_id in (first, second):  # the copied run's artifacts too are read from the copy
        assert client.get_run(run_id).info.artifact_uri.startswith(own)
        assert client.list_artifacts(run_id, "scenario")
    assert (copy / "mlruns" / "artifacts" / second).is_dir()
    assert _files(original) == before  # nothing written into the original

    use(original)  # the original is still its own
    tracking.check_store_location()

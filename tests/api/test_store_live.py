"""Issue 17, items 3, 4 and 6, with a real ``zengshou serve`` and a real MLflow store.

A neighbour sending wrong keys cannot lock out a valid key, also behind a trusted proxy; the
service follows its store when the file is restored from a backup or moved, and neither
``risk promote`` nor the service accepts a version whose registration did not finish or
whose model files are gone.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from api_fakes import register_copy, running_server
from click.testing import CliRunner
from mlflow import MlflowClient

from api.routers.scores import request_example
from api.security import create_key
from forecast import tracking
from forecast.synthetic import synthesize_panel
from zengshou.cli import main
from zengshou.workflows import train_and_register

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NAME = "household-risk"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """household-risk v1 registered in a store, `zengshou serve` trusting 127.0.0.1 as proxy."""
    work = tmp_path_factory.mktemp("store-live")
    store = work / "store" / "mlflow.db"
    uri = f"sqlite:///{store}"
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", uri)
    panel = synthesize_panel(300, seed=5, as_of=2022)
    assert train_and_register(panel, random_state=0)["version"] == "1"
    keys_file = work / "api_keys.json"
    keys = {scope: create_key(keys_file, scope)[0] for scope in ("score", "admin")}
    env = os.environ | {
        "MLFLOW_TRACKING_URI": uri,
        "ZENGSHOU_API_KEYS_FILE": str(keys_file),
        "ZENGSHOU_AUTH_FAILURE_LIMIT": "10",
        "ZENGSHOU_AUTH_FAILURE_WINDOW_SECONDS": "600",
    }
    log = work / "server.log"
    try:
        with running_server(env, log, "--forwarded-allow-ips", "127.0.0.1") as base:
            with httpx.Client(base_url=base, timeout=30) as http:
                yield {"http": http, "keys": keys, "store": store, "work": work, "log": log}
    finally:
        patch.undo()


def score(live, headers: dict) -> httpx.Response:
    return live["http"].post("/v1/risk-scores", json=request_example(), headers=headers)


def test_a_neighbour_sending_wrong_keys_never_locks_out_a_valid_key(live):
    """Issue 17: one sender of 5 wrong keys a second left a valid client on the same address
    7 successes of 60 calls."""
    valid = {"X-API-Key": live["keys"]["score"]}
    answers = []
    for call in range(60):
        for n in range(5):
            wrong = score(live, {"X-API-Key": f"zs_neighbour-{call}-{n}"})
            assert wrong.status_code in (401, 429)
        answers.append(score(live, valid).status_code)
    assert answers == [200] * 60
    assert score(live, {"X-API-Key": "zs_neighbour-again"}).status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(live):
    def sent_by(address: str, key: str) -> int:
        return score(live, {"X-API-Key": key, "X-Forwarded-For": address}).status_code

    assert [sent_by("198.51.100.1", f"zs_guess-{n}") for n in range(10)] == [401] * 10
    assert sent_by("198.51.100.1", "zs_guess-10") == 429
    assert sent_by("198.51.100.2", "zs_other-client") == 401
    assert sent_by("198.51.100.1", live["keys"]["score"]) == 200


def reload(live) -> httpx.Response:
    return live["http"].post("/v1/admin/reload", headers={"X-API-Key": live["keys"]["admin"]})


def test_the_service_follows_its_store_when_restored_or_moved(live, monkeypatch):
    """Issue 17: after the store was moved or restored, reload answered "unchanged" or 502
    until restart."""
    store, work = live["store"], live["work"]
    assert "serving household-risk version 1" in live["log"].read_text()

    # Restore a backup in which champion points at version 2.
    backup = work / "backup.db"
    shutil.copy2(store, backup)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{backup}")
    tracking.reopen_store()
    version_2 = register_copy(NAME, "1")
    tracking.set_risk_alias(version_2)
    os.replace(backup, store)
    swapped = reload(live)
    assert swapped.status_code == 200, swapped.text
    assert swapped.json() == {"previous_version": "1", "version": version_2, "swapped": True}
    time.sleep(0.3)  # let the server flush its log
    assert f"reload swapped household-risk version 1 for version {version_2}" in (
        live["log"].read_text()
    )

    # Move the store away: reload fails saying why, version 2 keeps serving, nothing is created.
    moved = work / "moved.db"
    os.replace(store, moved)
    failed = reload(live)
    assert failed.status_code == 502 and failed.json()["error"]["code"] == "reload_failed"
    ready = live["http"].get("/health/ready").json()
    assert ready["model"]["version"] == version_2
    assert "the MLflow store does not exist" in ready["last_reload_problem"]
    assert not store.exists()
    os.replace(moved, store)
    back = reload(live)
    assert back.status_code == 200 and back.json()["swapped"] is False
    assert live["http"].get("/health/ready").json()["last_reload_problem"] is None


def test_promote_and_the_service_refuse_incomplete_versions(live, monkeypatch):
    """Issue 17: a registration killed half-way left versions with 0 or 6 of 14 tags, and
    `risk promote` accepted them, or a version whose artifacts were gone; the service then
    served it or never became ready."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{live['store']}")
    tracking.reopen_store()
    runner = CliRunner()

    unfinished = register_copy(NAME, "1", tags=False)
    refused = runner.invoke(main, ["risk", "promote", unfinished])
    assert refused.exit_code != 0
    assert f"version {unfinished} cannot be promoted: tags missing: trained_at" in refused.output

    client = MlflowClient()
    model_dir = Path(urlparse(client.get_model_version_download_uri(NAME, "1")).path)
    copy = live["work"] / "model-copy"
    shutil.copytree(model_dir, copy)
    gone = register_copy(NAME, "1", source=copy.as_uri())
    assert runner.invoke(main, ["risk", "promote", gone]).exit_code == 0
    shutil.rmtree(copy)
    refused = runner.invoke(main, ["risk", "promote", gone])
    assert refused.exit_code != 0
    assert "model files missing: MLmodel, logged_model.py" in refused.output

    serving = live["http"].get("/health/ready").json()["model"]["version"]
    failed = reload(live)  # the alias points at `gone` since its successful promotion
    assert failed.status_code == 502
    ready = live["http"].get("/health/ready").json()
    assert ready["model"]["version"] == serving
    assert f"version {gone} (alias 'champion') is incomplete" in ready["last_reload_problem"]
    assert "model files missing" in ready["last_reload_problem"]
    tracking.set_risk_alias(serving)

"""The real thing: a model trained and registered in a temporary MLflow store, ``zengshou
serve`` in a subprocess under uvicorn, called over HTTP on loopback.

Covers: keys made by ``zengshou api-key create``, scores equal to the registered pyfunc's own
``predict``, batch = singles, a reload under concurrent load with no non-2xx answer, a failed
reload that keeps the old model serving, a canary id that never reaches the server's log or
metrics, and a bounded schemathesis run (its CLI) against the live OpenAPI document.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import Counter

import httpx
import mlflow
import pandas as pd
import pytest
from api_fakes import BIN, register_copy, running_server

from api.registry import alias_version
from api.settings import Settings
from forecast import tracking
from forecast.risk.reasons import reason_text
from forecast.synthetic import synthesize_panel
from zengshou.workflows import train_and_register

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CANARY = "CANARY-live-5d1e0b7a"
N_HOUSEHOLDS = 500


def households_payload(panel: pd.DataFrame, ids, rename: dict | None = None) -> dict:
    """Request body for ``ids``: their three latest years, as a monitoring system sends them."""
    rows = panel[panel["household_id"].isin(ids) & (panel["year"] >= 2020)]
    rows = rows.drop(columns=["net_income_per_capita", "weight"])
    households: dict[str, list] = {}
    for record in json.loads(rows.to_json(orient="records")):
        households.setdefault(record.pop("household_id"), []).append(record)
    rename = rename or {}
    return {
        "households": [{"household_id": rename.get(i, i), "history": households[i]} for i in ids]
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Train and register household-risk v1, create keys, start ``zengshou serve``."""
    work = tmp_path_factory.mktemp("live-service")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", uri)

    panel = synthesize_panel(N_HOUSEHOLDS, seed=5, as_of=2022)
    assert train_and_register(panel, random_state=0)["version"] == "1"

    env = os.environ | {
        "MLFLOW_TRACKING_URI": uri,
        "ZENGSHOU_API_KEYS_FILE": str(work / "api_keys.json"),
        "ZENGSHOU_DOCS_ENABLED": "true",
        "ZENGSHOU_RATE_LIMIT_PER_SECOND": "100000",
        "ZENGSHOU_RATE_LIMIT_BURST": "100000",
        "ZENGSHOU_AUTH_FAILURE_LIMIT": "100000",  # schemathesis sends many wrong keys
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    keys = {}
    for scope in ("score", "admin"):
        created = subprocess.run(
            [BIN / "zengshou", "api-key", "create", "--scope", scope],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        keys[scope] = created.stdout.strip()
        assert keys[scope].startswith("zs_") and keys[scope] not in created.stderr
    assert keys["score"] not in (work / "api_keys.json").read_text()

    log = work / "server.log"
    try:
        with running_server(env, log) as base:
            yield {"base": base, "keys": keys, "panel": panel, "log": log, "env": env, "uri": uri}
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def http(live):
    with httpx.Client(base_url=live["base"], timeout=30) as client:
        yield client


def test_live_service_scores_exactly_like_the_registered_pyfunc(live, http):
    score_key = {"X-API-Key": live["keys"]["score"]}
    assert http.get("/health/live").json() == {"status": "ok"}
    info = http.get("/v1/model", headers=score_key).json()
    assert (info["name"], info["version"], info["alias"]) == ("household-risk", "1", "champion")
    assert 0.5 < info["metrics"]["auc"] <= 1 and info["training_date"] and info["line_version"]

    panel = live["panel"]
    ids = panel["household_id"].unique()[:25].tolist()
    response = http.post("/v1/risk-scores", json=households_payload(panel, ids), headers=score_key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["version"] == "1" and body["line_version"] == info["line_version"]

    assert alias_version(Settings()) == "1"
    tracking.configure()
    pyfunc = mlflow.pyfunc.load_model("models:/household-risk@champion")
    rows = panel[panel["household_id"].isin(ids) & (panel["year"] >= 2020)]
    expected = pyfunc.predict(rows.reset_index(drop=True))
    served = pd.DataFrame(body["scores"])
    assert served["household_id"].tolist() == expected["household_id"].tolist()
    assert served["probability"].tolist() == pytest.approx(expected["probability"], abs=1e-12)
    assert served["band"].tolist() == expected["band"].tolist()
    assert served["reasons"].tolist() == [list(r) for r in expected["reasons"]]
    chinese = http.post(
        "/v1/risk-scores?lang=zh", json=households_payload(panel, ids), headers=score_key
    ).json()["scores"]
    said = [[reason_text(d, "zh") for d in listed] for listed in expected["reason_details"]]
    assert [s["reasons"] for s in chinese] == said and any(said)
    assert [s["reason_codes"] for s in chinese] == served["reason_codes"].tolist()

    singles = [
        http.post("/v1/risk-scores", json=households_payload(panel, [i]), headers=score_key).json()[
            "scores"
        ][0]
        for i in ids[:5]
    ]
    assert singles == body["scores"][:5]
    assert http.post("/v1/risk-scores", json=households_payload(panel, ids[:1])).status_code == 401


def test_reload_under_concurrent_load_has_no_failed_request(live, http):
    tracking.configure()
    client = mlflow.MlflowClient()
    version_2 = register_copy("household-risk", "1")
    tracking.set_risk_alias(version_2)

    payload = households_payload(live["panel"], live["panel"]["household_id"].unique()[:1])
    score_key = {"X-API-Key": live["keys"]["score"]}
    statuses: Counter = Counter()
    answered: list[tuple[float, str]] = []  # (when the request was sent, version answering)
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=live["base"], timeout=30) as client:
            while not stop.is_set():
                sent = time.monotonic()
                answer = client.post("/v1/risk-scores", json=payload, headers=score_key)
                statuses[answer.status_code] += 1
                if answer.status_code == 200:
                    answered.append((sent, answer.json()["model"]["version"]))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    reload_sent = time.monotonic()
    reload = http.post("/v1/admin/reload", headers={"X-API-Key": live["keys"]["admin"]})
    reload_done = time.monotonic()
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()

    assert reload.status_code == 200, reload.text
    assert reload.json() == {"previous_version": "1", "version": str(version_2), "swapped": True}
    assert set(statuses) == {200}, statuses
    before = {version for sent, version in answered if sent < reload_sent}
    after = {version for sent, version in answered if sent > reload_done}
    assert before == {"1"} and after == {str(version_2)}  # swapped, and never back
    print(
        f"reload under load: {sum(statuses.values())} requests from 8 threads, "
        f"statuses {dict(statuses)}, reload took {reload_done - reload_sent:.2f}s"
    )

    # A version whose artifacts are gone cannot be promoted, nor load if the alias is moved
    # to it by hand: the served version stays.
    broken = register_copy("household-risk", "1", source="file:///nonexistent/model")
    with pytest.raises(ValueError, match="model files missing: MLmodel"):
        tracking.set_risk_alias(broken)
    client.set_registered_model_alias("household-risk", "champion", broken)
    failed = http.post("/v1/admin/reload", headers={"X-API-Key": live["keys"]["admin"]})
    assert failed.status_code == 502 and failed.json()["error"]["code"] == "reload_failed"
    answer = http.post("/v1/risk-scores", json=payload, headers=score_key)
    assert answer.status_code == 200 and answer.json()["model"]["version"] == str(version_2)
    tracking.set_risk_alias(version_2)


def test_canary_id_reaches_neither_log_nor_metrics(live, http):
    panel = live["panel"]
    first = panel["household_id"].unique()[:1].tolist()
    payload = households_payload(panel, first, rename={first[0]: CANARY})
    score_key = {"X-API-Key": live["keys"]["score"]}
    assert http.post("/v1/risk-scores", json=payload, headers=score_key).status_code == 200
    broken = json.loads(json.dumps(payload))
    broken["households"][0]["history"][0]["members"] = 0
    assert http.post("/v1/risk-scores", json=broken, headers=score_key).status_code == 422
    assert http.post("/v1/risk-scores", json=payload).status_code == 401
    repeated = {"households": payload["households"] * 2}
    assert http.post("/v1/risk-scores", json=repeated, headers=score_key).status_code == 422
    # In the URL: uvicorn's access log writes paths and query strings unless filtered.
    described = http.get(f"/v1/model?household_id={CANARY}", headers=score_key)
    assert described.status_code == 200 and CANARY not in described.text
    unknown = http.get(f"/v1/households/{CANARY}?household_id={CANARY}", headers=score_key)
    assert unknown.status_code == 404 and CANARY not in unknown.text
    scored = http.post(f"/v1/risk-scores?household_id={CANARY}", json=broken, headers=score_key)
    assert scored.status_code == 422 and CANARY not in scored.text
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    with httpx.Client(base_url=live["base"], timeout=10) as fresh:  # the upgrade ends it
        assert fresh.get(f"/ws/{CANARY}?id={CANARY}", headers=upgrade).status_code == 404
    metrics = http.get("/metrics").text
    assert 'route="/v1/risk-scores",status="200"' in metrics
    time.sleep(0.5)  # let the server flush its log
    assert CANARY not in metrics
    log = live["log"].read_text(errors="replace")
    assert CANARY not in log
    assert '"GET /v1/model HTTP/1.1" 200' in log and '"GET <unmatched> HTTP/1.1" 404' in log


def test_schemathesis_finds_no_server_error_on_the_live_service(live, tmp_path):
    """Bounded: 30 examples per operation, positive and negative data, every default check."""
    run = subprocess.run(
        [
            BIN / "schemathesis",
            "run",
            f"{live['base']}/openapi.json",
            "--header",
            f"X-API-Key: {live['keys']['admin']}",
            "--max-examples",
            "30",
            "--exclude-checks",
            "positive_data_acceptance",
            "--generation-deterministic",
            "--phases",
            "examples,coverage,fuzzing",
            "--exclude-path",
            "/v1/admin/reload",
        ],
        env=live["env"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    summary = run.stdout[-6000:]
    print(summary)
    assert run.returncode == 0, summary

"""Helpers of the service tests: a fake risk model with the pyfunc's contract, keys, payloads."""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from api.model import FRAME_DTYPES, SMOKE_HOUSEHOLDS, ServedModel
from api.security import hash_key
from api.settings import Settings
from forecast.risk.reasons import reason_text

LINE_YUAN = 7000.0


class FakeRiskModel:
    """Scores each household from its last year alone, so batches equal single calls.

    Checks its input like a real model would: every column present in the panel dtypes.
    """

    def __init__(self, offset: float = 0.0, fail: bool = False) -> None:
        self.offset = offset
        self.fail = fail
        self.calls = 0
        self.frames: list[pd.DataFrame] = []

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.calls += 1
        self.frames.append(frame)
        if self.fail:
            raise ValueError(f"broken model saw {frame['household_id'].iloc[0]}")
        if not frame["year"].between(2010, 2034).all():  # its "monitoring line" ends in 2035
            raise ValueError("no monitoring line for that year")
        for name, dtype in FRAME_DTYPES.items():
            assert frame[name].dtype == dtype, (name, frame[name].dtype)
        last = frame.groupby("household_id", sort=False).tail(1)
        income = (
            last[["wage_income", "operating_income", "property_income", "transfer_income"]].sum(
                axis=1
            )
            / last["members"].to_numpy()
        )
        logit = (LINE_YUAN * 1.3 - income.to_numpy()) / 2000.0 + self.offset
        probability = 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
        band = np.where(probability >= 0.5, "high", np.where(probability >= 0.2, "medium", "low"))
        near = {"code": "min_income_to_line", "key": "risk.reason.close_to_line", "fields": {}}
        details = [[near] if p >= 0.2 else [] for p in probability]
        reasons = [[reason_text(d) for d in listed] for listed in details]
        return pd.DataFrame(
            {
                "household_id": last["household_id"].to_numpy(),
                "score_year": last["year"].to_numpy() + 1,
                "probability": probability,
                "band": band,
                "flag": probability >= 0.5,
                "reasons": reasons,
                "line_yuan": LINE_YUAN,
                "line_version": "fake-line-1",
                "reason_details": details,
            }
        )


def fake_served(version: str = "1", model: FakeRiskModel | None = None) -> ServedModel:
    """Wrap a fake model as the service sees a loaded one."""
    model = model or FakeRiskModel()
    return ServedModel(
        name="household-risk",
        version=version,
        alias="champion",
        predict=model.predict,
        run_id="fake-run",
        training_date="2026-11-30T00:00:00+00:00",
        metrics={"roc_auc": 0.8},
        last_years=(2010, 2034),
    )


SCORE_KEY = "zs_score-key-for-tests-only-0000000000000"
SECOND_SCORE_KEY = "zs_second-score-key-for-tests-only-111111"
ADMIN_KEY = "zs_admin-key-for-tests-only-22222222222222"


class IsolatedSettings(Settings):
    """Settings that read only their arguments, never ``ZENGSHOU_*`` variables."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **sources):
        return (init_settings,)


def settings_for_tests(tmp_path: Path, **overrides) -> Settings:
    """Settings independent of the environment: two score keys and one admin key."""
    values = {
        "api_keys_file": tmp_path / "api_keys.json",
        "api_key_hashes": ",".join(
            [
                f"score:{hash_key(SCORE_KEY)}",
                f"score:{hash_key(SECOND_SCORE_KEY)}",
                f"admin:{hash_key(ADMIN_KEY)}",
            ]
        ),
        "docs_enabled": True,
        "rate_limit_per_second": 1000.0,
        "rate_limit_burst": 1000,
        "auth_failure_limit": 1000,  # schemathesis sends many wrong keys from one address
        "load_retry_seconds": 0.05,
        "gc_freeze": False,  # the test process is shared: leave its collector alone
    } | overrides
    return IsolatedSettings(**values)


def wait_ready(client: TestClient, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "model never became ready"
        time.sleep(0.01)


def household(household_id: str = "hh-1", variant: int = 0, years: int = 3) -> dict:
    """A valid household payload; ``variant`` changes its incomes."""
    base = copy.deepcopy(SMOKE_HOUSEHOLDS[variant % 2])
    base["household_id"] = household_id
    for row in base["history"]:
        row["wage_income"] = float(row["wage_income"] + 1000 * variant)
    base["history"] = base["history"][-years:]
    return base


AUTH = {"X-API-Key": SCORE_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}


# --- a real `zengshou serve` in a subprocess ------------------------------------------------

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(
    env: dict[str, str], log: Path, *options: str, ready: bool = True, timeout: float = 90
) -> Iterator[str]:
    """Run ``zengshou serve`` on a free loopback port; yield its base URL, stop it after.

    Waits until ``/health/ready`` answers 200 (``ready``) or ``/health/live`` does.
    """
    port = free_port()
    env = env | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log, "wb") as handle:
        server = subprocess.Popen(
            [BIN / "zengshou", "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    probe_path = "/health/ready" if ready else "/health/live"
    try:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=base, timeout=5) as probe:
            while True:
                assert server.poll() is None, log.read_text()[-3000:]
                try:
                    if probe.get(probe_path).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def register_copy(name: str, version: str, source: str | None = None, tags: bool = True) -> str:
    """Register another version of ``name`` from ``version``'s model (or ``source``).

    With ``tags``, the copy gets every tag of the original, ``validated`` included: a
    complete version, as a finished registration leaves it. Returns the new version.
    """
    from mlflow import MlflowClient

    from forecast import tracking

    tracking.configure()  # the store MLFLOW_TRACKING_URI names now
    client = MlflowClient()
    original = client.get_model_version(name, version)
    copied = client.create_model_version(name, source or original.source, run_id=original.run_id)
    for key, value in (original.tags if tags else {}).items():
        client.set_model_version_tag(name, copied.version, key, value)
    return str(copied.version)

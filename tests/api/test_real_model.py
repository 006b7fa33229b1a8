"""The service in front of a real (tiny) ``forecast.risk.RiskModel``, no MLflow needed.

The fake model of the other tests accepts anything the schema does; the real one refuses
histories it cannot score (a year its monitoring line does not cover), and those must come back
as a documented 422 naming the field, never as a 500.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from api_fakes import ADMIN_KEY, AUTH, household, settings_for_tests, wait_ready
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from api.main import create_app
from api.model import ServedModel
from forecast.risk import train_risk_model
from forecast.synthetic import synthesize_panel


@pytest.fixture(scope="module")
def real_model():
    model, _ = train_risk_model(synthesize_panel(300, seed=3, as_of=2022), compare=False)
    return model


def real_served(model, last_years: tuple[int, int] | None = None) -> ServedModel:
    return ServedModel(
        name="household-risk",
        version="1",
        alias="champion",
        predict=model.score,
        line_version=model.line_.version,
        last_years=last_years,  # None: no range check before the model, which must refuse
    )


INTEGER_FIELDS = ("year", "members", "labour_force", "head_age")


def accept(row: dict, year: int) -> None:
    """Make a generated history row one the service takes (see the schemathesis test)."""
    row["year"] = year
    for name in INTEGER_FIELDS:
        if isinstance(row.get(name), float) and row[name].is_integer():
            row[name] = int(row[name])
    members, labour = row.get("members"), row.get("labour_force")
    if isinstance(members, int) and isinstance(labour, int) and labour > members:
        row["labour_force"] = members


@pytest.fixture(scope="module")
def real_app(real_model, tmp_path_factory):
    app = create_app(
        load_model=lambda s: real_served(real_model),
        settings=settings_for_tests(tmp_path_factory.mktemp("real-model")),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client, timeout=30)
        yield app, client


def test_a_year_the_models_line_lacks_is_a_422_naming_the_year(real_app, real_model):
    _, client = real_app
    late = household("hh-late")
    last = real_model.line_.last_year  # the model needs the line of the latest year + 1
    for offset, row in enumerate(late["history"]):
        row["year"] = last - len(late["history"]) + 1 + offset
    response = client.post(
        "/v1/risk-scores", json={"households": [household(), late]}, headers=AUTH
    )
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["body", "households", 1, "history", 2, "year"]
    assert detail["type"] == "model_rejected_input"
    assert str(last + 1) not in response.text  # the model's message (quoting values) withheld


def test_the_real_model_scores_and_batches_equal_singles(real_app):
    _, client = real_app
    batch = [household(f"hh-{n}", variant=n) for n in range(4)]
    together = client.post("/v1/risk-scores", json={"households": batch}, headers=AUTH)
    assert together.status_code == 200, together.text
    singles = [
        client.post("/v1/risk-scores", json={"households": [h]}, headers=AUTH).json()["scores"][0]
        for h in batch
    ]
    assert together.json()["scores"] == singles


def test_schemathesis_finds_no_server_error_with_the_real_model(real_app, real_model):
    """Positive data only (negative data never reaches the model), 60 examples.

    Half the cases are nudged into what the service accepts: consecutive years the model's
    line covers, whole numbers as JSON integers (JSON Schema counts 2020.0 as an integer, the
    strict service does not), labour force at most members. The generated incomes, sizes and
    categories then reach the model's arithmetic, not only the checks before it.
    """
    app, _ = real_app
    last_year = real_model.line_.last_year - 1
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema["/v1/risk-scores"]["POST"]
    statuses: dict[int, int] = {}

    @given(case=operation.as_strategy(), in_range=st.booleans())
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case, in_range):
        if in_range and isinstance(case.body, dict):
            for entry in case.body.get("households") or []:
                history = entry.get("history") if isinstance(entry, dict) else None
                for i, row in enumerate(history or []):
                    if isinstance(row, dict):
                        accept(row, year=last_year - len(history) + 1 + i)
        case.headers = {"X-API-Key": ADMIN_KEY}  # not a generated key: reach the model
        # One running app for every case: a call without a session would start the app's
        # lifespan afresh, and land before its background model load (503 not_ready).
        # Keys are test_security's business; ignored_auth would count the fixed key as ignored.
        response = case.call_and_validate(
            session=client, excluded_checks=[positive_data_acceptance, ignored_auth]
        )
        assert response.status_code < 500, response.text
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    with get_client(app) as client:
        deadline = time.monotonic() + 30
        while client.get("/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "the real model never became ready"
            time.sleep(0.01)
        run()
    print(f"schemathesis with the real model: {statuses}")
    assert 200 in statuses, statuses

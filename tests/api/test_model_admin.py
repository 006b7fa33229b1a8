"""GET /v1/model, POST /v1/admin/reload (atomic swap), GET /metrics."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace

from api_fakes import ADMIN, AUTH, FakeRiskModel, fake_served, household

from api.model import ModelHolder, Scorer, smoke_years
from api.schemas import ROW_FIELDS, Household

RELOAD = "/v1/admin/reload"


class Registry:
    """Stands in for the MLflow alias: which version ``champion`` points at, and its model."""

    def __init__(self) -> None:
        self.version = "1"
        self.models = {"1": FakeRiskModel(), "2": FakeRiskModel(offset=3.0)}
        self.broken = False

    def load(self, settings):
        if self.broken:
            raise OSError("artifact store unreachable")
        return fake_served(self.version, self.models[self.version])


def score(client) -> dict:
    response = client.post("/v1/risk-scores", json={"households": [household()]}, headers=AUTH)
    assert response.status_code == 200
    return response.json()


def test_model_description_has_version_training_metrics_and_input_schema(client):
    info = client.get("/v1/model", headers=AUTH).json()
    assert (info["name"], info["version"], info["alias"]) == ("household-risk", "1", "champion")
    assert info["training_date"].startswith("2026-11-30") and info["metrics"] == {"roc_auc": 0.8}
    assert info["line_version"] == "fake-line-1"
    assert [f["name"] for f in info["input_schema"]] == ["household_id", *ROW_FIELDS]
    assert client.get("/v1/model").status_code == 401


def test_reload_swaps_to_the_alias_current_version(make_client):
    registry = Registry()
    client = make_client(loader=registry.load)
    before = score(client)
    assert client.post(RELOAD, headers=ADMIN).json() == {
        "previous_version": "1",
        "version": "1",
        "swapped": False,
    }
    registry.version = "2"
    assert client.post(RELOAD, headers=ADMIN).json() == {
        "previous_version": "1",
        "version": "2",
        "swapped": True,
    }
    after = score(client)
    assert after["model"]["version"] == "2"
    assert after["scores"][0]["probability"] > before["scores"][0]["probability"]
    assert client.get("/health/ready").json()["model"]["version"] == "2"
    metrics = client.get("/metrics").text
    assert (
        'zengshou_model_info{line_version="fake-line-1",name="household-risk",version="2"} 1.0'
        in metrics
    )
    assert 'version="1"' not in metrics
    assert 'zengshou_model_reloads_total{outcome="swapped"} 2.0' in metrics  # startup + reload


def test_watching_the_alias_reloads_when_it_moves(make_client):
    registry = Registry()
    client = make_client(
        loader=registry.load,
        alias_version=lambda settings: registry.version,
        watch_alias_seconds=0.02,
    )
    assert score(client)["model"]["version"] == "1"
    registry.version = "2"
    deadline = time.monotonic() + 5
    while score(client)["model"]["version"] != "2":
        assert time.monotonic() < deadline, "the watcher never reloaded"
        time.sleep(0.02)
    registry.broken, registry.version = True, "1"  # a failing load: version 2 keeps serving
    time.sleep(0.2)
    assert score(client)["model"]["version"] == "2"


def test_failed_load_keeps_the_old_model_serving(make_client):
    registry = Registry()
    client = make_client(loader=registry.load)
    registry.broken = True
    response = client.post(RELOAD, headers=ADMIN)
    assert response.status_code == 502 and response.json()["error"]["code"] == "reload_failed"
    assert score(client)["model"]["version"] == "1"
    assert 'zengshou_model_reloads_total{outcome="failed"} 1.0' in client.get("/metrics").text


def test_a_model_breaking_the_contract_is_refused_at_reload(make_client):
    class NotBatchSafe(FakeRiskModel):
        def predict(self, frame):  # depends on the other households: breaks the contract
            result = super().predict(frame)
            return result.assign(probability=result["probability"] / len(result))

    class OutOfRange(FakeRiskModel):
        def predict(self, frame):
            return super().predict(frame).assign(probability=1.5)

    for bad in (NotBatchSafe(), OutOfRange()):
        registry = Registry()
        client = make_client(loader=registry.load)
        registry.models["2"], registry.version = bad, "2"
        assert client.post(RELOAD, headers=ADMIN).status_code == 502
        assert score(client)["model"]["version"] == "1"


def test_a_request_in_flight_finishes_on_the_model_it_started_with():
    release = threading.Event()

    class Slow(FakeRiskModel):
        def predict(self, frame):
            release.wait(5)
            return super().predict(frame)

    models = {"1": fake_served("1", Slow()), "2": fake_served("2", FakeRiskModel(offset=3.0))}
    pointer = ["1"]
    holder = ModelHolder(lambda: models[pointer[0]])
    scorer = Scorer(max_batch_households=100)
    households = [Household.model_validate(household())]

    async def run():
        await holder.reload()
        release.set()  # let the smoke check through, then hold the next call
        release.clear()
        old = holder.current
        in_flight = asyncio.create_task(scorer.score(old, households))
        await asyncio.sleep(0.05)
        pointer[0] = "2"
        await holder.reload()
        fresh = asyncio.create_task(scorer.score(holder.current, households))
        release.set()
        return await in_flight, await fresh, holder.current.version

    release.set()
    (old_scores, _), (new_scores, _), version = asyncio.run(run())
    scorer.close()
    expected_old = (
        FakeRiskModel()
        .predict(__import__("api.model", fromlist=["build_frame"]).build_frame([households]))[
            "probability"
        ]
        .iloc[0]
    )
    assert version == "2"
    assert old_scores[0]["probability"] == expected_old
    assert new_scores[0]["probability"] > old_scores[0]["probability"]


def test_metrics_count_requests_by_route_and_status_and_households(client):
    score(client)
    client.post("/v1/risk-scores", json={"households": []}, headers=AUTH)
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert (
        'zengshou_http_requests_total{method="POST",route="/v1/risk-scores",status="200"} 1.0'
        in text
    )
    assert (
        'zengshou_http_requests_total{method="POST",route="/v1/risk-scores",status="422"} 1.0'
        in text
    )
    assert 'route="unmatched",status="404"' in text
    assert "zengshou_households_scored_total 1.0" in text
    assert (
        'zengshou_http_request_duration_seconds_bucket{le="0.25",route="/v1/risk-scores"}' in text
    )


class LateLineModel(FakeRiskModel):
    """A model whose monitoring line starts in 2027: it refuses households that end earlier."""

    def predict(self, frame):
        if frame.groupby("household_id", sort=False)["year"].max().min() < 2027:
            raise ValueError("no monitoring line before 2027")
        return super().predict(frame)


def test_a_model_whose_line_covers_later_years_becomes_ready(make_client):
    late = replace(fake_served(model=LateLineModel()), last_years=(2027, 2034))
    client = make_client(loader=lambda settings: late)
    assert client.get("/health/ready").json()["model"]["version"] == "1"
    years = [2027, 2028, 2029]
    body = {
        "households": [
            household()
            | {
                "history": [
                    row | {"year": y} for row, y in zip(household()["history"], years, strict=True)
                ]
            }
        ]
    }
    assert client.post("/v1/risk-scores", json=body, headers=AUTH).status_code == 200


def test_smoke_years_follow_the_models_training_and_line():
    served = fake_served()
    assert smoke_years(replace(served, last_years=None)) == (2020, 2021, 2022)
    trained = replace(served, training={"evaluate_year": "2025"}, last_years=None)
    assert smoke_years(trained) == (2022, 2023, 2024)
    assert smoke_years(replace(trained, last_years=(2030, 2034))) == (2028, 2029, 2030)
    assert smoke_years(replace(served, last_years=(2016, 2019))) == (2017, 2018, 2019)


class OverconfidentModel(FakeRiskModel):
    """Breaks the contract (probability above 1) for households of 20 members only."""

    def predict(self, frame):
        result = super().predict(frame)
        large = frame.groupby("household_id", sort=False)["members"].last().to_numpy() == 20
        return result.assign(probability=result["probability"].where(~large, 1.5))


def test_a_contract_break_on_valid_input_is_a_422_not_a_500(make_client):
    client = make_client(loader=lambda settings: fake_served(model=OverconfidentModel()))
    big = household("hh-big")
    for row in big["history"]:
        row["members"] = 20
    response = client.post("/v1/risk-scores", json={"households": [big]}, headers=AUTH)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail == {
        "loc": ["body", "households"],
        "msg": detail["msg"],
        "type": "model_rejected_input",
    }
    assert score(client)["scores"][0]["probability"] <= 1.0  # others still score

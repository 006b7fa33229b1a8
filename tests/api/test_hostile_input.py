"""Issue 17, item 8, and issue 18's service items: what a careless or hostile client sends,
and what the service says about itself (docs, OpenAPI, readiness, log)."""

from __future__ import annotations

import json

import pytest
from api_fakes import ADMIN, AUTH, FakeRiskModel, fake_served, household

from api.model import ModelUnavailable
from forecast.risk.policy import risk_policy

URL = "/v1/risk-scores"
JSON = AUTH | {"content-type": "application/json"}


def test_a_large_body_of_wrong_types_gets_the_first_details_and_a_count(make_client):
    """Issue 17: a 3.3 MB body of wrong types got a 16.3 MB 422 with 125,000 details."""
    client = make_client(max_error_details=20)
    rows = [{name: [] for name in household()["history"][0]} for _ in range(5)]
    body = json.dumps(
        {"households": [{"household_id": f"h{i}", "history": rows} for i in range(1000)]}
    )
    assert len(body) > 1_000_000
    response = client.post(URL, content=body, headers=JSON)
    assert response.status_code == 422
    error = response.json()["error"]
    assert len(error["details"]) == 20 and error["detail_count"] > 100_000
    assert f"{error['detail_count']:,} problems" in error["message"]
    assert len(response.content) < 10_000


def test_an_unknown_field_name_comes_back_cut_short(client):
    long_name = "x" * 1_000_000
    payload = {"households": [household() | {long_name: 1}]}
    response = client.post(URL, json=payload, headers=AUTH)
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["type"] == "extra_forbidden"
    assert detail["loc"][:3] == ["body", "households", 0]
    assert len(detail["loc"][3]) == 64 and detail["loc"][3].endswith("…")
    assert len(response.content) < 2_000


@pytest.mark.parametrize("path", ["/v1/risk-scores/", "/health/live/", "/v1/model/"])
def test_a_trailing_slash_is_a_404_naming_the_path_never_a_redirect(client, path):
    """Issue 17: a trailing slash got a 307 to an http:// Location (wrong behind TLS)."""
    response = client.request(
        "POST" if "risk" in path else "GET",
        path,
        json={"households": [household()]},
        headers=AUTH,
        follow_redirects=False,
    )
    assert response.status_code == 404 and "location" not in response.headers
    assert f"the service serves {path.rstrip('/')}" in response.json()["error"]["message"]


def test_a_key_repeated_in_one_json_object_is_a_422_naming_it(client):
    """Issue 17: duplicated JSON keys were accepted silently (the last one won)."""
    one = json.dumps(household("hh-1"))
    row = json.dumps(household("hh-2")["history"][0])
    twice_in_a_row = row.replace('"members": 4', '"members": 4, "members": 5')
    assert twice_in_a_row != row
    hh_2 = json.dumps(household("hh-2")).replace(row, twice_in_a_row)
    body = f'{{"households": [{one}, {hh_2}]}}'
    response = client.post(URL, content=body, headers=JSON)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["body", "households", 1, "history", 0, "members"]
    assert detail["type"] == "duplicate_key"

    twice_at_the_top = f'{{"households": [{one}], "households": [{one}]}}'
    response = client.post(URL, content=twice_at_the_top, headers=JSON)
    assert response.json()["error"]["details"][0]["loc"] == ["body", "households"]


def test_the_same_request_formatted_otherwise_is_still_accepted(client):
    """The repeated-key check counts '":'; a body written '"key" : value' takes the slow path."""
    body = json.dumps({"households": [household()]}, separators=(" , ", " : "))
    assert '":' not in body
    assert client.post(URL, content=body, headers=JSON).status_code == 200


def test_a_gap_between_a_households_years_is_refused_with_its_path(client):
    gappy = household("hh-gap")
    gappy["history"][0]["year"] = 2018  # 2018, 2021, 2022
    response = client.post(URL, json={"households": [household(), gappy]}, headers=AUTH)
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["type"] == "year_gap"
    assert detail["loc"] == ["body", "households", 1, "history", 1, "year"]


def test_docs_come_from_the_services_own_files_never_a_cdn(make_client):
    client = make_client(docs_enabled=True)
    for page, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = client.get(page).text
        assert f'src="/docs/static/{script}"' in html
        assert "http://" not in html and "https://" not in html, page
        assert client.get(f"/docs/static/{script}").status_code == 200
    assert client.get("/docs/static/swagger-ui.css").status_code == 200


def test_docs_switched_off_answer_404_saying_how_to_switch_them_on(make_client):
    client = make_client(docs_enabled=False)
    for path in ("/docs", "/redoc", "/openapi.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert "ZENGSHOU_DOCS_ENABLED=true" in response.json()["error"]["message"]
    assert "ZENGSHOU_DOCS_ENABLED" not in client.get("/elsewhere").text


def test_openapi_has_a_request_example_that_scores_and_the_band_thresholds(client):
    document = client.get("/openapi.json").json()
    body = document["paths"]["/v1/risk-scores"]["post"]["requestBody"]["content"]
    example = body["application/json"]["example"]
    assert client.post(URL, json=example, headers=AUTH).status_code == 200
    score = document["components"]["schemas"]["HouseholdScore"]["properties"]
    medium, high = risk_policy().band_edges
    assert f"medium from {medium:.2f}, high from {high:.2f}" in score["band"]["description"]
    assert f"{risk_policy().flag_probability:.2f}" in score["flag"]["description"]


def test_not_ready_says_why_and_ready_says_which_version_since_when(make_client, caplog):
    state = {"fail": True}

    def loader(settings):
        if state["fail"]:
            raise ModelUnavailable("household-risk has no version at alias 'champion'")
        return fake_served("7")

    with caplog.at_level("INFO", logger="zengshou.api"):
        client = make_client(loader=loader, wait=False)
        not_ready = client.get("/health/ready")
        assert not_ready.status_code == 503
        assert "no version at alias 'champion'" in not_ready.json()["error"]["message"]
        state["fail"] = False
        reload = client.post("/v1/admin/reload", headers=ADMIN)
        assert reload.status_code == 200
        ready = client.get("/health/ready").json()
        assert ready["model"]["version"] == "7" and ready["loaded_at"]
        assert ready["last_reload_problem"] is None
    assert "model not loaded, retrying" in caplog.text
    assert "serving household-risk version 7" in caplog.text


def test_the_log_says_when_a_reload_swapped_the_version(make_client, caplog):
    versions = iter(["1", "2", "2"])
    client = make_client(loader=lambda s: fake_served(next(versions), FakeRiskModel()))
    with caplog.at_level("INFO", logger="zengshou.api"):
        assert client.post("/v1/admin/reload", headers=ADMIN).json()["swapped"] is True
        assert client.post("/v1/admin/reload", headers=ADMIN).json()["swapped"] is False
    assert "reload swapped household-risk version 1 for version 2" in caplog.text
    assert "still points at version 2, which keeps serving" in caplog.text


def test_a_failed_reload_is_reported_by_readiness_while_the_old_version_serves(make_client):
    calls = iter([fake_served("1")])

    def loader(settings):
        try:
            return next(calls)
        except StopIteration:
            raise OSError("/secret/path/unreachable") from None

    client = make_client(loader=loader)
    assert client.post("/v1/admin/reload", headers=ADMIN).status_code == 502
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["model"]["version"] == "1"
    assert ready.json()["last_reload_problem"] == "loading failed (OSError); see the service log"
    assert "/secret/path" not in ready.text

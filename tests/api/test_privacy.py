"""A canary household id through every success and error path: it must surface nowhere."""

from __future__ import annotations

import json
import logging

from api_fakes import AUTH, FakeRiskModel, fake_served, household

CANARY = "CANARY-7f3a9c1e-household"
URL = "/v1/risk-scores"


def test_canary_id_is_in_no_log_error_body_or_metric(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(max_body_bytes=8192)
    limited = make_client(rate_limit_per_second=0.01, rate_limit_burst=1)
    json_headers = AUTH | {"content-type": "application/json"}
    answers = []

    def send(payload=None, content=None, headers=AUTH, url=URL, via=client):
        response = via.post(url, json=payload, content=content, headers=headers)
        answers.append(response)
        return response

    ok = send({"households": [household(CANARY)]})
    assert ok.status_code == 200 and ok.json()["scores"][0]["household_id"] == CANARY
    answers.remove(ok)  # the only answer that must carry the id

    bad_field = household(CANARY)
    bad_field["history"][0]["members"] = 99
    bad_field["history"][1]["head_education"] = CANARY  # a submitted value that must not echo
    assert send({"households": [bad_field]}).status_code == 422
    assert send({"households": [household(CANARY), household(CANARY)]}).status_code == 422
    assert send({"households": [household(CANARY + " with space")]}).status_code == 422
    truncated = json.dumps({"households": [household(CANARY)]})[:-5].encode()
    assert send(content=truncated, headers=json_headers).status_code == 422
    assert send({"households": [household(CANARY)]}, headers={}).status_code == 401
    assert send({"households": [household(CANARY)]}, url="/v1/admin/reload").status_code == 403
    big = json.dumps({"households": [household(CANARY)] * 8}).encode()
    assert send(content=big, headers=json_headers).status_code == 413
    assert send(content=iter([big]), headers=json_headers).status_code == 413
    client.app.state.service.holder.current = fake_served(model=FakeRiskModel(fail=True))
    assert send({"households": [household(CANARY)]}).status_code == 500
    assert send({"households": [household(CANARY)]}, via=limited).status_code == 200
    answers.pop()
    assert send({"households": [household(CANARY)]}, via=limited).status_code == 429

    metrics = client.get("/metrics").text
    for response in answers:
        assert response.json()["error"]["request_id"]
        assert CANARY not in response.text and CANARY not in str(response.headers)
        assert "Traceback" not in response.text
    assert CANARY not in metrics
    assert caplog.records, "expected the failures to be logged"
    for record in caplog.records:
        assert CANARY not in record.getMessage()
        assert CANARY not in str(record.exc_text or "")

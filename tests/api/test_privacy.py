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
    # In the URL: a query string no route reads, and a path no route has.
    assert (
        send({"households": [household()]}, url=f"{URL}?household_id={CANARY}").status_code == 200
    )
    answers.pop()
    for url in (f"/v1/households/{CANARY}", f"/v1/households/{CANARY}?id={CANARY}"):
        answers.append(client.get(url, headers=AUTH))
        assert answers[-1].status_code == 404
    described = client.get(f"/v1/model?household_id={CANARY}", headers=AUTH)
    assert described.status_code == 200 and CANARY not in described.text

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
    assert CANARY not in metrics and 'route="unmatched"' in metrics
    assert caplog.records, "expected the failures to be logged"
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue  # the test's own HTTP client logs the URLs it sends
        assert CANARY not in record.getMessage()
        assert CANARY not in str(record.exc_text or "")


def access_record(path: str) -> None:
    """Log a request the way uvicorn's access log does (see uvicorn.protocols.http)."""
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", path, "1.1", 404)


def test_the_access_log_shows_route_templates_never_paths_or_query_strings(make_client, caplog):
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    make_client()  # running: its filter sits on uvicorn's access logger
    access_record(f"/v1/model?household_id={CANARY}")
    access_record(f"/v1/households/{CANARY}")
    access_record("/health/live")
    logged = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert logged == [
        '127.0.0.1:50000 - "GET /v1/model HTTP/1.1" 404',
        '127.0.0.1:50000 - "GET <unmatched> HTTP/1.1" 404',
        '127.0.0.1:50000 - "GET /health/live HTTP/1.1" 404',
    ]
    # A record in a shape the filter does not know is dropped, not passed on.
    logging.getLogger("uvicorn.access").info("odd %s", CANARY)
    assert CANARY not in caplog.text


def test_websocket_handshake_lines_show_no_path(make_client, caplog):
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    make_client()
    error_log = logging.getLogger("uvicorn.error")
    error_log.info('%s - "WebSocket %s" 403', "127.0.0.1:50000", f"/ws/{CANARY}?id={CANARY}")
    error_log.info("Application startup complete.")
    logged = [r.getMessage() for r in caplog.records if r.name == "uvicorn.error"]
    assert '127.0.0.1:50000 - "WebSocket <unmatched>" 403' in logged
    assert "Application startup complete." in logged and CANARY not in caplog.text


def test_the_access_log_filter_leaves_with_the_app(make_client, caplog):
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    client = make_client()
    client.__exit__(None, None, None)
    access_record(f"/v1/households/{CANARY}")
    assert CANARY in caplog.text  # no filter left behind on a process-wide logger

"""Keys, scopes, rate limits, body limits, CORS and docs switches."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from api_fakes import ADMIN_KEY, AUTH, SCORE_KEY, SECOND_SCORE_KEY, household

from api.ratelimit import RateLimiter
from api.security import (
    KeyStore,
    create_key,
    hash_key,
    parse_hash_list,
    read_key_file,
    revoke_key,
)

URL = "/v1/risk-scores"
PAYLOAD = {"households": [household()]}


def test_missing_or_wrong_key_is_401_with_a_challenge(client):
    for headers in ({}, {"X-API-Key": "zs_wrong"}, {"Authorization": "Bearer zs_wrong"}):
        response = client.post(URL, json=PAYLOAD, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthorized"


def test_key_in_the_query_string_is_not_accepted(client):
    response = client.post(f"{URL}?api_key={SCORE_KEY}", json=PAYLOAD)
    assert response.status_code == 401


def test_bearer_and_header_keys_both_work_and_two_score_keys_are_valid_at_once(client):
    for headers in (AUTH, {"Authorization": f"Bearer {SECOND_SCORE_KEY}"}):
        assert client.post(URL, json=PAYLOAD, headers=headers).status_code == 200


def test_score_key_cannot_reload_but_admin_key_can_do_both(client):
    response = client.post("/v1/admin/reload", headers=AUTH)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    admin = {"X-API-Key": ADMIN_KEY}
    assert client.post("/v1/admin/reload", headers=admin).status_code == 200
    assert client.post(URL, json=PAYLOAD, headers=admin).status_code == 200


def test_rotation_through_the_key_file_needs_no_restart(make_client, tmp_path):
    client = make_client(api_key_hashes="")
    path = tmp_path / "api_keys.json"
    old, old_record = create_key(path, "score", label="county platform")
    new, _ = create_key(path, "score")
    for key in (old, new):
        assert client.post(URL, json=PAYLOAD, headers={"X-API-Key": key}).status_code == 200
    revoke_key(path, old_record.key_id[:6])
    assert client.post(URL, json=PAYLOAD, headers={"X-API-Key": old}).status_code == 401
    assert client.post(URL, json=PAYLOAD, headers={"X-API-Key": new}).status_code == 200


def test_key_file_holds_hashes_only_and_is_private(tmp_path):
    path = tmp_path / "keys" / "api_keys.json"
    key, record = create_key(path, "admin", label="ops")
    text = path.read_text()
    assert key not in text and hash_key(key) in text
    assert path.stat().st_mode & 0o077 == 0
    assert read_key_file(path) == [record]
    assert KeyStore(path, []).match(key) == record
    assert KeyStore(path, []).match(key + "x") is None


def test_a_broken_key_file_fails_closed(tmp_path):
    path = tmp_path / "api_keys.json"
    key, _ = create_key(path, "score")
    store = KeyStore(path, [])
    assert store.match(key) is not None
    path.write_text("{not json")
    assert store.match(key) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [("reader:" + "a" * 64, "scope"), ("score:abc", "64 hex"), ("score:" + "g" * 64, "64 hex")],
)
def test_bad_hash_list_entries_are_named(text, reason):
    with pytest.raises(ValueError, match=f"entry 1: .*{reason}"):
        parse_hash_list(text)


def test_revoking_needs_an_unambiguous_id(tmp_path):
    path = tmp_path / "api_keys.json"
    create_key(path, "score")
    with pytest.raises(KeyError, match="0 keys match"):
        revoke_key(path, "not-hex")


def test_rate_limit_is_per_key_with_retry_after(make_client):
    client = make_client(rate_limit_per_second=0.5, rate_limit_burst=2)
    assert [client.post(URL, json=PAYLOAD, headers=AUTH).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    limited = client.post(URL, json=PAYLOAD, headers=AUTH)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    other = {"X-API-Key": SECOND_SCORE_KEY}
    assert client.post(URL, json=PAYLOAD, headers=other).status_code == 200


def test_token_bucket_refills_with_time():
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=1, clock=lambda: now[0])
    assert limiter.acquire("k") is None
    assert limiter.acquire("k") == 1
    now[0] += 0.5
    assert limiter.acquire("k") is None


def test_body_over_the_limit_is_413_declared_or_chunked(make_client):
    client = make_client(max_body_bytes=2048)
    big = json.dumps({"households": [household(f"h{i}") for i in range(5)]}).encode()
    assert len(big) > 2048
    declared = client.post(URL, content=big, headers=AUTH | {"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: Transfer-Encoding: chunked
        for start in range(0, len(big), 500):
            yield big[start : start + 500]

    chunked = client.post(
        URL, content=chunks(), headers=AUTH | {"content-type": "application/json"}
    )
    assert chunked.status_code == 413
    assert chunked.json()["error"]["code"] == "payload_too_large"


def test_no_cors_unless_configured(make_client):
    preflight = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key",
    }
    plain = make_client()
    assert "access-control-allow-origin" not in plain.options(URL, headers=preflight).headers
    configured = make_client(cors_origins=["https://example.org"])
    response = configured.options(URL, headers=preflight)
    assert response.headers["access-control-allow-origin"] == "https://example.org"


def test_docs_can_be_switched_off(make_client):
    on = make_client(docs_enabled=True)
    assert on.get("/openapi.json").status_code == 200 and on.get("/docs").status_code == 200
    off = make_client(docs_enabled=False)
    assert off.get("/openapi.json").status_code == 404 and off.get("/docs").status_code == 404


def test_answers_are_not_cacheable_and_carry_a_request_id(client):
    response = client.post(URL, json=PAYLOAD, headers=AUTH)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) == 16


def test_the_key_is_checked_before_the_body_is_parsed(client):
    garbage = {"content-type": "application/json"}
    assert client.post(URL, content=b"{not json", headers=garbage).status_code == 401
    wrong_type = client.post(URL, content=b"households=1", headers=AUTH)
    assert wrong_type.status_code == 415
    assert wrong_type.json()["error"]["code"] == "unsupported_media_type"


def test_concurrent_creates_keep_every_key(tmp_path):
    path = tmp_path / "keys.json"
    start = threading.Barrier(8)

    def create_several(n: int) -> list[str]:
        start.wait()
        return [create_key(path, "score", label=f"{n}-{i}")[1].sha256 for i in range(5)]

    with ThreadPoolExecutor(8) as pool:
        created = [digest for batch in pool.map(create_several, range(8)) for digest in batch]
    assert sorted(r.sha256 for r in read_key_file(path)) == sorted(created)
    assert len(created) == 40
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_repeated_wrong_keys_from_one_address_get_429_with_retry_after(make_client):
    client = make_client(auth_failure_limit=3, auth_failure_window_seconds=600)
    for _ in range(3):
        assert client.post(URL, json=PAYLOAD, headers={"X-API-Key": "zs_guess"}).status_code == 401
    refused = client.post(URL, json=PAYLOAD, headers={"X-API-Key": "zs_guess"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    # Locked out whatever it sends now: a right key must not answer differently.
    assert client.post(URL, json=PAYLOAD, headers=AUTH).status_code == 429
    assert client.get("/health/live").status_code == 200  # no key, no limit


def test_missing_keys_and_right_keys_do_not_count_as_failures(make_client):
    client = make_client(auth_failure_limit=2)
    for _ in range(5):
        assert client.post(URL, json=PAYLOAD).status_code == 401
        assert client.post(URL, json=PAYLOAD, headers=AUTH).status_code == 200


def test_a_full_bucket_table_forgets_idle_addresses():
    now = [0.0]
    limiter = RateLimiter(1.0, 2, clock=lambda: now[0])
    limiter.MAX_BUCKETS = 3
    for address in "abcd":
        assert limiter.acquire(address) is None
    now[0] = 10.0  # all refilled
    assert limiter.acquire("e") is None
    assert set(limiter._buckets) == {"e"}
    assert limiter.wait("e") is None and limiter.acquire("e") is None
    assert limiter.acquire("e") == 1 and limiter.wait("e") == 1

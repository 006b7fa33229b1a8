"""Keys, scopes, rate limits, body limits, CORS and docs switches."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from api_fakes import ADMIN_KEY, AUTH, SCORE_KEY, SECOND_SCORE_KEY, household
from fastapi.testclient import TestClient

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
    ("shape", "reason"),
    [
        ('{"keys": 5}', "a list of keys"),
        ('{"keys": [5]}', r"keys\[0\] needs 'scope' and 'sha256'"),
        ('{"keys": [{"scope": ["score"], "sha256": 1}]}', "must be text"),
        ("[1, 2]", "a list of keys"),
        ("{not json", "not JSON .line 1"),
        (b"\xff\xfe", "not UTF-8"),
        ("directory", "is a directory"),
    ],
)
def test_a_key_file_of_the_wrong_shape_is_a_503_with_a_logged_reason(
    make_client, tmp_path, caplog, shape, reason
):
    """Issue 17: {"keys": 5} or a directory in its place gave 500 (TypeError) on every call."""
    path = tmp_path / "api_keys.json"
    key, _ = create_key(path, "score")
    path.unlink()
    if shape == "directory":
        path.mkdir()
    elif isinstance(shape, bytes):
        path.write_bytes(shape)
    else:
        path.write_text(shape)
    with pytest.raises(ValueError, match=reason):
        read_key_file(path)
    with caplog.at_level("ERROR", logger="zengshou.api"):
        client = make_client()
    assert "key file unusable" in caplog.text and str(path) in caplog.text
    answer = client.post(URL, json=PAYLOAD, headers={"X-API-Key": key})
    assert answer.status_code == 503, answer.text
    assert "key file" in answer.json()["error"]["message"]
    assert client.post(URL, json=PAYLOAD, headers=AUTH).status_code == 200  # env keys still work
    assert client.post(URL, json=PAYLOAD).status_code == 401


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
    client = make_client(rate_limit_per_second=0.01, rate_limit_burst=2)
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
    for n in range(3):
        wrong = {"X-API-Key": f"zs_guess-{n}"}
        assert client.post(URL, json=PAYLOAD, headers=wrong).status_code == 401
    refused = client.post(URL, json=PAYLOAD, headers={"X-API-Key": "zs_yet-another"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    assert client.get("/health/live").status_code == 200  # no key, no limit


def test_a_neighbour_sending_wrong_keys_never_locks_out_a_valid_key(make_client):
    """Issue 17: 5 wrong keys a second from one address left a valid client on the same
    address 7 successes of 60 calls. A request with a valid key is never refused now."""
    client = make_client(auth_failure_limit=10, auth_failure_window_seconds=60)
    answers = []
    for call in range(60):
        for n in range(5):
            client.post(URL, json=PAYLOAD, headers={"X-API-Key": f"zs_wrong{call}-{n}"})
        answers.append(client.post(URL, json=PAYLOAD, headers=AUTH).status_code)
    assert answers == [200] * 60
    assert client.post(URL, json=PAYLOAD, headers={"X-API-Key": "zs_wrong"}).status_code == 429


def test_one_stale_key_is_limited_by_its_prefix_whatever_the_address(make_client):
    first = make_client(auth_failure_limit=3, auth_failure_window_seconds=600)
    stale = {"X-API-Key": "zs_revoked-key-still-in-a-config-file"}
    assert [first.post(URL, json=PAYLOAD, headers=stale).status_code for _ in range(4)] == [
        401,
        401,
        401,
        429,
    ]
    elsewhere = TestClient(first.app, client=("203.0.113.9", 5000), raise_server_exceptions=False)
    assert elsewhere.post(URL, json=PAYLOAD, headers=stale).status_code == 429
    other = {"X-API-Key": "zs_another-wrong-key"}
    assert elsewhere.post(URL, json=PAYLOAD, headers=other).status_code == 401
    assert elsewhere.post(URL, json=PAYLOAD, headers=AUTH).status_code == 200


def test_missing_keys_and_right_keys_do_not_count_as_failures(make_client):
    client = make_client(auth_failure_limit=2)
    for _ in range(5):
        assert client.post(URL, json=PAYLOAD).status_code == 401
        assert client.post(URL, json=PAYLOAD, headers=AUTH).status_code == 200


def test_a_full_bucket_table_forgets_idle_addresses():
    now = [0.0]
    limiter = RateLimiter(1.0, 2, clock=lambda: now[0])
    limiter.MAX_BUCKETS = 3
    for address in "abc":
        assert limiter.acquire(address) is None
    now[0] = 10.0  # all refilled
    assert limiter.acquire("d") is None
    assert set(limiter._buckets) == {"d"}
    assert limiter.wait("d") is None and limiter.acquire("d") is None
    assert limiter.acquire("d") == 1 and limiter.wait("d") == 1


def test_keys_a_client_makes_up_cannot_grow_the_table_without_bound():
    limiter = RateLimiter(0.1, 10, clock=lambda: 0.0)
    limiter.MAX_BUCKETS = 100
    for n in range(1000):  # every wrong key has its own prefix, none refills
        limiter.acquire(f"prefix:zs_{n}")
    assert len(limiter._buckets) <= 100
    assert "prefix:zs_999" in limiter._buckets  # the newest are kept

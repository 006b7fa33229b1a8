"""Issue 17, item 1, with a real ``zengshou serve``: what a client sends before the app sees it.

The server runs against an MLflow store that does not exist (``/health/live`` needs no model),
which also shows that the service never creates an empty store (item 6).
Figures for the record come from ``benchmarks/bench_hostile.py``; the bounds here are generous.
"""

from __future__ import annotations

import select
import socket
import statistics
import threading
import time

import httpx
import pytest
from api_fakes import running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEADER_BYTES = 64 * 1024 * 1024
CHUNK = b"a" * 65536


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("limits-live")
    store = work / "absent" / "mlflow.db"
    env = {
        "MLFLOW_TRACKING_URI": f"sqlite:///{store}",
        "ZENGSHOU_API_KEYS_FILE": str(work / "api_keys.json"),
        "ZENGSHOU_READ_TIMEOUT_SECONDS": "1",
        "ZENGSHOU_LOAD_RETRY_SECONDS": "60",
        "ZENGSHOU_DOCS_ENABLED": "false",
        "ZENGSHOU_MAX_CONNECTIONS": "8",
    }
    log = work / "server.log"
    with running_server(env, log, ready=False) as base:
        yield {"base": base, "port": int(base.rsplit(":", 1)[1]), "store": store, "log": log}


def huge_header(port: int) -> tuple[float, bytes, int]:
    """Send a request with a 64 MB header; return (seconds to the refusal, answer, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(10)
    started = time.perf_counter()
    sent, answer = 0, b""
    try:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\nX-Filler: ")
        while sent < HEADER_BYTES and not select.select([sock], [], [], 0)[0]:
            sock.sendall(CHUNK)
            sent += len(CHUNK)
        answer = sock.recv(4096)
    except (BrokenPipeError, ConnectionResetError):
        answer = b"reset"
    finally:
        sock.close()
    return time.perf_counter() - started, answer, sent


def test_a_64_mb_header_is_refused_within_a_second_and_live_stays_fast(server):
    """Issue 17: one 128 MB header took 18.8 s of server CPU and /health/live went to 0.9-4 s."""
    stop = threading.Event()
    refusals: list[tuple[float, bytes, int]] = []

    def attack() -> None:
        while not stop.is_set():
            refusals.append(huge_header(server["port"]))

    attackers = [threading.Thread(target=attack) for _ in range(2)]
    for thread in attackers:
        thread.start()
    latencies = []
    with httpx.Client(base_url=server["base"], timeout=10) as client:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.perf_counter()
            assert client.get("/health/live").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
    stop.set()
    for thread in attackers:
        thread.join()
    seconds = [r[0] for r in refusals]
    print(
        f"{len(refusals)} 64 MB headers refused in at most {max(seconds):.3f} s; "
        f"/health/live p50 {statistics.median(latencies) * 1000:.1f} ms "
        f"over {len(latencies)} calls"
    )
    assert len(refusals) >= 4 and max(seconds) < 1.0
    assert all(sent < HEADER_BYTES for _, _, sent in refusals)  # none got through whole
    answers = {answer.split(b"\r\n", 1)[0] for _, answer, _ in refusals}
    assert answers <= {b"HTTP/1.1 431 Request Header Fields Too Large", b"reset", b""}
    assert b"HTTP/1.1 431 Request Header Fields Too Large" in answers
    assert statistics.median(latencies) < 0.050


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def test_too_many_headers_are_a_431_in_the_error_schema(server):
    many = b"".join(b"X-H%d: 1\r\n" % n for n in range(150))
    answer = exchange(server["port"], b"GET /health/live HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"code":"headers_too_large"' in answer and b"More than 100 header fields" in answer
    small = exchange(server["port"], b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
    assert small.startswith(b"HTTP/1.1 200 ")


def test_headers_over_the_limit_in_one_chunk_are_refused_too(server):
    request = b"GET /health/live HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n"
    assert exchange(server["port"], request).startswith(b"HTTP/1.1 431 ")


def test_slow_clients_are_cut_off_by_the_read_timeout(server):
    """Issue 17: 400 slow connections stayed open 50 s: there was no read timeout."""
    sockets = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", server["port"]))
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        sockets.append(sock)
    started = time.monotonic()
    answers = []
    for sock in sockets:
        sock.settimeout(5)
        try:
            while True:  # a byte now and then, never the end of the headers
                if select.select([sock], [], [], 0.2)[0]:
                    answers.append(sock.recv(4096))
                    break
                sock.sendall(b"x")
        except (BrokenPipeError, ConnectionResetError):
            answers.append(b"reset")
        finally:
            sock.close()
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed  # 1 s read timeout; without it, they would never end
    assert sum(a.startswith(b"HTTP/1.1 408 ") for a in answers) >= 15


def test_a_server_pointed_at_a_missing_store_never_creates_it_and_says_why(server):
    """Issue 17: a server pointed at a missing store created an empty one."""
    with httpx.Client(base_url=server["base"], timeout=10) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert "the MLflow store does not exist" in ready.json()["error"]["message"]
        assert str(server["store"]) not in ready.text
        # A trailing slash: a clean 404, never a redirect to an http:// Location.
        slash = client.get("/health/live/")
        assert slash.status_code == 404 and "location" not in slash.headers
    assert not server["store"].parent.exists()
    log = server["log"].read_text()
    assert f"the MLflow store {server['store']} does not exist" in log


def test_connections_beyond_the_limit_get_503_until_others_close(server):
    idle = [socket.create_connection(("127.0.0.1", server["port"])) for _ in range(8)]
    try:
        crowded = exchange(server["port"], b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
        assert crowded.startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.3)
    calm = exchange(server["port"], b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
    assert calm.startswith(b"HTTP/1.1 200 ")

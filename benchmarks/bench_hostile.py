"""Hostile clients against a live ``zengshou serve``: huge headers, slow requests.

Starts ``zengshou serve`` on loopback against an MLflow store that does not exist (no model is
needed: ``/health/live`` answers without one) and prints:

- one request with a 64 MB header: seconds from its first byte to the server's refusal, the
  status it answered and how many bytes the client got to send;
- ``/health/live`` latency (p50, p99, max) over one keep-alive connection, at rest and while
  ``--attackers`` clients send 64 MB headers back to back;
- ``--slow`` connections that send one header byte a second: when the server closed them
  (``ZENGSHOU_READ_TIMEOUT_SECONDS``) and ``/health/live`` latency meanwhile;
- the server's resident memory before and after.

``--unguarded`` runs the same against plain uvicorn (its httptools parser with no limits, as
``zengshou serve`` ran before the guard) for comparison; use a smaller ``--header-mb`` there,
since its cost grows with the square of the header size.

    python benchmarks/bench_hostile.py                   # about 40 s
    python benchmarks/bench_hostile.py --unguarded --header-mb 16
"""

from __future__ import annotations

import argparse
import http.client
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CHUNK = b"a" * 65536


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, work: Path, unguarded: bool, env_extra: dict[str, str]):
    env = os.environ | {
        "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'absent' / 'mlflow.db'}",
        "ZENGSHOU_API_KEYS_FILE": str(work / "api_keys.json"),
        "ZENGSHOU_LOAD_RETRY_SECONDS": "60",
        **env_extra,
    }
    if unguarded:
        command = [BIN / "uvicorn", "api.main:create_app", "--factory", "--http", "httptools"]
        command += ["--port", str(port), "--log-level", "warning"]
    else:
        command = [BIN / "zengshou", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.2)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def send_huge_header(port: int, size: int) -> tuple[float, str, int]:
    """Send a request whose one header is ``size`` bytes; return (seconds, outcome, bytes sent).

    The outcome is the status line the server answered, or how the connection ended.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    started = time.perf_counter()
    sent = 0
    outcome = "accepted"
    try:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: bench\r\nX-Filler: ")
        while sent < size:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break  # the server answered (or closed) before the end
            sock.sendall(CHUNK)
            sent += len(CHUNK)
        else:
            sock.sendall(b"\r\n\r\n")
        reply = sock.recv(4096)
        outcome = reply.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
    except (BrokenPipeError, ConnectionResetError):
        outcome = "connection reset"
    except TimeoutError:
        outcome = "no answer in 30 s"
    finally:
        sock.close()
    return time.perf_counter() - started, outcome, sent


def live_latencies(port: int, stop: threading.Event, out: list[float]) -> None:
    """GET /health/live over one keep-alive connection until ``stop``; append milliseconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        started = time.perf_counter()
        connection.request("GET", "/health/live")
        response = connection.getresponse()
        response.read()
        out.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"/health/live answered {response.status}")
        time.sleep(0.005)
    connection.close()


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"p50 {statistics.median(ordered):6.2f} ms  p99 {p99:7.2f} ms  "
        f"max {ordered[-1]:7.1f} ms  ({len(ordered)} requests)"
    )


def measure_live_during(port: int, seconds: float, attack=None) -> list[float]:
    stop = threading.Event()
    latencies: list[float] = []
    probe = threading.Thread(target=live_latencies, args=(port, stop, latencies))
    probe.start()
    attackers = attack(stop) if attack else []
    time.sleep(seconds)
    stop.set()
    probe.join()
    for thread in attackers:
        thread.join()
    return latencies


def header_attack(port: int, size: int, n: int, refusals: list[tuple[float, str, int]]):
    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            refusals.append(send_huge_header(port, size))

    def start(stop: threading.Event) -> list[threading.Thread]:
        threads = [threading.Thread(target=loop, args=(stop,)) for _ in range(n)]
        for thread in threads:
            thread.start()
        return threads

    return start


def slow_clients(port: int, n: int, closed_after: list[float], limit: float):
    """Open ``n`` connections that send one header byte a second; record when each ends."""

    def run(stop: threading.Event) -> None:
        sockets = {}
        started = time.perf_counter()
        for _ in range(n):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
            sock.setblocking(False)
            sockets[sock] = started
        while sockets and time.perf_counter() - started < limit:
            readable, _, _ = select.select(list(sockets), [], [], 1.0)
            for sock in readable:
                try:
                    sock.recv(4096)
                except OSError:
                    pass
                closed_after.append(time.perf_counter() - started)
                del sockets[sock]
                sock.close()
            for sock in list(sockets):
                try:
                    sock.send(b"x")
                except OSError:
                    closed_after.append(time.perf_counter() - started)
                    del sockets[sock]
                    sock.close()
        for sock in sockets:  # still open at the end
            sock.close()

    def start(stop: threading.Event) -> list[threading.Thread]:
        thread = threading.Thread(target=run, args=(stop,))
        thread.start()
        return [thread]

    return start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--header-mb", type=float, default=64)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--slow", type=int, default=400, help="slow connections")
    parser.add_argument("--read-timeout", type=float, default=10.0)
    parser.add_argument("--unguarded", action="store_true")
    args = parser.parse_args()
    size = int(args.header_mb * 1024 * 1024)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"ZENGSHOU_READ_TIMEOUT_SECONDS": str(args.read_timeout)}
        server = start_server(port, Path(tmp), args.unguarded, env)
        try:
            label = "plain uvicorn (httptools, no limits)" if args.unguarded else "zengshou serve"
            print(f"{label} on port {port}, {os.cpu_count()} cores")
            print(f"server memory at rest: {rss_mb(server.pid):.0f} MB")
            seconds, outcome, sent = send_huge_header(port, size)
            print(
                f"one {args.header_mb:g} MB header: answered in {seconds:.3f} s with "
                f"'{outcome}' after the client sent {sent / 1024:,.0f} KiB"
            )
            print(f"/health/live at rest:            {summary(measure_live_during(port, 2))}")
            refusals: list[tuple[float, str, int]] = []
            attack = header_attack(port, size, args.attackers, refusals)
            during = measure_live_during(port, args.seconds, attack)
            print(f"/health/live under header attack: {summary(during)}")
            times = sorted(r[0] for r in refusals)
            outcomes = sorted({r[1] for r in refusals})
            print(
                f"  {len(refusals)} {args.header_mb:g} MB headers from {args.attackers} "
                f"clients, each answered in median {statistics.median(times) * 1000:.1f} ms, "
                f"max {times[-1] * 1000:.1f} ms ({', '.join(outcomes)})"
            )
            print(f"server memory after the attack: {rss_mb(server.pid):.0f} MB")
            closed: list[float] = []
            window = args.read_timeout + 5
            slow = slow_clients(port, args.slow, closed, window)
            during = measure_live_during(port, window, slow)
            print(f"/health/live with {args.slow} slow clients: {summary(during)}")
            if closed:
                print(
                    f"  {len(closed)} of {args.slow} slow connections closed by the server, "
                    f"after {min(closed):.1f} to {max(closed):.1f} s "
                    f"(read timeout {args.read_timeout:g} s)"
                )
            else:
                print(f"  none of {args.slow} slow connections closed within {window:g} s")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()

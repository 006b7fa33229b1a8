"""Load test of the risk-score service against ``mlflow models serve``, on loopback.

Both servers serve the same registered model (``models:/household-risk@champion``) and get the
same single household (its three latest years) from 8 keep-alive connections, for a bounded
number of requests; then one 1,000-household batch, sent sequentially a few times. The service
runs once with 1 and once with 2 uvicorn workers; mlflow with its default (1 worker).

Without ``--tracking-uri`` the script trains a model on a synthetic panel and registers it in a
temporary MLflow store. The client is plain asyncio on raw sockets (HTTP/1.1 keep-alive), so a
fresh machine needs nothing beyond the project's environment, and the client costs the
shared CPU as little as possible.

    python benchmarks/bench_api.py                      # everything, about 2 minutes
    python benchmarks/bench_api.py --requests 2000 --skip-mlflow
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from api.security import create_key
from forecast.synthetic import synthesize_panel
from zengshou.workflows import train_and_register

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 8
SERVICE_COLUMNS_DROPPED = ("household_id", "net_income_per_capita", "weight")


# --- a minimal HTTP/1.1 client ------------------------------------------------------------


def http_request(path: str, body: bytes, host: str, port: int, headers: dict[str, str]) -> bytes:
    """Return the bytes of one POST request with a Content-Length."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one response (Content-Length or chunked); return status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, bytes(body)
        body += chunk[:-2]


async def load(
    host: str, port: int, request: bytes, total: int, concurrency: int
) -> tuple[list[float], Counter, float]:
    """Send ``total`` copies of ``request`` over ``concurrency`` keep-alive connections.

    Returns latencies (seconds), status counts and wall time.
    """
    remaining = total
    latencies: list[float] = []
    statuses: Counter = Counter()

    async def connection() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                writer.write(request)
                status, _ = await read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"server exited with {process.returncode} before {url} answered:\n{tail}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:g}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


# --- payloads ------------------------------------------------------------------------------


def payloads(panel, n_batch: int) -> dict[str, bytes]:
    """Service and mlflow bodies for one household and for ``n_batch`` households."""
    recent = panel[panel["year"] > panel["year"].max() - 3]
    ids = recent["household_id"].unique()
    bodies = {}
    for name, chosen in (("single", ids[:1]), ("batch", ids[:n_batch])):
        rows = recent[recent["household_id"].isin(chosen)]
        rows = rows.drop(columns=["net_income_per_capita", "weight"])
        records = json.loads(rows.to_json(orient="records"))
        households: dict[str, list] = {}
        for record in records:
            households.setdefault(record.pop("household_id"), []).append(record)
        bodies[f"service_{name}"] = json.dumps(
            {"households": [{"household_id": k, "history": v} for k, v in households.items()]}
        ).encode()
        bodies[f"mlflow_{name}"] = json.dumps(
            {"dataframe_split": json.loads(rows.to_json(orient="split", index=False))}
        ).encode()
    return bodies


# --- the run -------------------------------------------------------------------------------


def measure(name, port, path, bodies, prefix, headers, n_requests, n_batch_calls) -> dict:
    single = http_request(path, bodies[f"{prefix}_single"], "127.0.0.1", port, headers)
    batch = http_request(path, bodies[f"{prefix}_batch"], "127.0.0.1", port, headers)
    # Warm up until every worker process answers: each loads the model on its own.
    deadline = time.monotonic() + 120
    while set(asyncio.run(load("127.0.0.1", port, single, 200, CONCURRENCY))[1]) != {200}:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: warm-up requests still fail")
        time.sleep(1)
    latencies, statuses, wall = asyncio.run(
        load("127.0.0.1", port, single, n_requests, CONCURRENCY)
    )
    asyncio.run(load("127.0.0.1", port, batch, 2, 1))  # warm-up
    batch_latencies, batch_statuses, _ = asyncio.run(
        load("127.0.0.1", port, batch, n_batch_calls, 1)
    )
    return {
        "server": name,
        "requests": n_requests,
        "non_2xx": sum(c for s, c in (statuses + batch_statuses).items() if not 200 <= s < 300),
        "throughput": n_requests / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 99),
        "batch_median_ms": 1000 * statistics.median(batch_latencies),
        "batch_max_ms": 1000 * max(batch_latencies),
    }


def register_model(store: Path, households: int):
    """Train on a synthetic panel and register ``household-risk@champion`` in ``store``."""
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{store / 'mlflow.db'}"

    panel = synthesize_panel(households, seed=11, as_of=2022)
    result = train_and_register(panel, train_until=2020, evaluate_year=2022, random_state=0)
    print(f"registered household-risk version {result['version']} in {store}", file=sys.stderr)
    return panel


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracking-uri", help="store holding household-risk@champion")
    parser.add_argument("--households", type=int, default=3000, help="synthetic panel size")
    parser.add_argument("--requests", type=int, default=4000, help="single-household requests")
    parser.add_argument("--mlflow-requests", type=int, default=1500)
    parser.add_argument("--batch-calls", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to try")
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="zengshou-bench-"))
    try:
        if args.tracking_uri:
            os.environ["MLFLOW_TRACKING_URI"] = args.tracking_uri
            panel = synthesize_panel(max(args.batch_size, 1000), seed=11, as_of=2022)
        else:
            panel = register_model(work, args.households)
        bodies = payloads(panel, args.batch_size)

        key, _ = create_key(work / "api_keys.json", "score", label="benchmark")
        env = os.environ | {
            "ZENGSHOU_API_KEYS_FILE": str(work / "api_keys.json"),
            # The benchmark measures capacity: lift the per-key limit (default 50/s).
            "ZENGSHOU_RATE_LIMIT_PER_SECOND": "1000000",
            "ZENGSHOU_RATE_LIMIT_BURST": "1000000",
        }
        binary = Path(sys.executable).parent
        # mlflow starts `uvicorn` by name: the environment's scripts must come first on PATH.
        env["PATH"] = f"{binary}{os.pathsep}{env.get('PATH', '')}"
        results = []
        for workers in [int(w) for w in args.workers.split(",")]:
            port = free_port()
            process = start(
                [str(binary / "zengshou"), "serve", "--port", str(port), "--workers", str(workers)],
                env,
                work / f"service-{workers}.log",
            )
            try:
                wait_until(
                    f"http://127.0.0.1:{port}/health/ready",
                    120,
                    process,
                    work / f"service-{workers}.log",
                )
                results.append(
                    measure(
                        f"zengshou serve, {workers} worker{'s' if workers > 1 else ''}",
                        port,
                        "/v1/risk-scores",
                        bodies,
                        "service",
                        {"X-API-Key": key},
                        args.requests,
                        args.batch_calls,
                    )
                )
            finally:
                stop(process)
        if not args.skip_mlflow:
            port = free_port()
            mlflow = shutil.which("mlflow", path=str(binary)) or "mlflow"
            process = start(
                [
                    mlflow,
                    "models",
                    "serve",
                    "-m",
                    "models:/household-risk@champion",
                    "--env-manager",
                    "local",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                env,
                work / "mlflow.log",
            )
            try:
                wait_until(f"http://127.0.0.1:{port}/ping", 180, process, work / "mlflow.log")
                results.append(
                    measure(
                        "mlflow models serve",
                        port,
                        "/invocations",
                        bodies,
                        "mlflow",
                        {},
                        args.mlflow_requests,
                        args.batch_calls,
                    )
                )
            finally:
                stop(process)
        print_table(results, args, (load_before, os.getloadavg()[0]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(results: list[dict], args, load: tuple[float, float]) -> None:
    cores = os.cpu_count()
    print(
        f"\nrisk-score service vs mlflow models serve: loopback, {cores} cores, "
        f"{CONCURRENCY} connections, one household per request; batch = {args.batch_size} "
        "households, sequential"
    )
    header = (
        f"{'server':<28} {'requests':>8} {'non-2xx':>7} {'req/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'batch med ms':>12} {'batch max ms':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['server']:<28} {r['requests']:>8} {r['non_2xx']:>7} {r['throughput']:>8.0f} "
            f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['batch_median_ms']:>12.1f} "
            f"{r['batch_max_ms']:>12.1f}"
        )
    reference = [r for r in results if r["server"].startswith("mlflow")]
    if reference:
        for r in results:
            if r is not reference[0]:
                ratio = r["throughput"] / reference[0]["throughput"]
                print(f"{r['server']}: {ratio:.1f}x the throughput of mlflow models serve")
    print("targets: >= 5x mlflow throughput, single p99 <= 25 ms, 1,000-household batch <= 250 ms")
    print(
        f"1-minute load average {load[0]:.1f} before, {load[1]:.1f} after: figures from a "
        "machine busy with other work are lower and noisier."
    )


if __name__ == "__main__":
    main()

"""``zengshou serve``: run the risk-score service under uvicorn."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 exposes it to the network).",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes. One is fastest on a 2-core machine (see benchmarks/bench_api.py).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="uvicorn's access log, showing route templates only (no raw paths, no query strings).",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Comma-separated addresses of trusted proxies whose X-Forwarded-For names the client "
    "(default: ZENGSHOU_FORWARDED_ALLOW_IPS; empty trusts none).",
)
def serve(
    host: str,
    port: int,
    workers: int,
    log_level: str,
    access_log: bool,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve risk scores over HTTP (settings from ZENGSHOU_* variables, see the README).

    The model models:/household-risk@champion loads in the background: /health/live answers
    at once, /health/ready once the model is loaded and has passed a smoke prediction.
    """
    # lazy: keeps zengshou --help fast
    from api.security import parse_hash_list
    from api.server import serve as run_server
    from api.settings import Settings

    # a bad ZENGSHOU_* setting fails here, naming the variable, not in the server's factory
    parse_hash_list(Settings().api_key_hashes)
    run_server(
        host,
        port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
        forwarded_allow_ips=forwarded_allow_ips,
    )

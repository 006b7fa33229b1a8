"""The app in a child process on a free local port: what the browser tests and the page-load
benchmark start, as ``zengshou app`` would serve it (uvicorn, the same ASGI factory)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import IO

from forecast.paths import project_root


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    env: Mapping[str, str], output: IO | int = subprocess.DEVNULL, seconds: float = 120
) -> tuple[subprocess.Popen, int]:
    """Start the app under uvicorn on 127.0.0.1 with ``env``; return it and its port once it
    accepts connections.

    Raises
    ------
    RuntimeError
        The process exited while starting (its output went to ``output``).
    TimeoutError
        It did not accept connections within ``seconds``; it is stopped.
    """
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "zengshou.app.server:asgi_app"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env),
        stdout=output,
        stderr=subprocess.STDOUT,
        cwd=project_root(),
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the app exited while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, port
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise TimeoutError("the app did not start")

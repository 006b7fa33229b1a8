"""The HTTP server: uvicorn, with limits on what a client sends before the app sees it.

uvicorn's fast parser (httptools) takes a request line and headers of any size and number, and
joins a long header piece by piece as it arrives, so one 128 MB header cost 18.8 s of CPU (the
work grows with the square of the size); and it waits for a request's bytes forever, so slow
clients hold connections open. :class:`GuardedHttpToolsProtocol` counts the bytes of the request
line and headers as they arrive and answers 431 past ``max_header_bytes`` or ``max_headers``,
and gives each request ``read_timeout_seconds`` from its first byte (or from the connection)
to its last; uvicorn's own settings bound idle keep-alive connections and open connections.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.errors import error_body
from api.settings import Settings, get_settings

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection may send before the app is involved (see :class:`Settings`)."""

    max_header_bytes: int
    max_headers: int
    read_timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(settings.max_header_bytes, settings.max_headers, settings.read_timeout_seconds)


class _HeaderLimit(Exception):
    """Raised from a parser callback to stop the parser at once (it wraps the exception)."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header limits and a read timeout.

    Parameters
    ----------
    limits : ConnectionLimits
        Bound with ``functools.partial`` by :func:`uvicorn_options`; the rest is uvicorn's.

    While a request's headers are incomplete, every received chunk counts towards the limit,
    so a refusal comes at most one chunk (256 KiB) past it, before the parser has joined
    anything large; once they are complete, their exact size and number are checked too.
    """

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._reading_headers = True
        self._header_bytes = 0
        self._refusal = ""
        self._read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._reading_headers:
            self._header_bytes += len(data)
            self._arm_read_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refusal:
                self._refuse(431, self._refusal)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:  # as uvicorn does; no upgrade is served
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._reading_headers and self._header_bytes > self.limits.max_header_bytes:
            self._refuse(431, self._too_large())

    def _too_large(self) -> str:
        return f"Request line and headers exceed {self.limits.max_header_bytes} bytes"

    # Parser callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= self.limits.max_headers:
            self._refusal = f"More than {self.limits.max_headers} header fields"
            raise _HeaderLimit
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes:
            self._refusal = self._too_large()
            raise _HeaderLimit
        self._reading_headers = False
        self._header_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_headers = True
        self._disarm_read_timer()
        super().on_message_complete()

    # The read timeout
    def _arm_read_timer(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(
                self.limits.read_timeout_seconds, self._read_timed_out
            )

    def _disarm_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self._refuse(408, "The request did not arrive in time")
        else:  # the app is reading the body: closing tells it the client went away
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` in the service's error schema and close the connection."""
        self.logger.warning("refused a request: %s", message)
        body = error_body(status, message, "-")
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, REASONS[status], len(body))
        )
        self.transport.write(head + body)
        self.transport.close()
        self._disarm_read_timer()


def uvicorn_options(settings: Settings, forwarded_allow_ips: str | None = None) -> dict[str, Any]:
    """Return the keyword arguments of ``uvicorn.run`` that carry the service's limits.

    Parameters
    ----------
    settings : Settings
    forwarded_allow_ips : str, optional
        Overrides ``settings.forwarded_allow_ips`` (``zengshou serve --forwarded-allow-ips``).
        Requests from these addresses may name the client in ``X-Forwarded-For``; from any
        other address that header is ignored. Empty: no proxy is trusted.
    """
    trusted = settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    trusted = ",".join(part.strip() for part in trusted.split(",") if part.strip())
    return {
        "http": functools.partial(
            GuardedHttpToolsProtocol, limits=ConnectionLimits.from_settings(settings)
        ),
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.max_connections,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "ws": "none",  # no WebSocket route; uvicorn would log the handshake's path and query
        "server_header": False,
    }


def serve(
    host: str,
    port: int,
    *,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Run ``api.main:create_app`` under uvicorn with the limits of the ``ZENGSHOU_*`` settings."""
    import uvicorn

    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config(log_level),
        access_log=access_log,
        **uvicorn_options(get_settings(), forwarded_allow_ips),
    )


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, with the service's own logger on its error stream.

    Without it, ``zengshou.api`` records (which version loaded, a reload's swap, why the
    model is not ready) would reach no handler below WARNING.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["zengshou"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config

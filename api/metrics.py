"""Prometheus metrics, kept in a registry per app, and the ASGI middleware that feeds them.

Labels are the route template (a path the caller sent only if it is a known route), the method and the
status: no label can carry a household id, and their number stays bounded.
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import ClientDisconnect

from api.errors import MESSAGES, error_body

log = logging.getLogger("zengshou.api")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
# Headers on every answer: scores are personal data, so nothing may be cached or sniffed.
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


class ServiceMetrics:
    """The service's metrics in their own registry (several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "zengshou_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "zengshou_http_request_duration_seconds",
            "Time from request start to the end of the response, by route template",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.households = Counter(
            "zengshou_households_scored",
            "Households scored",
            registry=self.registry,
        )
        self.model = Gauge(
            "zengshou_model_info",
            "The model serving now (value 1), by name, version and monitoring-line version",
            ["name", "version", "line_version"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "zengshou_model_reloads",
            "Model loads by outcome (swapped, unchanged, failed)",
            ["outcome"],
            registry=self.registry,
        )

    def set_model(self, name: str, version: str, line_version: str) -> None:
        """Show exactly one serving model."""
        self.model.clear()
        self.model.labels(name, version, line_version).set(1)


class ObservabilityMiddleware:
    """Give each request an id, add security headers, and count and time it.

    Parameters
    ----------
    app : ASGI app
    metrics : ServiceMetrics
    routes : set of str
        Known route paths; anything else is labelled ``unmatched``.
    """

    def __init__(self, app, metrics: ServiceMetrics, routes: set[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = secrets.token_hex(8)
        scope["zengshou.request_id"] = rid
        status = 500
        started_response = False

        async def send_with_headers(message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:  # gone before its body arrived (or cut by the read timeout)
            status = 499  # nginx's "client closed request": nobody is left to answer
            log.info("request %s: the client went away before its body arrived", rid)
        except Exception as error:
            # Answer here and do not re-raise: the server would log the message, and messages
            # from data libraries quote the data. The class and the frames are enough to debug.
            log.error(
                "request %s failed with %s (message withheld)\n%s",
                rid,
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            status = 500
            if not started_response:
                body = error_body(500, MESSAGES[500], rid)
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send_with_headers({"type": "http.response.body", "body": body})
        finally:
            # The API has no path parameters, so a known path is its own template.
            template = scope["path"] if scope["path"] in self.routes else "unmatched"
            self.metrics.requests.labels(template, scope["method"], str(status)).inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - started)

"""Keep household ids out of uvicorn's access log.

uvicorn logs each request's path with its query string, so ``GET /v1/model?household_id=X`` or
a 404 on ``/v1/households/X`` would write an id to the log. The filter below rewrites every
access record: the path becomes the matched route template (the service has no path
parameters, so a known path is its own template) or ``<unmatched>``, and the query string is
dropped. A record in a shape it does not know is dropped rather than passed on. uvicorn's
WebSocket handshake lines (on its error logger; the service has no WebSocket route, and
``zengshou serve`` turns WebSockets off) get the same treatment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

ACCESS_LOGGER = "uvicorn.access"
ERROR_LOGGER = "uvicorn.error"
UNMATCHED = "<unmatched>"
WEBSOCKET_PREFIX = '%s - "WebSocket %s"'  # uvicorn.protocols.websockets: (client, path?query)


def route_template(path: str, routes: Collection[str]) -> str:
    """Return ``path`` without its query string if it is a known route, else ``<unmatched>``."""
    bare = path.split("?", 1)[0]
    return bare if bare in routes else UNMATCHED


class RouteTemplateFilter(logging.Filter):
    """Rewrite uvicorn access records to show route templates only.

    Parameters
    ----------
    routes : collection of str
        The app's route paths.
    """

    def __init__(self, routes: Collection[str]) -> None:
        super().__init__()
        self.routes = frozenset(routes)

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn: '%s - "%s %s HTTP/%s" %d' % (client, method, path?query, version, status)
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5 or not isinstance(args[2], str):
            return False
        client, method, path, version, status = args
        record.args = (client, method, route_template(path, self.routes), version, status)
        return True


class WebSocketPathFilter(RouteTemplateFilter):
    """Rewrite the path in uvicorn's WebSocket handshake lines; pass other records unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(WEBSOCKET_PREFIX):
            return True
        args = record.args
        if not isinstance(args, tuple) or len(args) < 2 or not isinstance(args[1], str):
            return False
        record.args = (args[0], route_template(args[1], self.routes), *args[2:])
        return True


def install_access_log_filter(routes: Collection[str]) -> Callable[[], None]:
    """Add the filters to uvicorn's loggers; return the function that removes them."""
    installed = [
        (logging.getLogger(ACCESS_LOGGER), RouteTemplateFilter(routes)),
        (logging.getLogger(ERROR_LOGGER), WebSocketPathFilter(routes)),
    ]
    for logger, path_filter in installed:
        logger.addFilter(path_filter)

    def remove() -> None:
        for logger, path_filter in installed:
            logger.removeFilter(path_filter)

    return remove

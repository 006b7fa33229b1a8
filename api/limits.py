"""Request-body size limit as pure ASGI middleware, so chunked bodies are caught too.

A declared ``Content-Length`` over the limit is refused before a byte is read; a chunked body is
counted as it streams and refused as soon as it passes the limit, without buffering the rest.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from api.errors import error_body


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit; answered with 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds {limit} bytes")


class BodyLimitMiddleware:
    """Answer 413 to any request whose body is larger than ``limit`` bytes."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1  # the server has already refused it
                if declared > self.limit:
                    await self._refuse(scope, send)
                    return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:  # raised where no handler turned it into a response
            if started:
                raise
            await self._refuse(scope, send)

    async def _refuse(self, scope, send) -> None:
        body = error_body(
            413, f"Request body exceeds {self.limit} bytes", scope.get("zengshou.request_id", "-")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

"""One error schema for every non-2xx answer, and the handlers that produce it.

Error bodies never carry a stack trace or a submitted value: validation errors keep the path of
the bad field (``loc``), the rule it broke (``type``) and a generic message, and drop pydantic's
``input`` and ``ctx``. Logs get the request id and the exception class, never its message,
because messages from data libraries tend to quote the data.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorResponse

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    502: "reload_failed",
    503: "not_ready",
}

# Messages we write ourselves; Starlette's defaults ("Not Found") are fine as they are.
MESSAGES: dict[int, str] = {
    422: "The request does not match the schema; see details.",
    500: "Internal error. Quote the request id when reporting it.",
}


def request_id(request: Request) -> str:
    """Return the id the ASGI middleware gave this request."""
    return request.scope.get("zengshou.request_id", "-")


# A path part longer than this is cut: an unknown field's name is the client's text, and a
# megabyte-long name must not come back in full.
MAX_LOC_CHARS = 64


def error_body(
    status: int,
    message: str,
    rid: str,
    details: list[dict[str, Any]] | None = None,
    detail_count: int | None = None,
) -> bytes:
    """Serialise an error in the documented schema."""
    details = details or []
    payload = {
        "error": {
            "code": CODES.get(status, "error"),
            "message": message,
            "request_id": rid,
            "details": details,
            "detail_count": len(details) if detail_count is None else detail_count,
        }
    }
    return ErrorResponse.model_validate(payload).model_dump_json().encode()


def error_response(
    request: Request,
    status: int,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    detail_count: int | None = None,
) -> Response:
    """Build a JSON error response in the documented schema."""
    body = error_body(status, message, request_id(request), details, detail_count)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Keep path, rule and message of each validation error; drop submitted values.

    Path parts longer than ``MAX_LOC_CHARS`` are cut and end with "…".
    """
    return [
        {
            "loc": [_loc_part(part) for part in error["loc"]],
            "msg": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]


def _loc_part(part: Any) -> int | str:
    if isinstance(part, int):
        return part
    text = str(part)
    return text if len(text) <= MAX_LOC_CHARS else text[: MAX_LOC_CHARS - 1] + "…"


def _max_details(request: Request) -> int:
    service = getattr(request.app.state, "service", None)
    return service.settings.max_error_details if service is not None else 20


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    shown = _max_details(request)
    details = clean_validation_errors(errors[:shown])
    message = MESSAGES[422]
    if len(errors) > shown:
        message = (
            f"The request does not match the schema: {len(errors):,} problems, the first "
            f"{shown} listed in details (ZENGSHOU_MAX_ERROR_DETAILS)."
        )
    return error_response(request, 422, message, details, detail_count=len(errors))


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
    if exc.status_code == 404 and message == "Not Found":
        message = _not_found_hint(request)
    return error_response(request, exc.status_code, message, headers=exc.headers)


def _not_found_hint(request: Request) -> str:
    """Say what to do about a path the service does not serve (never repeating the path)."""
    path = request.url.path
    routes = getattr(request.app.state, "routes", frozenset())  # set by api.main.create_app
    if path.endswith("/") and path.rstrip("/") in routes:
        return f"Not found: this path ends with '/'; the service serves {path.rstrip('/')}"
    if path in DOC_PATHS:
        return (
            "Not found: the interactive documentation is off; set ZENGSHOU_DOCS_ENABLED=true "
            "to serve /docs, /redoc and /openapi.json"
        )
    return "Not found"


DOC_PATHS = frozenset({"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"})


def install_error_handlers(app: FastAPI) -> None:
    """Route HTTP and validation errors through the documented schema.

    Unexpected exceptions are answered by :class:`api.metrics.ObservabilityMiddleware`, which
    does not re-raise them (the server would log their message).
    """
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)

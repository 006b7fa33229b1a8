"""Named dependencies: the service's parts and the key checks.

Few and ``async``: FastAPI runs a plain ``def`` dependency in a thread, and each dependency
costs time on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.metrics import ServiceMetrics
from api.model import ModelHolder, Scorer, ServedModel
from api.ratelimit import RateLimiter
from api.security import GRANTS, KeyRecord, KeyStore
from api.settings import Settings

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zengshou"'}

# Either header carries the key; the query string never does (it ends up in access logs).
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="A zengshou API key"
)
bearer = HTTPBearer(
    auto_error=False, scheme_name="Bearer", description="The same key as a bearer token"
)


@dataclass
class Service:
    """Everything a request may need, built by the app factory and its lifespan."""

    settings: Settings
    metrics: ServiceMetrics
    keys: KeyStore
    limiter: RateLimiter
    auth_failures: RateLimiter  # per client address: wrong keys allowed
    holder: ModelHolder | None = None
    scorer: Scorer | None = None

    def served_model(self) -> ServedModel:
        """Return the model serving now; 503 before the first one has loaded."""
        model = self.holder.current if self.holder else None
        if model is None:
            raise HTTPException(503, "The model is not loaded yet", headers={"Retry-After": "5"})
        return model


async def _service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(_service)]


def require(scope: str) -> Callable[..., KeyRecord]:
    """Return a dependency admitting keys that grant ``scope``, within their rate limit."""

    async def check_key(
        request: Request,
        header_key: Annotated[str | None, Security(api_key_header)],
        bearer_key: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> KeyRecord:
        service: Service = request.app.state.service
        # An address that presented too many wrong keys waits, whatever key it sends now:
        # answering a right key differently would let it keep guessing.
        client = request.client.host if request.client else "-"
        retry_after = service.auth_failures.wait(client)
        if retry_after is not None:
            raise HTTPException(
                429,
                "Too many invalid API keys from this address",
                headers={"Retry-After": str(retry_after)},
            )
        presented = header_key or (bearer_key.credentials if bearer_key else None)
        if not presented:
            raise HTTPException(401, "An API key is required", headers=CHALLENGE)
        record = service.keys.match(presented)
        if record is None:
            service.auth_failures.acquire(client)
            raise HTTPException(401, "The API key is not valid", headers=CHALLENGE)
        if scope not in GRANTS[record.scope]:
            raise HTTPException(403, f"This key lacks the '{scope}' scope")
        retry_after = service.limiter.acquire(record.key_id)
        if retry_after is not None:
            raise HTTPException(
                429, "Rate limit exceeded for this key", headers={"Retry-After": str(retry_after)}
            )
        return record

    return check_key


ScoreKey = Annotated[KeyRecord, Depends(require("score"))]
AdminKey = Annotated[KeyRecord, Depends(require("admin"))]

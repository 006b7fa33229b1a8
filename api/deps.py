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
KEY_PREFIX_COUNTED = 12  # characters of a wrong key that name its failure count

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
        """Return the model serving now; 503 naming why before the first one has loaded."""
        model = self.holder.current if self.holder else None
        if model is None:
            problem = self.holder.problem if self.holder else None
            raise HTTPException(
                503,
                f"The model is not loaded: {problem or 'the model is loading'}",
                headers={"Retry-After": "5"},
            )
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
        presented = header_key or (bearer_key.credentials if bearer_key else None)
        if not presented:
            raise HTTPException(401, "An API key is required", headers=CHALLENGE)
        record = service.keys.match(presented)
        if record is None:
            raise wrong_key(service, request, presented)
        if scope not in GRANTS[record.scope]:
            raise HTTPException(403, f"This key lacks the '{scope}' scope")
        retry_after = service.limiter.acquire(record.key_id)
        if retry_after is not None:
            raise HTTPException(
                429, "Rate limit exceeded for this key", headers={"Retry-After": str(retry_after)}
            )
        return record

    return check_key


def wrong_key(service: Service, request: Request, presented: str) -> HTTPException:
    """Count a wrong key against its client address and its prefix; 401, or 429 past the limit.

    A request with a valid key never gets here, so a neighbour sending wrong keys from the
    same address (every client, behind a proxy that is not trusted) cannot lock it out; a
    256-bit key cannot be guessed, so the limit only slows the guessing and keeps the logs
    quiet. The prefix counts a client that keeps sending one stale key from many addresses.
    """
    client = request.client.host if request.client else "-"
    counted = (f"address:{client}", f"prefix:{presented[:KEY_PREFIX_COUNTED]}")
    if service.keys.unavailable:  # the key may well be in the file: not the client's fault
        return HTTPException(
            503,
            "The service cannot read its key file; the operator must repair it (see its log)",
            headers={"Retry-After": "30"},
        )
    waits = [service.auth_failures.wait(name) for name in counted]
    if any(wait is not None for wait in waits):
        return HTTPException(
            429,
            "Too many invalid API keys from this address or with this key",
            headers={"Retry-After": str(max(w for w in waits if w is not None))},
        )
    for name in counted:
        service.auth_failures.acquire(name)
    return HTTPException(401, "The API key is not valid", headers=CHALLENGE)


ScoreKey = Annotated[KeyRecord, Depends(require("score"))]
AdminKey = Annotated[KeyRecord, Depends(require("admin"))]

"""Operations: reload the model the alias points at, without downtime."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException

from api.deps import AdminKey, ServiceDep
from api.schemas import ReloadResult, error_responses

router = APIRouter(prefix="/v1/admin", tags=["admin"])
log = logging.getLogger("zengshou.api")


@router.post("/reload", response_model=ReloadResult, responses=error_responses(401, 403, 429, 502))
async def reload_model(key: AdminKey, service: ServiceDep) -> ReloadResult:
    """Load the alias's current version, smoke-test it, and swap it in atomically.

    Requests in flight finish on the model they started with. If loading or the smoke test
    fails, the model serving now keeps serving and the answer is 502.
    """
    try:
        previous, current = await service.holder.reload()
    except Exception as error:
        reason = str(error).splitlines()[0][:200] if str(error) else ""
        log.error("reload by key %s failed: %s: %s", key.key_id, type(error).__name__, reason)
        raise HTTPException(
            502, f"Reload failed, the served model is unchanged ({type(error).__name__})"
        ) from None
    swapped = previous is not current
    log.info("reload by key %s: version %s", key.key_id, current.version)
    return ReloadResult(
        previous_version=previous.version if previous else None,
        version=current.version,
        swapped=swapped,
    )

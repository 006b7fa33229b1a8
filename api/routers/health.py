"""Liveness (the process answers) and readiness (a checked model is serving)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServiceDep
from api.schemas import Liveness, ModelRef, Readiness, error_responses

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", response_model=Liveness)
async def live() -> Liveness:
    """Answer as long as the process serves HTTP; never depends on the model."""
    return Liveness(status="ok")


@router.get("/ready", response_model=Readiness, responses=error_responses(503))
async def ready(service: ServiceDep) -> Readiness:
    """Answer 200 once a model is loaded and passed its smoke prediction, naming the version
    serving and since when; else 503 saying why (loading, no store, no alias, incomplete
    version, failed smoke check)."""
    model = service.served_model()
    return Readiness(
        status="ready",
        model=ModelRef(name=model.name, version=model.version, alias=model.alias),
        loaded_at=service.holder.loaded_at,
        last_reload_problem=service.holder.problem,
    )

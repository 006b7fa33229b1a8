"""What is being served: the registered model, its training and its input schema."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ScoreKey, ServiceDep
from api.schemas import ModelInfo, error_responses, input_schema

router = APIRouter(prefix="/v1", tags=["model"])


@router.get("/model", response_model=ModelInfo, responses=error_responses(401, 403, 429, 503))
async def describe_model(_key: ScoreKey, service: ServiceDep) -> ModelInfo:
    """Name, version, alias, training date, evaluation metrics and input schema."""
    model = service.served_model()
    return ModelInfo(
        name=model.name,
        version=model.version,
        alias=model.alias,
        run_id=model.run_id,
        training_date=model.training_date,
        line_version=model.line_version,
        metrics=dict(model.metrics),
        training=dict(model.training),
        input_schema=input_schema(),
    )

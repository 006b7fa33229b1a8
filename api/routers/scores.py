"""Risk scores for households: the service's reason to exist."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.deps import ScoreKey, ServiceDep
from api.model import ModelContractError, scores_in_language, smoke_households
from api.schemas import ROW_FIELDS, Household, ScoreResponse, error_responses, score_request_model
from forecast.risk import HistoryError

log = logging.getLogger("zengshou.api")

ReasonLanguage = Annotated[
    Literal["en", "zh"],
    Query(
        description="Language of the reasons: en (English) or zh (中文, for village "
        "monitoring officers). reason_codes are the same in both."
    ),
]


def household_errors(
    households: list[Household], last_years: tuple[int, int] | None
) -> list[dict[str, Any]]:
    """Return what the schema cannot say: repeated ids, repeated years, gaps between years,
    unscorable years.

    ``last_years`` is the range of latest history years the served model can score. A gap
    is refused because the model reads changes between successive rows as last year's
    change ("wage income fell 40 % last year"), which a missing year would make false.
    """
    errors = []
    seen: set[str] = set()
    for index, household in enumerate(households):
        if household.household_id in seen:
            errors.append(
                {
                    "loc": ("body", "households", index, "household_id"),
                    "msg": "household_id repeats an earlier household in this request",
                    "type": "duplicate_household_id",
                }
            )
        seen.add(household.household_id)
        years: set[int] = set()
        for row_index, row in enumerate(household.history):
            if row.year in years:
                errors.append(
                    {
                        "loc": ("body", "households", index, "history", row_index, "year"),
                        "msg": "year repeats an earlier row of this household",
                        "type": "duplicate_year",
                    }
                )
            years.add(row.year)
        if len(years) == len(household.history) and max(years) - min(years) >= len(years):
            order = sorted(range(len(household.history)), key=lambda i: household.history[i].year)
            after_gap = next(
                later
                for earlier, later in zip(order, order[1:], strict=False)
                if household.history[later].year - household.history[earlier].year > 1
            )
            errors.append(
                {
                    "loc": ("body", "households", index, "history", after_gap, "year"),
                    "msg": (
                        "the history's years must be consecutive: a year is missing before "
                        "this one (send the most recent consecutive years only)"
                    ),
                    "type": "year_gap",
                }
            )
        if last_years is not None:
            latest = max(range(len(household.history)), key=lambda i: household.history[i].year)
            if not last_years[0] <= household.history[latest].year <= last_years[1]:
                errors.append(
                    {
                        "loc": ("body", "households", index, "history", latest, "year"),
                        "msg": (
                            f"the latest year must be within {last_years[0]}..{last_years[1]}, "
                            "the years this model's monitoring line can score"
                        ),
                        "type": "year_outside_model_range",
                    }
                )
    return errors


def model_rejection(error: Exception, households: Sequence[Household]) -> list[dict[str, Any]]:
    """Turn the model's refusal of valid-looking households into 422 details.

    The path points at the household, row and field the model named (a
    :class:`~forecast.risk.HistoryError` carries them as attributes); the message itself is
    never passed on (model messages quote values).
    """
    loc: tuple[Any, ...] = ("body", "households")
    index = _household_index(error, len(households))
    if index is not None:
        rows = households[index].history
        row = next((i for i, r in enumerate(rows) if r.year == error.year), None)
        loc = (*loc, index) if row is None else (*loc, index, "history", row)
        if row is not None and error.field in ROW_FIELDS:
            loc = (*loc, error.field)
    return [
        {
            "loc": loc,
            "msg": "the model cannot score this history (a value outside what it was built for)",
            "type": "model_rejected_input",
        }
    ]


def _household_index(error: Exception, n_households: int) -> int | None:
    """The request index of the household a HistoryError names, if it names one.

    The model sees households numbered "0".."N-1" in request order (api.model.build_frame).
    """
    if not isinstance(error, HistoryError) or error.household_id is None:
        return None
    name = error.household_id
    return int(name) if name.isdigit() and int(name) < n_households else None


async def parse_body(request: Request, schema: type[BaseModel]) -> Any:
    """Validate the JSON body against ``schema``, after the key check, in one pass.

    The body is read here rather than by FastAPI so that a caller without a valid key gets
    401 before the server parses anything, and so that pydantic validates the raw bytes
    directly (about twice as fast as ``json.loads`` and then validation on a large batch).
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(415, "Send the body as application/json")
    body = await request.body()
    try:
        parsed = schema.model_validate_json(body)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
    # JSON parsers keep the last of two equal keys; a client sending both meant something.
    # Counting '":' costs ~2 ms for 1,000 households; only a mismatch parses again.
    if body.count(b'":') != keys_sent(parsed) and (repeated := repeated_keys(body)):
        raise RequestValidationError(repeated)
    return parsed


def keys_sent(request: BaseModel) -> int:
    """How many keys the client sent in a valid score request (each object's own fields)."""
    return 1 + sum(
        2 + sum(len(row.model_fields_set) for row in household.history)
        for household in request.households
    )


class _JsonObject(dict):
    """A parsed JSON object that remembers which of its keys were repeated."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    parsed = _JsonObject(pairs)
    if len(parsed) != len(pairs):
        seen: set[str] = set()
        parsed.repeated = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return parsed


def repeated_keys(body: bytes) -> list[dict[str, Any]]:
    """422 details for every key that appears twice in one JSON object of ``body``."""
    errors: list[dict[str, Any]] = []

    def walk(value: Any, loc: tuple) -> None:
        if isinstance(value, _JsonObject):
            for key in dict.fromkeys(value.repeated):
                errors.append(
                    {
                        "loc": ("body", *loc, key),
                        "msg": "this key appears more than once in its object",
                        "type": "duplicate_key",
                    }
                )
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(item, (*loc, position))

    walk(json.loads(body, object_pairs_hook=_object), ())
    return errors


def request_schemas(max_households: int) -> dict[str, Any]:
    """OpenAPI component schemas of the request body (FastAPI does not see it as a parameter)."""
    schema = score_request_model(max_households).model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    return {**schema.pop("$defs", {}), "ScoreRequest": schema}


REQUEST_SCHEMA_REF = "#/components/schemas/ScoreRequest"


def request_example() -> dict[str, Any]:
    """A valid request for the OpenAPI document: two households, their 2020-2022 rows."""
    households = smoke_households((2020, 2021, 2022))
    return {
        "households": [
            {**household, "household_id": f"H{number:07d}"}
            for number, household in enumerate(households, start=1)
        ]
    }


def build_router(max_households: int) -> APIRouter:
    """Return the scores router accepting 1 to ``max_households`` households per request."""
    score_request = score_request_model(max_households)
    router = APIRouter(prefix="/v1", tags=["scores"])

    @router.post(
        "/risk-scores",
        response_model=ScoreResponse,
        responses=error_responses(401, 403, 413, 415, 422, 429, 503),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": REQUEST_SCHEMA_REF},
                        "example": request_example(),
                    }
                },
            }
        },
    )
    async def score(
        _key: ScoreKey, service: ServiceDep, http_request: Request, lang: ReasonLanguage = "en"
    ) -> Response:
        """Score 1 to N households (N is ``ZENGSHOU_MAX_HOUSEHOLDS``, 1,000 by default).

        Each household brings its 1 to 5 most recent years of history. Scores come back in
        the order sent; scoring many households at once gives exactly what one-by-one calls
        give. Every answer names the model version and the monitoring-line version.
        Households the schema admits but the model cannot score get 422: type
        ``year_outside_model_range`` for a latest year the model's monitoring line does not
        cover, ``model_rejected_input`` for other values the model refuses. Repeated ids or
        years, gaps between years and keys repeated in one JSON object are 422 too.
        ``lang`` (``en`` or ``zh``) is the language of the reasons; ``reason_codes`` name
        the same reasons for machines, whatever the language.
        """
        model = service.served_model()
        request = await parse_body(http_request, score_request)
        households = request.households
        if errors := household_errors(households, model.last_years):
            raise RequestValidationError(errors)
        try:
            scores, line_version = await service.scorer.score(model, households)
        except (HistoryError, ModelContractError) as error:
            # Valid by the schema, refused by the model: the caller's data, not a server fault.
            log.warning("model refused a request's households (%s)", type(error).__name__)
            raise RequestValidationError(model_rejection(error, households)) from None
        service.metrics.households.inc(len(households))
        scores = [
            {"household_id": household.household_id, **answer}
            for household, answer in zip(households, scores_in_language(scores, lang), strict=True)
        ]
        payload = {
            "model": {"name": model.name, "version": model.version, "alias": model.alias},
            "line_version": line_version,
            "scores": scores,
        }
        # The scores were checked against the contract already: skip a second validation.
        return Response(json.dumps(payload, allow_nan=False), media_type="application/json")

    return router

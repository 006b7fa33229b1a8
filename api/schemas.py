"""Request and response schemas of the risk-score service.

A history row is built from ``forecast.schema.COLUMNS``, so its fields, types, categories and
ranges are the panel's own: the service cannot drift from the schema the model was trained on.
Every model is strict: unknown fields are rejected, numbers are not parsed from strings, ids
stay strings, NaN and Infinity are refused.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from forecast.schema import COLUMNS, Column

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

# Row fields the service takes: the panel's columns minus the key (given once per household),
# the derived per-capita income (the model derives it) and the survey weight (not a household
# attribute: it says how many households a sample row represents).
NOT_IN_ROW = frozenset({"household_id", "net_income_per_capita", "weight"})
MAX_HISTORY_YEARS = 5

# Identifiers are pseudonyms and codes: a closed alphabet keeps them out of log-injection and
# out of anything a spreadsheet would turn into a number.
ID_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._:-]{0,63}$"
HouseholdId = Annotated[
    str, Field(pattern=ID_PATTERN, description="Pseudonymous household id (户编号, hashed)")
]
_CODE_PATTERNS = {"county_code": r"^[0-9]{6}$", "village_code": r"^[0-9A-Za-z._-]{1,32}$"}

_PYTHON_TYPES: dict[str, Any] = {"int": int, "float": float, "bool": bool, "str": str}


def _row_field(column: Column) -> tuple[Any, Any]:
    if column.kind == "category":
        kind: Any = Literal[column.categories]  # type: ignore[valid-type]
    else:
        kind = _PYTHON_TYPES[column.kind]
    constraints: dict[str, Any] = {"description": f"{column.meaning} [{column.unit}]"}
    if column.minimum is not None:
        constraints |= {"ge": column.minimum, "le": column.maximum}
    if column.name in _CODE_PATTERNS:
        constraints["pattern"] = _CODE_PATTERNS[column.name]
    if column.required:
        return kind, Field(**constraints)
    return kind | None, Field(default=None, **constraints)


def _check_labour_force(row: Any) -> Any:
    if row.labour_force > row.members:
        raise ValueError("labour_force must not exceed members")
    return row


ROW_FIELDS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.name not in NOT_IN_ROW)

HistoryRow = create_model(
    "HistoryRow",
    __config__=STRICT,
    __doc__="One year of a household's record, in the panel schema (src/forecast/schema.py).",
    __validators__={
        "labour_force_at_most_members": model_validator(mode="after")(_check_labour_force)
    },
    **{c.name: _row_field(c) for c in COLUMNS if c.name not in NOT_IN_ROW},
)


class Household(BaseModel):
    """A household to score: its pseudonymous id and its most recent years of history."""

    model_config = STRICT

    household_id: HouseholdId
    history: list[HistoryRow] = Field(  # type: ignore[valid-type]
        min_length=1,
        max_length=MAX_HISTORY_YEARS,
        description="1 to 5 most recent years, one row per year, years distinct",
    )


@cache
def score_request_model(max_households: int) -> type[BaseModel]:
    """Return the request schema allowing 1 to ``max_households`` households."""
    return create_model(
        "ScoreRequest",
        __config__=STRICT,
        __doc__="Households to score. Scoring them in one call equals scoring each alone.",
        households=(
            list[Household],
            Field(min_length=1, max_length=max_households, description="Distinct household ids"),
        ),
    )


class HouseholdScore(BaseModel):
    """The model's answer for one household."""

    household_id: str
    score_year: int = Field(description="Year the risk refers to (last history year + 1)")
    probability: float = Field(ge=0, le=1, description="Probability of falling under the line")
    band: Literal["low", "medium", "high"]
    flag: bool = Field(description="Whether the model recommends a visit")
    reasons: list[str] = Field(
        max_length=3, description="Top contributing factors, in words, in the language asked"
    )
    reason_codes: list[str] = Field(
        max_length=3,
        description="The same factors, machine-readable: the feature each reason quotes "
        "(e.g. wage_change), in the order of reasons and whatever the language",
    )
    line_yuan: float = Field(description="Monitoring line used, yuan per person per year")


class ModelRef(BaseModel):
    """Which registered model answered."""

    name: str
    version: str
    alias: str


class ScoreResponse(BaseModel):
    """Scores in the order the households were sent."""

    model: ModelRef
    line_version: str = Field(description="Version of the monitoring-line table the model used")
    scores: list[HouseholdScore]


class InputField(BaseModel):
    """One input field of the model, as the service validates it."""

    name: str
    type: str
    unit: str
    required: bool
    minimum: float | None = None
    maximum: float | None = None
    categories: list[str] | None = None


class ModelInfo(BaseModel):
    """What is being served."""

    name: str
    version: str
    alias: str
    run_id: str | None
    training_date: str | None = Field(description="ISO 8601, UTC")
    line_version: str
    metrics: dict[str, float] = Field(description="Evaluation metrics logged with the model")
    training: dict[str, str] = Field(
        description="How it was trained: label, kind, years, code version, data fingerprint"
    )
    input_schema: list[InputField]


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """A model is serving: which one, since when, and whether the last reload failed."""

    status: Literal["ready"]
    model: ModelRef
    loaded_at: str | None = Field(description="When this version was swapped in (ISO 8601, UTC)")
    last_reload_problem: str | None = Field(
        default=None,
        description="Why the last reload failed (the version above kept serving); null if it "
        "did not",
    )


class ReloadResult(BaseModel):
    """Outcome of a reload: the version before and the version now serving."""

    previous_version: str | None
    version: str
    swapped: bool = Field(description="False when the alias still points at the served version")


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(description="Path of the offending field")
    msg: str
    type: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error")
    message: str
    request_id: str = Field(description="Also in the X-Request-ID header and the service log")
    details: list[ErrorDetail] = Field(
        default_factory=list,
        description="Field-level problems, at most ZENGSHOU_MAX_ERROR_DETAILS (20) of them",
    )
    detail_count: int = Field(
        default=0, description="How many problems were found (more than listed when cut)"
    )


class ErrorResponse(BaseModel):
    """The one error schema of every non-2xx answer."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting errors with :class:`ErrorResponse`."""
    return {status: {"model": ErrorResponse} for status in statuses}


def input_schema() -> list[InputField]:
    """Describe the row fields the service accepts, from the panel schema."""
    fields = [InputField(name="household_id", type="str", unit="-", required=True)]
    for column in COLUMNS:
        if column.name in NOT_IN_ROW:
            continue
        fields.append(
            InputField(
                name=column.name,
                type=column.kind,
                unit=column.unit,
                required=column.required,
                minimum=column.minimum,
                maximum=column.maximum,
                categories=list(column.categories) if column.categories else None,
            )
        )
    return fields

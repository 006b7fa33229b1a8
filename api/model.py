"""The served model: what it is, how requests reach it, and how it is swapped.

``ModelHolder`` keeps the model serving now in one attribute; a reload loads and checks the new
version beside it and replaces the attribute in one assignment, so a request uses the model it
found on arrival from start to end and a failed load changes nothing.

``Scorer`` turns validated households into the model's input frame (column by column, in the
panel's dtypes) and coalesces concurrent requests into one model call: the model's contract is
that scoring N households at once equals N single calls, and one call for eight households
costs about what one call for one does. Household ids never reach the model: each call numbers
its households, so equal ids from different requests cannot be merged, and no model error
message can quote an id.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from api.schemas import ROW_FIELDS, Household
from forecast.i18n import catalogue
from forecast.risk import BANDS, OUTPUT_COLUMNS
from forecast.risk.reasons import say_reasons
from forecast.schema import COLUMNS_BY_NAME

log = logging.getLogger("zengshou.api")


@dataclass(frozen=True)
class ServedModel:
    """A loaded model and what the service says about it.

    Parameters
    ----------
    name, version, alias : str
        Registered model name, version and the alias it was loaded through.
    predict : callable
        ``predict(frame) -> frame``: the model contract of ``forecast.risk`` (one row per
        household in order of first appearance, with probability, band, flag, reasons,
        line_yuan and line_version).
    run_id, training_date : str, optional
        The MLflow run that produced it and when it ran (ISO 8601, UTC).
    metrics : mapping of str to float
        Evaluation metrics logged with the model.
    line_version : str
        Version of the monitoring-line table the model scores against.
    training : mapping of str to str
        How it was trained (label, kind, years, code version, data fingerprint).
    last_years : (int, int), optional
        Range of a household's latest history year the model can score (its monitoring line
        must cover that year and the next); None when the model takes any year in the schema.
    """

    name: str
    version: str
    alias: str
    predict: Callable[[pd.DataFrame], pd.DataFrame]
    run_id: str | None = None
    training_date: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    line_version: str = ""
    training: Mapping[str, str] = field(default_factory=dict)
    last_years: tuple[int, int] | None = None


class ModelContractError(RuntimeError):
    """The model's answer does not follow the scoring contract."""


class ModelUnavailable(RuntimeError):
    """The model cannot be loaded, for a reason the service states (its message is public:
    it names no path and no value, only what is wrong and what to do)."""


def public_reason(error: BaseException) -> str:
    """Say why a load failed, in words fit for ``/health/ready`` (details go to the log)."""
    if isinstance(error, ModelUnavailable | ModelContractError):
        return str(error)
    return f"loading failed ({type(error).__name__}); see the service log"


def _dtype(name: str) -> Any:
    """The dtype ``forecast.panel.load_panel`` gives column ``name``."""
    column = COLUMNS_BY_NAME[name]
    if column.kind == "int":
        return "int64" if column.required else "Int64"
    if column.kind == "float":
        return "float64"
    if column.kind == "bool":
        return "bool" if column.required else "boolean"
    if column.kind == "category":
        return pd.CategoricalDtype(list(column.categories))
    return "str"


FRAME_DTYPES: dict[str, Any] = {"household_id": "str"} | {n: _dtype(n) for n in ROW_FIELDS}


# Category codes of each category column, with None for a missing optional value.
_CATEGORY_CODES: dict[str, dict[Any, int]] = {
    name: {None: -1} | {label: code for code, label in enumerate(dtype.categories)}
    for name, dtype in FRAME_DTYPES.items()
    if isinstance(dtype, pd.CategoricalDtype)
}


def _column(name: str, values: list) -> Any:
    """One frame column in its panel dtype, built the cheap way for each kind."""
    dtype = FRAME_DTYPES[name]
    if name in _CATEGORY_CODES:
        codes = _CATEGORY_CODES[name]
        return pd.Categorical.from_codes([codes[v] for v in values], dtype=dtype)
    if dtype in ("int64", "float64", "bool"):
        return np.array(values, dtype=dtype)
    if dtype == "Int64":
        mask = np.array([v is None for v in values], dtype=bool)
        filled = np.array([0 if v is None else v for v in values], dtype=np.int64)
        return pd.arrays.IntegerArray(filled, mask)
    if dtype == "boolean":
        mask = np.array([v is None for v in values], dtype=bool)
        return pd.arrays.BooleanArray(np.array([bool(v) for v in values], dtype=bool), mask)
    return pd.array(values, dtype=dtype)


def build_frame(batches: Sequence[Sequence[Household]]) -> pd.DataFrame:
    """Return the model's input: one row per history year, households numbered ``"0".."N-1"``.

    Built column by column from the validated rows, in the dtypes ``load_panel`` gives.

    Parameters
    ----------
    batches : sequence of sequences of Household
        Validated households of one or more requests, in order.
    """
    rows = []
    ids = []
    number = 0
    for households in batches:
        for household in households:
            ids.extend([str(number)] * len(household.history))
            rows.extend(row.__dict__ for row in household.history)
            number += 1
    columns = {"household_id": pd.array(ids, dtype="str")}
    for name in ROW_FIELDS:
        columns[name] = _column(name, [row[name] for row in rows])
    return pd.DataFrame(columns, copy=False)


def read_scores(result: pd.DataFrame, n_households: int) -> tuple[list[dict[str, Any]], str]:
    """Check the model's answer against the contract and return ``(scores, line_version)``.

    Scores come back in household order, without ids (the caller restores them), with their
    reasons as ``reason_details``, to be said in the caller's language (:func:`scores_in_language`).

    Raises
    ------
    ModelContractError
        On missing columns, a wrong number or order of households, a probability outside
        [0, 1], an unknown band, more than three reasons or a reason detail that is not
        ``{"code", "key", "fields"}`` with a key of the message catalogue.
    """
    missing = [c for c in OUTPUT_COLUMNS if c not in result]
    if missing:
        raise ModelContractError(f"model output lacks columns {missing}")
    if len(result) != n_households:
        raise ModelContractError(f"model returned {len(result)} rows for {n_households}")
    # Plain lists: for a few households, cheaper than any vectorised check.
    ids, years, probability, bands, flags, reasons, line_yuan, line_versions, details = (
        result[name].tolist() for name in OUTPUT_COLUMNS
    )
    expected = [str(i) for i in range(n_households)]
    if ids != expected and [str(i) for i in ids] != expected:
        raise ModelContractError("model output is not one row per household in input order")
    if not all(0.0 <= p <= 1.0 for p in probability):  # NaN fails too
        raise ModelContractError("probability outside [0, 1] or missing")
    if not all(math.isfinite(line) for line in line_yuan):
        raise ModelContractError("line_yuan missing or not finite")
    if not set(BANDS).issuperset(bands):
        raise ModelContractError("band outside low|medium|high")
    reasons = [[str(r) for r in listed] for listed in reasons]
    if any(len(r) > 3 for r in reasons):
        raise ModelContractError("more than three reasons")
    details = [list(listed) for listed in details]
    if [len(d) for d in details] != [len(r) for r in reasons]:
        raise ModelContractError("reason_details do not match reasons one to one")
    known = catalogue()
    if not all(_is_reason(d, known) for listed in details for d in listed):
        raise ModelContractError("a reason detail lacks code, catalogue key or fields")
    versions = set(map(str, line_versions))
    if len(versions) > 1:
        raise ModelContractError("one call answered with several monitoring-line versions")
    scores = [
        {
            "score_year": int(year),
            "probability": float(p),
            "band": str(band),
            "flag": bool(flag),
            "reason_details": why,
            "line_yuan": float(line),
        }
        for year, p, band, flag, why, line in zip(
            years, probability, bands, flags, details, line_yuan, strict=True
        )
    ]
    return scores, versions.pop() if versions else ""


def _is_reason(detail: Any, known: Mapping[str, Any]) -> bool:
    return (
        isinstance(detail, Mapping)
        and isinstance(detail.get("code"), str)
        and detail.get("key") in known
        and isinstance(detail.get("fields"), Mapping)
    )


def scores_in_language(scores: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Scores as the service answers them: each ``reason_details`` said in ``lang`` as
    ``reasons``, with the machine-readable ``reason_codes`` (the features quoted) beside."""
    answers = [dict(score) for score in scores]
    details = [answer.pop("reason_details") for answer in answers]
    for answer, words, listed in zip(answers, say_reasons(details, lang), details, strict=True):
        answer["reasons"] = words
        answer["reason_codes"] = [d["code"] for d in listed]
    return answers


def score_batches(
    model: ServedModel, batches: Sequence[Sequence[Household]]
) -> list[tuple[list[dict[str, Any]], str]]:
    """Score several requests' households in one model call; return each request's answer."""
    n_households = sum(len(b) for b in batches)
    scores, line_version = read_scores(model.predict(build_frame(batches)), n_households)
    answers = []
    start = 0
    for households in batches:
        answers.append((scores[start : start + len(households)], line_version))
        start += len(households)
    return answers


@dataclass
class _Job:
    model: ServedModel
    households: Sequence[Household]
    future: asyncio.Future


class Scorer:
    """Score requests through one worker thread, coalescing those that wait into one call.

    Parameters
    ----------
    max_batch_households : int
        Most households in one model call; a single larger request still goes alone.
    """

    def __init__(self, max_batch_households: int) -> None:
        self.max_batch_households = max_batch_households
        self._pending: deque[_Job] = deque()
        self._worker: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zengshou-score")

    async def score(
        self, model: ServedModel, households: Sequence[Household]
    ) -> tuple[list[dict[str, Any]], str]:
        """Return ``(scores, line_version)`` for ``households``, scored by ``model``."""
        loop = asyncio.get_running_loop()
        job = _Job(model, households, loop.create_future())
        self._pending.append(job)
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await job.future

    def _take_batch(self) -> list[_Job]:
        first = self._pending.popleft()
        batch, total = [first], len(first.households)
        while self._pending:
            job = self._pending[0]
            if job.model is not first.model:  # requests keep the model they arrived under
                break
            if total + len(job.households) > self.max_batch_households:
                break
            batch.append(self._pending.popleft())
            total += len(job.households)
        return batch

    async def _drain(self) -> None:
        while self._pending:
            batch = self._take_batch()
            model = batch[0].model
            households = [job.households for job in batch]
            try:
                answers = await self._run(model, households)
            except Exception as error:
                if len(batch) == 1:
                    _settle(batch[0].future, error=error)
                    continue
                # One request's households broke the call: score each alone, so only it fails.
                for job in batch:
                    try:
                        (answer,) = await self._run(model, [job.households])
                    except Exception as own_error:
                        _settle(job.future, error=own_error)
                    else:
                        _settle(job.future, answer)
                continue
            for job, answer in zip(batch, answers, strict=True):
                _settle(job.future, answer)

    async def _run(self, model: ServedModel, households: list[Sequence[Household]]):
        # In a thread, so the event loop keeps reading requests meanwhile: they form the
        # next batch. (Scoring inline gives smaller batches and costs more per request.)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, score_batches, model, households)

    def close(self) -> None:
        """Stop the worker thread (after the call in progress)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _settle(future: asyncio.Future, answer: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # the client went away and its request was cancelled
        return
    if error is None:
        future.set_result(answer)
    else:
        future.set_exception(error)


SMOKE_YEARS: tuple[int, int, int] = (2020, 2021, 2022)


def smoke_households(years: Sequence[int] = SMOKE_YEARS) -> tuple[dict[str, Any], ...]:
    """Two plausible households (never real ones) with history rows in ``years``."""
    return tuple(
        {
            "household_id": f"smoke-{n}",
            "history": [
                {
                    "year": year,
                    "county_code": "530102",
                    "village_code": "530102001",
                    "members": 4,
                    "labour_force": 2 - n,
                    "head_age": 48,
                    "head_education": "primary",
                    "wage_income": 21000.0 + 1500 * i - 9000 * n,
                    "operating_income": 6000.0,
                    "property_income": 300.0,
                    "transfer_income": 2500.0 + 1000 * n,
                    "monitored": bool(n),
                    "monitored_type": "marginal_at_risk" if n else "none",
                    "relocated": False,
                    "key_county": "national",
                    "shock_illness": bool(n and i == len(years) - 1),
                    "shock_disaster": False,
                    **{name: False for name in ROW_FIELDS if name.startswith("received_")},
                }
                for i, year in enumerate(years)
            ],
        }
        for n in (0, 1)
    )


# The smoke households of a model that takes any year (kept for tests and examples).
SMOKE_HOUSEHOLDS: tuple[dict[str, Any], ...] = smoke_households()


def smoke_years(model: ServedModel) -> tuple[int, int, int]:
    """Three consecutive history years ``model`` can score, from what it says about itself.

    The latest year is the one before the model's evaluation year when known (a year it has
    seen), else 2022, moved into the range of latest years its monitoring line covers, so a
    model whose line starts later (or ends earlier) is smoke-tested with years it accepts.
    """
    low, high = int(COLUMNS_BY_NAME["year"].minimum) + 2, int(COLUMNS_BY_NAME["year"].maximum)
    try:
        last = int(model.training["evaluate_year"]) - 1
    except (KeyError, TypeError, ValueError):
        last = SMOKE_YEARS[-1]
    if model.last_years is not None:
        low, high = max(low, model.last_years[0]), min(high, model.last_years[1])
    last = min(max(last, low), high)
    return (last - 2, last - 1, last)


def check_model(model: ServedModel) -> str:
    """Smoke-test ``model`` before it serves; return its monitoring-line version.

    Scores two built-in households (in years from :func:`smoke_years`) together and each
    alone, and requires valid answers and identical probabilities: the batching contract the
    service relies on.

    Raises
    ------
    ModelContractError
        When the model fails or breaks the contract.
    """
    households = [Household.model_validate(h) for h in smoke_households(smoke_years(model))]
    try:
        ((together, line_version),) = score_batches(model, [households])
        alone = [score_batches(model, [[h]])[0][0][0] for h in households]
    except ModelContractError:
        raise
    except Exception as error:
        raise ModelContractError(f"smoke prediction failed: {type(error).__name__}") from error
    for joint, single in zip(together, alone, strict=True):
        if not math.isclose(joint["probability"], single["probability"], abs_tol=1e-9):
            raise ModelContractError("batch scores differ from single scores")
    return line_version


class ModelHolder:
    """The model serving now, and the one place that replaces it.

    Parameters
    ----------
    loader : callable
        ``loader() -> ServedModel``; runs in a thread, so serving continues while it loads.
    on_swap : callable
        Called with the new model after each swap (metrics).
    on_outcome : callable
        Called with ``"swapped"``, ``"unchanged"`` or ``"failed"`` after each load (metrics).

    Attributes
    ----------
    current : ServedModel or None
        The model serving now.
    loaded_at : str or None
        When it was swapped in (ISO 8601, UTC).
    problem : str or None
        Why the last load failed (public words, see :func:`public_reason`); None after a
        successful one. Before the first load ends: "the model is loading".
    """

    def __init__(
        self,
        loader: Callable[[], ServedModel],
        on_swap: Callable[[ServedModel], None] = lambda model: None,
        on_outcome: Callable[[str], None] = lambda outcome: None,
    ) -> None:
        self.loader = loader
        self.on_swap = on_swap
        self.on_outcome = on_outcome
        self.current: ServedModel | None = None
        self.loaded_at: str | None = None
        self.problem: str | None = "the model is loading"
        self._lock = asyncio.Lock()

    def _load_checked(self) -> ServedModel:
        candidate = self.loader()
        line_version = check_model(candidate)
        if line_version and line_version != candidate.line_version:
            candidate = replace(candidate, line_version=line_version)
        return candidate

    async def reload(self) -> tuple[ServedModel | None, ServedModel]:
        """Load and check the alias's current version, then swap it in.

        Returns ``(previous, current)``; if the version is unchanged the served model stays.
        On any failure the exception propagates and the served model is untouched.
        """
        async with self._lock:  # one reload at a time
            try:
                candidate = await asyncio.to_thread(self._load_checked)
            except Exception as error:
                self.problem = public_reason(error)
                self.on_outcome("failed")
                raise
            self.problem = None
            previous = self.current
            if previous is not None and previous.version == candidate.version:
                self.on_outcome("unchanged")
                log.info(
                    "reload: %s@%s still points at version %s, which keeps serving",
                    candidate.name,
                    candidate.alias,
                    candidate.version,
                )
                return previous, previous
            self.current = candidate  # the swap: one assignment
            self.loaded_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.on_swap(candidate)
            self.on_outcome("swapped")
            if previous is None:
                log.info(
                    "serving %s version %s (%s@%s, line %s)",
                    candidate.name,
                    candidate.version,
                    candidate.name,
                    candidate.alias,
                    candidate.line_version or "-",
                )
            else:
                log.info(
                    "reload swapped %s version %s for version %s (%s@%s)",
                    candidate.name,
                    previous.version,
                    candidate.version,
                    candidate.name,
                    candidate.alias,
                )
            return previous, candidate

    async def watch(self, resolve_version: Callable[[], str], every_seconds: float) -> None:
        """Reload whenever ``resolve_version()`` (where the alias points) differs from the
        version serving; a failed check or load is logged and the served model stays."""
        while True:
            await asyncio.sleep(every_seconds)
            if self.current is None:
                continue  # keep_loading is still at it
            try:
                if await asyncio.to_thread(resolve_version) != self.current.version:
                    await self.reload()
            except Exception as error:
                log.error("alias check or reload failed: %s", _log_reason(error))

    async def keep_loading(self, retry_seconds: float) -> None:
        """Load the first model, retrying until it works (the service is not ready before)."""
        while self.current is None:
            try:
                await self.reload()
            except Exception as error:
                log.error(
                    "model not loaded, retrying in %gs: %s", retry_seconds, _log_reason(error)
                )
                await asyncio.sleep(retry_seconds)


def _log_reason(error: BaseException) -> str:
    """The exception's class and the first line of its message, shortened, for the log."""
    first = str(error).splitlines()[0][:300] if str(error) else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__

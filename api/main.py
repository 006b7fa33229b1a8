"""The app factory: ``create_app(load_model=..., settings=...)``.

``uvicorn api.main:create_app --factory`` (what ``zengshou serve`` runs) builds the app from
``ZENGSHOU_*`` settings and loads ``models:/household-risk@champion`` in the background after
startup: ``/health/live`` answers at once, ``/health/ready`` once the model has passed its smoke
prediction. Tests pass a fake loader and explicit settings and need no environment.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import registry
from api.accesslog import install_access_log_filter
from api.deps import Service
from api.docs import DOC_ROUTES, install_docs
from api.errors import install_error_handlers
from api.limits import BodyLimitMiddleware
from api.metrics import ObservabilityMiddleware, ServiceMetrics
from api.model import ModelHolder, Scorer, ServedModel
from api.ratelimit import RateLimiter
from api.routers import admin, health, metrics, model, scores
from api.security import KeyStore, parse_hash_list
from api.settings import Settings, get_settings
from forecast.risk.policy import risk_policy

log = logging.getLogger("zengshou.api")

ModelLoader = Callable[[Settings], ServedModel]


def create_app(
    load_model: ModelLoader | None = None,
    settings: Settings | None = None,
    alias_version: Callable[[Settings], str] | None = None,
) -> FastAPI:
    """Build the risk-score service.

    Parameters
    ----------
    load_model : callable, optional
        ``load_model(settings) -> ServedModel``. Defaults to loading the registered model
        ``settings.model_name`` at ``settings.model_alias`` from MLflow.
    settings : Settings, optional
        Defaults to the cached settings read from ``ZENGSHOU_*`` environment variables.
    alias_version : callable, optional
        ``alias_version(settings) -> str``, where the alias points now; used when
        ``settings.watch_alias_seconds`` > 0. Defaults to asking MLflow when ``load_model`` is
        the default too.
    """
    settings = settings or get_settings()
    loader = partial(load_model or registry.load_registered_model, settings)
    if alias_version is None and load_model is None:
        alias_version = registry.alias_version
    service_metrics = ServiceMetrics()
    keys = KeyStore(settings.keys_file(), parse_hash_list(settings.api_key_hashes))
    limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    auth_failures = RateLimiter(
        settings.auth_failure_limit / settings.auth_failure_window_seconds,
        settings.auth_failure_limit,
    )
    service = Service(
        settings=settings,
        metrics=service_metrics,
        keys=keys,
        limiter=limiter,
        auth_failures=auth_failures,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        remove_access_filter = install_access_log_filter(routes)
        if len(keys) == 0:
            log.warning("no API keys configured (%s): every scoring call gets 401", keys.path)
        service.holder = ModelHolder(
            loader,
            on_swap=lambda m: service_metrics.set_model(m.name, m.version, m.line_version),
            on_outcome=lambda outcome: service_metrics.reloads.labels(outcome).inc(),
        )
        service.scorer = Scorer(settings.max_batch_households)
        tasks = [asyncio.create_task(_load_then_freeze(service.holder, settings))]
        if settings.watch_alias_seconds > 0 and alias_version is not None:
            resolve = partial(alias_version, settings)
            watch = service.holder.watch(resolve, settings.watch_alias_seconds)
            tasks.append(asyncio.create_task(watch))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            service.scorer.close()
            remove_access_filter()

    docs = settings.docs_enabled
    app = FastAPI(
        title="zengshou risk-score service",
        summary="Return-to-poverty risk scores for households under income monitoring.",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served by api.docs from local files, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # A path with a trailing slash is a 404 saying which path to use: a redirect would
        # name an http:// URL behind a TLS proxy.
        redirect_slashes=False,
    )
    app.state.service = service
    if docs:
        install_docs(app)

    routers = (
        scores.build_router(settings.max_households),
        model.router,
        admin.router,
        health.router,
        metrics.router,
    )
    for router in routers:
        app.include_router(router)
    routes = {route.path for router in routers for route in router.routes}
    if docs:
        routes |= set(DOC_ROUTES)
    app.state.routes = frozenset(routes)
    install_error_handlers(app)
    _document_request_body(app, scores.request_schemas(settings.max_households))

    # Added innermost first: CORS (only if configured), then the body limit, then the
    # outermost layer giving every answer a request id, security headers and metrics.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware, metrics=service_metrics, routes=routes)
    return app


async def _load_then_freeze(holder: ModelHolder, settings: Settings) -> None:
    """Load the first model, then exempt everything alive from the garbage collector.

    The libraries and the model are millions of long-lived objects; without this, every
    full collection walks them all and stalls a request by some 150 ms (seen on the
    1,000-household batch). Objects made later are collected as usual.
    """
    await holder.keep_loading(settings.load_retry_seconds)
    if settings.gc_freeze:
        gc.freeze()


def _document_request_body(app: FastAPI, schemas: dict) -> None:
    """Add the scores request schemas, and the risk policy's band and flag thresholds, to the
    OpenAPI document FastAPI generates (when it is first asked for, never at import)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            document = generate()
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(schemas)
            score = components["HouseholdScore"]["properties"]
            score["band"]["description"], score["flag"]["description"] = band_descriptions()
        return app.openapi_schema

    app.openapi = openapi


def band_descriptions() -> tuple[str, str]:
    """How the shipped risk policy (data/risk_policy.yaml) turns a probability into band and flag."""
    policy = risk_policy()
    medium, high = policy.band_edges
    band = (
        f"low below {medium:.2f}, medium from {medium:.2f}, high from {high:.2f} "
        f"(risk policy {policy.version}; the served model's policy version is in its "
        "training record, GET /v1/model)"
    )
    flag = (
        f"Whether the model recommends a visit: probability {policy.flag_probability:.2f} "
        f"or more (risk policy {policy.version})"
    )
    return band, flag

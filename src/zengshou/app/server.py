"""The app's web server: Solara's Starlette routes under uvicorn, behind a login when the app
listens beyond this machine.

Solara imports the app by name (``SOLARA_APP``) when its server module is first imported, so
the environment is set before that import; telemetry is switched off (nothing leaves the
machine) and plots draw off-screen.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

from zengshou.app.settings import AppSettings, is_loopback

APP_MODULE = "zengshou.app.main"


def prepare_environment(settings: AppSettings) -> None:
    """Set what Solara, matplotlib and the workers read from the environment."""
    os.environ.update(settings.to_environment())
    os.environ["SOLARA_APP"] = APP_MODULE
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    os.environ["MPLBACKEND"] = "Agg"


def build_app(settings: AppSettings):
    """The ASGI app: Solara's routes, plus ``/login`` and a session check when required."""
    prepare_environment(settings)
    threading.Thread(target=_warm_up, daemon=True).start()
    from solara.server import starlette as solara_server
    from starlette.applications import Starlette

    from zengshou.app.security import Gate, LoginRequired, login_routes

    if not settings.require_login:
        return solara_server.app
    gate = Gate(Path(settings.password_file) if settings.password_file else None)
    app = Starlette(
        routes=[*login_routes(gate), *solara_server.routes],
        lifespan=solara_server.lifespan,
        middleware=solara_server.middleware,
    )
    return LoginRequired(app, gate)


def _warm_up() -> None:
    """Import what the pages need (MLflow, the plots) while the first browser connects, so
    that no page waits for an import."""
    import mlflow  # noqa: F401

    import simulation.montecarlo.plots  # noqa: F401
    import zengshou.app.main  # noqa: F401


def effective_settings(settings: AppSettings, host: str) -> AppSettings:
    """``settings`` as they apply on ``host``: login required beyond this machine."""
    return dataclasses.replace(settings, require_login=not is_loopback(host))


def serve(settings: AppSettings, host: str, port: int) -> None:
    """Run the app under uvicorn on ``host:port`` until interrupted."""
    import uvicorn

    settings = effective_settings(settings, host)
    uvicorn.run(build_app(settings), host=host, port=port, log_level="warning", access_log=False)


def asgi_app():
    """Factory for ``uvicorn --factory zengshou.app.server:asgi_app`` (settings from the
    environment, as ``zengshou app`` sets them)."""
    return build_app(AppSettings.from_environment())


__all__ = [
    "APP_MODULE",
    "asgi_app",
    "build_app",
    "effective_settings",
    "prepare_environment",
    "serve",
]

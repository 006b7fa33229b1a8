"""Fixtures for the service's unit tests: the app factory with a fake model, no environment.

Helpers live in ``api_fakes.py`` (not a package: ``tests/api`` must not shadow ``api``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_fakes import fake_served, settings_for_tests, wait_ready
from fastapi.testclient import TestClient

from api.main import create_app
from api.model import ServedModel
from api.settings import Settings


@pytest.fixture
def make_client(tmp_path) -> Callable[..., TestClient]:
    """``make_client(loader=None, wait=True, alias_version=None, **settings)`` -> TestClient."""
    stack = []

    def make(
        loader: Callable[[Settings], ServedModel] | None = None,
        wait: bool = True,
        alias_version: Callable[[Settings], str] | None = None,
        **overrides,
    ) -> TestClient:
        app = create_app(
            load_model=loader or (lambda settings: fake_served()),
            settings=settings_for_tests(tmp_path, **overrides),
            alias_version=alias_version,
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        stack.append(client)
        if wait:
            wait_ready(client)
        return client

    yield make
    for client in reversed(stack):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()

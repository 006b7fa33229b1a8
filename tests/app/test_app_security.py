"""Login when the app is exposed: API keys or a hashed password file; loopback needs none."""

from __future__ import annotations

import os

import pytest
from starlette.testclient import TestClient

from api.security import create_key
from zengshou.app.security import (
    COOKIE,
    add_password,
    hash_password,
    read_password_file,
    verify_password,
)
from zengshou.app.server import build_app, effective_settings
from zengshou.app.settings import AppSettings


def test_passwords_are_stored_hashed_and_salted(tmp_path):
    stored = hash_password("correct horse", rounds=1000)
    assert "correct horse" not in stored and stored.startswith("pbkdf2_sha256$1000$")
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored)
    assert hash_password("correct horse", rounds=1000) != stored  # a fresh salt each time
    path = tmp_path / "users"
    add_password(path, "planner", "correct horse")
    assert verify_password("correct horse", read_password_file(path)["planner"])
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_a_malformed_password_file_names_its_line(tmp_path):
    path = tmp_path / "users"
    path.write_text("# users\nplanner:plaintext\n")
    with pytest.raises(ValueError, match="line 2"):
        read_password_file(path)


def test_binding_beyond_loopback_requires_login(tmp_path):
    settings = AppSettings(home=tmp_path)
    assert not effective_settings(settings, "127.0.0.1").require_login
    assert effective_settings(settings, "0.0.0.0").require_login


@pytest.fixture
def exposed(tmp_path, monkeypatch):
    saved = dict(os.environ)  # build_app sets the app's and Solara's variables
    keys = tmp_path / "api_keys.json"
    monkeypatch.setenv("ZENGSHOU_API_KEYS_FILE", str(keys))
    key, _ = create_key(keys, "score")
    passwords = tmp_path / "users"
    add_password(passwords, "planner", "correct horse")
    settings = AppSettings(home=tmp_path / "home", password_file=str(passwords), require_login=True)
    try:
        with TestClient(build_app(settings), follow_redirects=False) as client:
            yield client, key
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_without_a_session_pages_redirect_and_websockets_are_refused(exposed):
    client, _ = exposed
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/login").status_code == 200
    with pytest.raises(Exception):  # noqa: B017 (starlette raises its own disconnect type)
        with client.websocket_connect("/jupyter/api/kernels/x/channels"):
            pass


@pytest.mark.parametrize(
    "form", [{"user": "planner", "password": "wrong"}, {"key": "not-a-key"}, {}]
)
def test_wrong_credentials_are_refused(exposed, form):
    client, _ = exposed
    response = client.post("/login", data=form)
    assert response.status_code == 401
    assert COOKIE not in response.cookies


@pytest.mark.parametrize("how", ["key", "password"])
def test_an_api_key_or_a_password_opens_a_session(exposed, how):
    client, key = exposed
    form = {"key": key} if how == "key" else {"user": "planner", "password": "correct horse"}
    response = client.post("/login", data=form)
    assert response.status_code == 303
    cookie = response.cookies[COOKIE]
    assert "httponly" in response.headers["set-cookie"].lower()
    client.cookies.set(COOKIE, cookie)
    assert client.get("/readyz").status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 200
    client.get("/logout")
    client.cookies.set(COOKIE, cookie)
    assert client.get("/").status_code == 303  # the session ended

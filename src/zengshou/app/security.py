"""Who may use the app when it listens beyond this machine.

On 127.0.0.1 (the default) only this machine's users reach the app and no login is asked.
Bound to another address, every request needs a session, given by ``/login`` to a person who
presents one of the project's API keys (``zengshou api-key create``, checked by
:class:`api.security.KeyStore`: stored as hashes, compared in constant time) or a user name and
password from a password file (``zengshou app password``: PBKDF2-SHA256, salted, 600,000
rounds). Sessions live in this process only (a restart logs everyone out); the cookie is
``HttpOnly`` and ``SameSite=Strict``. Each wrong attempt is answered after a second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.security import KeyStore, parse_hash_list
from api.settings import Settings as ApiSettings

COOKIE = "zengshou-app-session"
ROUNDS = 600_000  # OWASP's 2023 figure for PBKDF2-HMAC-SHA256
SESSION_SECONDS = 12 * 3600
OPEN_PATHS = ("/login", "/readyz")
FAILURE_DELAY_SECONDS = 1.0
MAX_FORM_BYTES = 4096


def hash_password(password: str, rounds: int = ROUNDS) -> str:
    """``pbkdf2_sha256$rounds$salt$hash`` (hex) of ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    return f"pbkdf2_sha256${rounds}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` string (constant-time compare)."""
    try:
        scheme, rounds, salt, expected = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def read_password_file(path: Path) -> dict[str, str]:
    """User -> password hash from ``user:hash`` lines (``#`` comments and blanks skipped).

    Raises
    ------
    ValueError
        Naming the file and line of an entry that is not ``user:pbkdf2_sha256$...``.
    """
    users = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, _, stored = line.partition(":")
        if not user or not stored.startswith("pbkdf2_sha256$") or stored.count("$") != 3:
            raise ValueError(f"{path}: line {number}: expected 'user:pbkdf2_sha256$...'")
        users[user] = stored
    return users


def add_password(path: Path, user: str, password: str) -> None:
    """Set ``user``'s password in the file (created owner-only; other users kept)."""
    if not user or ":" in user or len(password) < 8:
        raise ValueError("a user name without ':' and a password of at least 8 characters")
    users = read_password_file(path) if path.exists() else {}
    users[user] = hash_password(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.touch(mode=0o600)
    partial.write_text("".join(f"{u}:{h}\n" for u, h in users.items()), encoding="utf-8")
    partial.replace(path)


class Gate:
    """The login check: sessions, the API keys and the password file."""

    def __init__(self, password_file: Path | None) -> None:
        api = ApiSettings()
        self.keys = KeyStore(api.keys_file(), parse_hash_list(api.api_key_hashes))
        self.password_file = password_file
        self._sessions: dict[str, float] = {}
        self._lock = threading.Lock()

    def admits(self, key: str | None = None, user: str = "", password: str = "") -> bool:
        """Whether an API key, or a user and password, is valid."""
        if key and self.keys.match(key) is not None:
            return True
        if user and password and self.password_file is not None and self.password_file.exists():
            stored = read_password_file(self.password_file).get(user)
            return stored is not None and verify_password(password, stored)
        return False

    def open_session(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = time.time() + SESSION_SECONDS
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expires = self._sessions.get(token)
            if expires is None or expires < time.time():
                self._sessions.pop(token, None)
                return False
            return True

    def close_session(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)


def _cookie(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, token = part.strip().partition("=")
                if key == COOKIE:
                    return token
    return None


class LoginRequired:
    """ASGI middleware: without a valid session, pages redirect to ``/login`` and websockets
    are refused (the app's widgets speak over a websocket)."""

    def __init__(self, app: Callable[..., Awaitable[None]], gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self.gate.valid(_cookie(scope)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        response = RedirectResponse("/login", status_code=303)
        await response(scope, receive, send)


LOGIN_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>增收 zengshou — 登录 log in</title></head>
<body style="font-family: sans-serif; max-width: 28em; margin: 4em auto">
<h2>增收 zengshou</h2><p>{message}</p>
<form method="post" action="/login">
<p><label>用户名 User <input name="user" autocomplete="username"></label></p>
<p><label>密码 Password <input name="password" type="password" autocomplete="current-password"></label></p>
<p>或 or <label>API 密钥 API key <input name="key" type="password"></label></p>
<p><button type="submit">登录 Log in</button></p></form></body></html>"""


def login_routes(gate: Gate) -> list:
    """``GET/POST /login`` and ``/logout``."""
    from starlette.routing import Route

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(LOGIN_PAGE.format(message="请登录。Please log in."))
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return HTMLResponse("form too large", status_code=413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not gate.admits(form.get("key", ""), form.get("user", ""), form.get("password", "")):
            await _slow_down()
            message = escape("用户名、密码或密钥不对。Wrong user, password or key.")
            return HTMLResponse(LOGIN_PAGE.format(message=message), status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE, gate.open_session(), max_age=SESSION_SECONDS, httponly=True, samesite="strict"
        )
        return response

    async def logout(request: Request) -> Response:
        gate.close_session(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    return [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout)]


async def _slow_down() -> None:
    import asyncio

    await asyncio.sleep(FAILURE_DELAY_SECONDS)


__all__ = [
    "COOKIE",
    "Gate",
    "LoginRequired",
    "add_password",
    "hash_password",
    "login_routes",
    "read_password_file",
    "verify_password",
]

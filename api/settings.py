"""Service settings, read from ``ZENGSHOU_*`` environment variables (once, then cached)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_api_keys_file() -> Path:
    """Return where ``zengshou api-key`` keeps key hashes: ``~/.config/zengshou/api_keys.json``.

    Outside the checkout, so neither git nor ``make clean`` ever touches it.
    """
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "zengshou" / "api_keys.json"


class Settings(BaseSettings):
    """Everything an operator can set, each as ``ZENGSHOU_<NAME>``.

    Secure defaults: interactive docs off, no CORS, every scoring call needs a key.
    """

    model_config = SettingsConfigDict(env_prefix="ZENGSHOU_", extra="ignore", frozen=True)

    model_name: str = "household-risk"
    model_alias: str = "champion"
    api_keys_file: Path | None = Field(
        default=None, description="JSON file of key hashes (default ~/.config/zengshou/...)"
    )
    api_key_hashes: str = Field(
        default="",
        description="Extra keys as comma-separated 'scope:sha256hex' (for secret managers)",
    )
    max_households: int = Field(default=1000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="Largest request line plus headers, in bytes (431 beyond)",
    )
    max_headers: int = Field(default=100, ge=8, description="Most header fields in a request")
    read_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a whole request, from its first byte (or "
        "from connecting) to the end of its body",
    )
    keep_alive_seconds: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection stays open"
    )
    max_connections: int = Field(
        default=512,
        ge=1,
        description="Open connections (and requests in progress) beyond which a request gets 503",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses of trusted proxies whose X-Forwarded-For gives "
        "the client address ('' trusts none)",
    )
    max_error_details: int = Field(
        default=20, ge=1, description="Error details listed in a 422 (the rest are counted)"
    )
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    auth_failure_limit: int = Field(
        default=10,
        ge=1,
        description="Wrong keys a client address, or a key prefix, may present before it "
        "gets 429 (never a request with a valid key)",
    )
    auth_failure_window_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Seconds in which the failed-key allowance refills completely",
    )
    cors_origins: list[str] = Field(default_factory=list)
    docs_enabled: bool = False
    load_retry_seconds: float = Field(default=10.0, gt=0)
    watch_alias_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Check every N s where the alias points and reload when it moved (0: off)",
    )
    gc_freeze: bool = Field(
        default=True,
        description="Exempt the objects alive after the first load from garbage collection",
    )
    max_batch_households: int = Field(
        default=2000, ge=1, description="Most households coalesced into one model call"
    )

    def keys_file(self) -> Path:
        """Return the key file in use (the setting, or the per-user default)."""
        return self.api_keys_file or default_api_keys_file()


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first call."""
    return Settings()

"""What the web app runs with: where it keeps its files, how big its runs are, who may log in.

``zengshou app`` writes its options into the environment (``ZENGSHOU_APP_*``) before the server
starts, so that the app, which Solara imports by name, and the background workers it starts
read the same settings.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from simulation.cache import cache_dir

PREFIX = "ZENGSHOU_APP_"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class AppSettings:
    """The app's settings (each also an environment variable ``ZENGSHOU_APP_<NAME>``).

    Attributes
    ----------
    home : Path
        Where runs, saved mixes, searches and uploads live (default: the cache folder of
        :func:`simulation.cache.cache_dir` + ``/app``).
    households, replications, seed, attribution_replications : int
        The size of every run the app starts (a synthetic panel of ``households``).
    workers : int
        Local worker processes of a run.
    upload_limit_mb : float
        Largest household file accepted, in megabytes.
    trials : int
        Mixes a cheapest-mix search screens.
    password_file : str
        File of ``user:pbkdf2_sha256$...`` lines (``zengshou app password``); "" for none.
    require_login : bool
        Whether a browser must log in (set when the app listens beyond this machine).
    """

    home: Path
    households: int = 20_000
    replications: int = 100
    seed: int = 1
    attribution_replications: int = 20
    workers: int = 1
    upload_limit_mb: float = 20.0
    trials: int = 40
    password_file: str = ""
    require_login: bool = False

    @classmethod
    def from_environment(cls) -> AppSettings:
        """The settings from ``ZENGSHOU_APP_*`` (defaults for those not set)."""
        values: dict[str, object] = {}
        for name, field in cls.__dataclass_fields__.items():
            given = os.environ.get(PREFIX + name.upper())
            if given is None or given == "":
                continue
            kind = field.type
            if kind == "bool":
                values[name] = given.lower() in ("1", "true", "yes")
            elif kind == "int":
                values[name] = int(given)
            elif kind == "float":
                values[name] = float(given)
            elif kind == "Path":
                values[name] = Path(given)
            else:
                values[name] = given
        values.setdefault("home", cache_dir() / "app")
        return cls(**values)  # type: ignore[arg-type]

    def to_environment(self) -> dict[str, str]:
        """The settings as ``ZENGSHOU_APP_*`` variables (what :meth:`from_environment` reads)."""
        return {PREFIX + k.upper(): str(v) for k, v in asdict(self).items()}

    def folder(self, name: str) -> Path:
        """``home/<name>``, created readable by its owner only (uploads never leave it)."""
        path = self.home / name
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path


def is_loopback(host: str) -> bool:
    """Whether ``host`` reaches this machine only."""
    return host in LOOPBACK or host.startswith("127.")


__all__ = ["AppSettings", "is_loopback"]

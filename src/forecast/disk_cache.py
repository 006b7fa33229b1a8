"""Results that are slow to compute and depend only on the project's files, kept on disk.

A result is stored under a key made of its inputs and the fingerprint of the files it is
computed from (code and data): a change to any of them gives a new key, so nothing stale is
ever read. Files are written whole (temporary name, then renamed), so an interrupted write
leaves no half file behind; a file that cannot be read is computed again and replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from functools import cache
from pathlib import Path

from forecast.paths import generated_dir, project_root

CACHE_SETTING = "ZENGSHOU_CACHE_DIR"


def cache_dir() -> Path:
    """``ZENGSHOU_CACHE_DIR``, or ``data/generated/cache`` under the project root."""
    return Path(os.environ.get(CACHE_SETTING) or generated_dir() / "cache")


@cache
def fingerprint(patterns: tuple[str, ...]) -> str:
    """SHA-256 of the project's files matching ``patterns`` (globs from the project root),
    names and contents."""
    root = project_root()
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(inputs: dict[str, object], made_from: tuple[str, ...]) -> str:
    """Key of a result computed from ``inputs`` (JSON-serialisable) by the files
    ``made_from``."""
    text = json.dumps({**inputs, "made_from": fingerprint(made_from)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached[T](path: Path, compute: Callable[[], T], kind: type[T]) -> T:
    """The ``kind`` stored at ``path``, or ``compute()`` stored there first."""
    if path.exists():
        try:
            with path.open("rb") as handle:
                value = pickle.load(handle)
            if isinstance(value, kind):
                return value
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            pass  # computed again below
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return value


__all__ = ["CACHE_SETTING", "cache_dir", "cache_key", "cached", "fingerprint"]

"""API keys: generated once, stored only as SHA-256 hashes, compared in constant time.

Keys are 256-bit random tokens, so a plain SHA-256 is enough (a slow password hash protects
low-entropy secrets; these have none to protect). Keys come from two places, both holding hashes:
the key file written by ``zengshou api-key create`` (re-read when it changes, so a new or revoked
key takes effect without a restart) and ``ZENGSHOU_API_KEY_HASHES`` for secret managers. Any
number of keys can be valid at once, which is how a key is rotated: create the new one, move the
clients, revoke the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCOPES: tuple[str, ...] = ("score", "admin")
# What each scope may do: an admin key can also score (an operator checks a model end to end).
GRANTS: dict[str, frozenset[str]] = {
    "score": frozenset({"score"}),
    "admin": frozenset({"score", "admin"}),
}
KEY_PREFIX = "zs_"

log = logging.getLogger("zengshou.api")


@dataclass(frozen=True)
class KeyRecord:
    """A stored key: its hash, its scope, and a short id safe to show in logs and lists."""

    key_id: str
    scope: str
    sha256: str
    created: str = ""
    label: str = ""


def hash_key(key: str) -> str:
    """Return the hex SHA-256 of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id(sha256: str) -> str:
    """Return the public id of a key: the first 12 hex digits of its hash."""
    return sha256[:12]


def new_key() -> str:
    """Return a fresh random key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def parse_hash_list(text: str) -> list[KeyRecord]:
    """Parse ``scope:sha256hex`` entries separated by commas (``ZENGSHOU_API_KEY_HASHES``).

    Raises
    ------
    ValueError
        On an unknown scope or a malformed hash, naming the entry's position.
    """
    records = []
    for position, entry in enumerate(filter(None, (e.strip() for e in text.split(","))), 1):
        scope, _, digest = entry.partition(":")
        _check_record(scope, digest, f"ZENGSHOU_API_KEY_HASHES entry {position}")
        records.append(KeyRecord(key_id(digest), scope, digest.lower(), label="env"))
    return records


def _check_record(scope: str, digest: str, where: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"{where}: scope must be one of {', '.join(SCOPES)}")
    if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise ValueError(f"{where}: sha256 must be 64 hex digits")


def read_key_file(path: Path) -> list[KeyRecord]:
    """Read the key file; a missing file holds no keys.

    Raises
    ------
    ValueError
        When the file cannot be read or is not the JSON written by ``zengshou api-key``
        (a directory in its place, not UTF-8, not JSON, ``keys`` not a list, an entry
        without scope or hash), naming the file, the entry and the reason.
    """
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a zengshou key file") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text, not a zengshou key file") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not JSON (line {error.lineno}, column {error.colno}), not a zengshou key file"
        ) from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(
            f'{path}: needs {{"keys": [...]}}, a list of keys, as `zengshou api-key` writes'
        )
    records = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not {"scope", "sha256"} <= entry.keys():
            raise ValueError(f"{path}: keys[{position}] needs 'scope' and 'sha256'")
        scope, digest = entry["scope"], entry["sha256"]
        if not isinstance(scope, str) or not isinstance(digest, str):
            raise ValueError(f"{path}: keys[{position}]: scope and sha256 must be text")
        _check_record(scope, digest, f"{path}: keys[{position}]")
        records.append(
            KeyRecord(
                key_id(digest),
                scope,
                digest.lower(),
                created=str(entry.get("created", "")),
                label=str(entry.get("label", "")),
            )
        )
    return records


def write_key_file(path: Path, records: list[KeyRecord]) -> None:
    """Write the key file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "keys": [
            {"scope": r.scope, "sha256": r.sha256, "created": r.created, "label": r.label}
            for r in records
        ]
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(temporary, path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the key file's sidecar ``.<name>.lock`` while changing it.

    A sidecar, because the key file itself is replaced (a lock on it would lock the old
    inode). Readers need no lock: every write is an atomic replace.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def create_key(path: Path, scope: str, label: str = "") -> tuple[str, KeyRecord]:
    """Create a key of ``scope``, store its hash in ``path`` and return ``(key, record)``.

    Read, append and replace happen under the file's lock, so concurrent creates keep all keys.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    key = new_key()
    digest = hash_key(key)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    record = KeyRecord(key_id(digest), scope, digest, created=created, label=label)
    with locked(path):
        write_key_file(path, [*read_key_file(path), record])
    return key, record


def revoke_key(path: Path, key_id_prefix: str) -> KeyRecord:
    """Remove the one key whose id starts with ``key_id_prefix``; return it.

    Raises
    ------
    KeyError
        When no key, or more than one, matches.
    """
    with locked(path):
        records = read_key_file(path)
        matches = [r for r in records if r.key_id.startswith(key_id_prefix.lower())]
        if len(matches) != 1:
            raise KeyError(
                f"{path}: {len(matches)} keys match id '{key_id_prefix}', need exactly 1"
            )
        write_key_file(path, [r for r in records if r is not matches[0]])
    return matches[0]


class KeyStore:
    """The valid keys of a running service, refreshed when the key file changes.

    Parameters
    ----------
    path : Path
        The key file (may not exist yet).
    extra : list of KeyRecord
        Keys from the environment, valid alongside the file's.
    """

    def __init__(self, path: Path, extra: list[KeyRecord]) -> None:
        self.path = path
        self.extra = extra
        self._records: list[KeyRecord] = list(extra)
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self.problem: str | None = None
        self.refresh()

    @property
    def unavailable(self) -> bool:
        """Whether the key file exists but cannot be used (see ``problem``)."""
        return self.problem is not None

    def refresh(self) -> None:
        """Re-read the key file if it changed since the last look (a stat per call)."""
        try:
            info = os.stat(self.path)
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:  # missing, or a path through something that is not a folder
            stamp = (0, 0, 0)
        if stamp == self._stamp:
            return
        with self._lock:
            try:
                self._records = [*read_key_file(self.path), *self.extra]
                if self.problem is not None:
                    log.info("key file readable again: %s", self.path)
                self.problem = None
            except ValueError as error:  # fail closed: a broken file must not keep revoked keys
                log.error(
                    "key file unusable, only environment keys are valid and other keys get "
                    "503 until it is repaired: %s",
                    error,
                )
                self._records = list(self.extra)
                self.problem = str(error)
            self._stamp = stamp

    def match(self, presented: str) -> KeyRecord | None:
        """Return the record of ``presented``, comparing its hash with every stored one."""
        self.refresh()
        digest = hash_key(presented)
        found = None
        for record in self._records:  # no early exit: timing does not depend on the position
            if hmac.compare_digest(digest, record.sha256):
                found = record
        return found

    def __len__(self) -> int:
        return len(self._records)

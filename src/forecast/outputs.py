"""Outputs that appear whole or not at all, each folder with a manifest of its run.

A command that writes a folder of outputs (``summary.json`` and plots, ``validation.json``,
a comparison) writes it into a hidden sibling, ``.NAME.tmp-PID-XXXX``, and renames that into
place only once every file is written and the run is recorded: a reader finds the previous
complete folder, or the new complete one, never a mix of both. A process killed meanwhile
leaves the hidden folder, which the next writer of the same folder removes (its process is
gone). Between the two renames that replace a previous folder there is an instant in which
the folder is absent (the previous one is then ``.NAME.old-PID-XXXX``), never half-written.

Each folder holds ``manifest.json``: the run id, the scenario's hash, the seed and the code
version, and every file with its SHA-256, so what a folder holds can be checked against it.
Single files (a panel, scores) are written beside their place and renamed onto it likewise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from forecast.provenance import file_fingerprint

MANIFEST = "manifest.json"


class OutputFolderError(ValueError):
    """The output folder asked for exists and is not one zengshou may replace."""


def process_alive(pid: int, started: float | None = None) -> bool:
    """Whether process ``pid`` of this machine runs (and started at ``started``, if given:
    a pid is reused once its process has ended)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # ended, not yet waited for
            return False
        return started is None or abs(process.create_time() - started) < 1.0
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:  # another user's process: it exists
        return True


def process_started(pid: int | None = None) -> float:
    """When process ``pid`` (default: this one) started, in seconds since the epoch."""
    return psutil.Process(pid).create_time()


def check_output_folder(path: str | Path, legacy: Collection[str] = ()) -> None:
    """Refuse an output folder that exists and is not an output of zengshou.

    A folder may be replaced when it is empty, holds a :data:`MANIFEST`, or holds only files
    named in ``legacy`` (what versions without manifests wrote), at any depth. Anything else
    could be a user's own files: replacing it would delete them.

    Raises
    ------
    OutputFolderError
        Naming the folder and the reason.
    """
    path = Path(path)
    if not path.exists():
        return
    if not path.is_dir():
        raise OutputFolderError(f"{path}: exists and is not a folder; choose another output")
    if (path / MANIFEST).is_file():
        return
    strange = [
        p for p in path.rglob("*") if not p.is_dir() and p.name not in legacy and p.name != MANIFEST
    ]
    if strange:
        raise OutputFolderError(
            f"{path}: exists and holds files zengshou did not write (no {MANIFEST}; e.g. "
            f"{strange[0].relative_to(path)}); choose another output folder or move it away"
        )


@contextmanager
def output_folder(path: str | Path, legacy: Collection[str] = ()) -> Iterator[Path]:
    """Yield a hidden folder to write into; when the block ends well, it replaces ``path``.

    Parameters
    ----------
    path : str or Path
        The output folder.
    legacy : collection of str
        File names an earlier version wrote there without a manifest (see
        :func:`check_output_folder`).

    When the block raises (an interruption included), the hidden folder is removed and
    ``path`` is left as it was.
    """
    path = Path(path).absolute()
    check_output_folder(path, legacy)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path)
    staging = _hidden(path, "tmp")
    staging.mkdir()
    try:
        yield staging
        _replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def output_file(path: str | Path) -> Iterator[Path]:
    """Yield a hidden sibling of ``path`` to write; when the block ends well, it becomes
    ``path`` in one rename (a reader never sees a half-written file)."""
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path)
    staging = _hidden(path, "tmp", path.suffix)  # the suffix still names the format
    try:
        yield staging
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def write_manifest(folder: str | Path, **fields: Any) -> Path:
    """Write :data:`MANIFEST` into ``folder``: ``fields``, the time, and every other file
    of the folder with its SHA-256 (``files``, paths relative to the folder)."""
    folder = Path(folder)
    files = {
        str(p.relative_to(folder)): file_fingerprint(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {
        **fields,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return path


def _replace(staging: Path, path: Path) -> None:
    """Rename ``staging`` onto ``path``, moving a previous folder aside first."""
    if not path.exists():
        os.rename(staging, path)
        return
    aside = _hidden(path, "old")
    os.rename(path, aside)
    os.rename(staging, path)
    shutil.rmtree(aside, ignore_errors=True)


def _hidden(path: Path, kind: str, suffix: str = "") -> Path:
    """A new hidden sibling of ``path`` naming this process: ``.NAME.KIND-PID-RANDOM``."""
    token = secrets.token_hex(4)
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{token}{suffix}")


def _remove_abandoned(path: Path) -> None:
    """Remove the hidden folders and files left beside ``path`` by processes now gone."""
    for kind in ("tmp", "old"):
        for left in path.parent.glob(f".{path.name}.{kind}-*"):
            pid = left.name.removeprefix(f".{path.name}.{kind}-").split("-")[0]
            if pid.isdigit() and not process_alive(int(pid)):
                if left.is_dir():
                    shutil.rmtree(left, ignore_errors=True)
                else:
                    left.unlink(missing_ok=True)

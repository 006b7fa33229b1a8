"""Starting populations built once and reused across runs (a disk cache).

Building the whole province's population (synthesising 2.1 million households, seven years,
then fitting their dynamics) takes longer than simulating it. A population depends only on
what it is built from, so it is kept on disk under a key made of those inputs: the panel (its
file's fingerprint, or the synthetic panel's size, seed and as-of year), the as-of year, and
the fingerprint of the code and data files that build it. A change to any of them gives a new
key; nothing stale is ever read. Files are written whole (temporary name, then renamed), so
an interrupted write leaves no half file behind.
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
from simulation.population import Population

# What a population is built from besides its inputs: the panel's generator and loader, the
# published statistics and parameters they read, and the population's own estimation code.
_BUILT_BY = ("src/forecast/*.py", "src/simulation/population.py", "data/*.yaml")
# Caching pays only where building is slow; small populations are rebuilt in under a second.
MIN_HOUSEHOLDS = 100_000


@cache
def builder_fingerprint() -> str:
    """SHA-256 of the code and data files that build a population."""
    root = project_root()
    digest = hashlib.sha256()
    for pattern in _BUILT_BY:
        for path in sorted(root.glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def population_key(**inputs: object) -> str:
    """Cache key of a population built from ``inputs`` (JSON-serialisable) by this code."""
    text = json.dumps({**inputs, "built_by": builder_fingerprint()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_dir() -> Path:
    """``ZENGSHOU_CACHE_DIR``, or ``data/generated/cache`` under the project root."""
    return Path(os.environ.get("ZENGSHOU_CACHE_DIR") or generated_dir() / "cache")


def cached_population(
    key: str, build: Callable[[], Population], folder: Path | None = None
) -> Population:
    """The population stored under ``key``, or ``build()`` stored there first.

    A file that cannot be read (truncated, written by another version of Python's pickle) is
    rebuilt and replaced.
    """
    folder = cache_dir() if folder is None else Path(folder)
    path = folder / f"population-{key}.pickle"
    if path.exists():
        try:
            with path.open("rb") as handle:
                population = pickle.load(handle)
            if isinstance(population, Population):
                return population
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            pass  # rebuilt below
    population = build()
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        pickle.dump(population, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return population

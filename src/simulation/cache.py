"""Starting populations built once and reused across runs (a disk cache).

Building the whole province's population (synthesising 2.1 million households, seven years,
then fitting their dynamics) takes longer than simulating it. A population depends only on
what it is built from, so it is kept on disk (:mod:`forecast.disk_cache`) under a key made of
those inputs: the panel (its file's fingerprint, or the synthetic panel's size, seed and
as-of year), the as-of year, and the fingerprint of the code and data files that build it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from forecast.disk_cache import cache_dir, cache_key, cached
from simulation.population import Population

# What a population is built from besides its inputs: the panel's generator and loader, the
# published statistics and parameters they read, and the population's own estimation code.
_BUILT_BY = ("src/forecast/*.py", "src/simulation/population.py", "data/*.yaml")
# Caching pays only where building is slow; small populations are rebuilt in under a second.
MIN_HOUSEHOLDS = 100_000


def population_key(**inputs: object) -> str:
    """Cache key of a population built from ``inputs`` (JSON-serialisable) by this code."""
    return cache_key(inputs, _BUILT_BY)


def cached_population(
    key: str, build: Callable[[], Population], folder: Path | None = None
) -> Population:
    """The population stored under ``key``, or ``build()`` stored there first.

    A file that cannot be read (truncated, written by another version of Python's pickle) is
    rebuilt and replaced.
    """
    folder = cache_dir() if folder is None else Path(folder)
    return cached(folder / f"population-{key}.pickle", build, Population)


__all__ = ["MIN_HOUSEHOLDS", "cache_dir", "cached_population", "population_key"]

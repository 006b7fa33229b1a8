"""Threads over slices of households, for the element-wise part of a month at full scale.

NumPy's element-wise operations release the GIL, so the two halves of a province's
households step at the same time on two cores. Each element is computed by the same
operations whatever the slicing, and slices start on multiples of :data:`ALIGN` elements
(so vectorised kernels see the same alignment), which keeps results identical for any number
of threads; reductions stay with the caller, over whole arrays.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

THREADS_SETTING = "ZENGSHOU_THREADS"
# Below this many households per thread, threads cost more than they save.
MIN_PER_THREAD = 250_000
ALIGN = 4096


def available_threads() -> int:
    """``ZENGSHOU_THREADS``, else the cores this process may use (at most 4)."""
    setting = os.environ.get(THREADS_SETTING)
    if setting:
        return max(1, int(setting))
    return max(1, min(4, len(os.sched_getaffinity(0))))


def threads_for(n: int) -> int:
    """Threads worth using to step ``n`` households."""
    return max(1, min(available_threads(), n // MIN_PER_THREAD))


@cache
def reuse_freed_memory() -> bool:
    """Have glibc keep freed memory for reuse instead of returning it to the system.

    A month at full scale makes dozens of temporary arrays of tens of megabytes. glibc maps
    each afresh (above its 32 MB threshold) and unmaps it when freed, so every one costs
    page faults: a fifth of the run's time went to the kernel. Served from a heap that is
    never trimmed, they reuse the same pages (peak memory rises by about a tenth). Returns
    whether it applied (not on a C library without ``mallopt``); once per process.
    """
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4  # glibc's mallopt parameters
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    never = 2**31 - 1  # the largest value mallopt takes: 2 GiB
    return all(
        mallopt(option, value) == 1
        for option, value in ((m_mmap_max, 0), (m_trim_threshold, never), (m_top_pad, 2**28))
    )


@cache
def slide_mmap_threshold_again() -> bool:
    """Undo what ``MALLOC_TRIM_THRESHOLD_`` in the environment does to array allocations.

    Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``. Setting any such
    variable also freezes glibc's mmap threshold at 128 KiB, so every array of more than
    16,000 numbers (a 20,000-household column) is mapped and unmapped afresh: its pages fault
    on every element-wise operation, and a replication ran 1.5 to 2 times slower on a Dask
    worker than in a plain process. This puts the thresholds where glibc's own sliding rule
    takes them (32 MiB to map, twice that to trim), so memory is still returned to the system.
    Does nothing without the variable; returns whether it applied; once per process.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's mallopt parameters
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(
        mallopt(option, value) == 1
        for option, value in ((m_mmap_threshold, 32 * 2**20), (m_trim_threshold, 64 * 2**20))
    )


@cache
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="households")


def slices(n: int, parts: int) -> list[slice]:
    """``parts`` contiguous slices covering ``range(n)``, inner bounds on multiples of ALIGN."""
    step = -(-n // parts // ALIGN) * ALIGN or ALIGN
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def over_slices(work: Callable[[slice], None], n: int, threads: int) -> None:
    """Call ``work(part)`` for slices of ``range(n)``, on ``threads`` threads; errors raise."""
    if threads <= 1:
        work(slice(0, n))
        return
    for future in [_pool(threads).submit(work, part) for part in slices(n, threads)]:
        future.result()

"""Households stepped on several threads give exactly the result of one; worker processes
allocate their arrays as a plain process does."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simulation import parallel
from simulation.run import simulate


def test_slices_cover_every_household_once_on_aligned_bounds():
    parts = parallel.slices(10_000, 3)
    covered = np.concatenate([np.arange(10_000)[part] for part in parts])
    assert np.array_equal(covered, np.arange(10_000))
    assert all(part.start % parallel.ALIGN == 0 for part in parts)


def test_threads_change_nothing_in_a_replication(action_plan, population, monkeypatch):
    serial = simulate(action_plan, population, seed=3, months=14)
    monkeypatch.setattr(parallel, "MIN_PER_THREAD", 500)
    monkeypatch.setattr(parallel, "ALIGN", 256)
    monkeypatch.setenv(parallel.THREADS_SETTING, "3")
    monkeypatch.setattr(parallel, "reuse_freed_memory", lambda: False)  # not for pytest
    assert parallel.threads_for(population.size) == 3
    threaded = simulate(action_plan, population, seed=3, months=14)
    pd.testing.assert_frame_equal(threaded.monthly, serial.monthly, check_exact=True)
    pd.testing.assert_frame_equal(threaded.annual, serial.annual, check_exact=True)


def test_freed_memory_is_kept_for_reuse_in_a_fresh_process():
    code = "from simulation import parallel; print(parallel.reuse_freed_memory())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


# Run in a fresh process: whether a 2 MB array is mapped on its own (glibc's bytes in mmapped
# chunks, mallinfo2().hblkhd, grow by its size), after the worker's fix or not.
MAPPED_WHILE_AN_ARRAY_LIVES = """
import ctypes, sys
import numpy as np
from simulation import parallel
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
applied = parallel.slide_mmap_threshold_again() if sys.argv[1] == "fix" else None
before = mallinfo2().hblkhd
array = np.ones(250_000)
print(applied, mallinfo2().hblkhd - before >= array.nbytes)
"""


@pytest.mark.parametrize(
    ("environment", "fix", "printed"),
    [
        ({"MALLOC_TRIM_THRESHOLD_": "65536"}, "no", "None True"),  # a Dask worker: mapped
        ({"MALLOC_TRIM_THRESHOLD_": "65536"}, "fix", "True False"),  # fixed: from the heap
        ({}, "fix", "False False"),  # a plain process: glibc's own rule, nothing to undo
    ],
)
def test_a_dask_workers_arrays_come_from_the_heap_again(environment, fix, printed):
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"} | environment
    # A plain process maps the first large array too, until glibc's threshold slides: free
    # one first so that the threshold has slid (what a replication's first month does).
    code = MAPPED_WHILE_AN_ARRAY_LIVES.replace(
        "array = np.ones", "del_me = np.ones(250_000); del del_me\narray = np.ones"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, fix], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == printed


def test_an_error_in_a_thread_reaches_the_caller():
    def fail(part):
        raise ValueError(f"bad part {part.start}")

    try:
        parallel.over_slices(fail, 10_000, 2)
    except ValueError as error:
        assert "bad part 0" in str(error)
    else:
        raise AssertionError("the error was lost")

"""Households stepped on several threads give exactly the result of one."""

import numpy as np
import pandas as pd

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
    import subprocess
    import sys

    code = "from simulation import parallel; print(parallel.reuse_freed_memory())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_an_error_in_a_thread_reaches_the_caller():
    def fail(part):
        raise ValueError(f"bad part {part.start}")

    try:
        parallel.over_slices(fail, 10_000, 2)
    except ValueError as error:
        assert "bad part 0" in str(error)
    else:
        raise AssertionError("the error was lost")

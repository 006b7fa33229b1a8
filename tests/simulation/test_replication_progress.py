"""``ReplicationRunner(on_progress=...)``: told after every replication, in this process or in
worker processes, and able to stop a batch (the web app's progress bar and cancel)."""

from __future__ import annotations

import pytest

from simulation.montecarlo.replications import Job, ReplicationRunner


def double(population, job: Job) -> int:
    return 2 * job.index


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_after_each_replication(workers):
    calls = []
    jobs = [Job(i, i) for i in range(5)]
    with ReplicationRunner(None, workers, on_progress=lambda d, t: calls.append((d, t))) as runner:
        assert runner.map(double, jobs) == [0, 2, 4, 6, 8]
    assert calls == [(i, 5) for i in range(6)]


def test_a_callback_that_raises_stops_the_batch():
    done = []

    def stop_after_two(finished: int, total: int) -> None:
        done.append(finished)
        if finished == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with ReplicationRunner(None, 1, on_progress=stop_after_two) as runner:
            runner.map(double, [Job(i, i) for i in range(10)])
    assert done == [0, 1, 2]

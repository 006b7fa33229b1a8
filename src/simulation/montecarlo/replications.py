"""Run many replications through one code path, on local processes or on a Dask cluster.

Every replication is a pure function of the population, its job (replication index, seed and
whatever else was drawn for it in the parent) and nothing else. Seeds come from
``SeedSequence(seed).spawn(R)`` and results are put back in replication order, so the same
seed gives the same results whether the work runs in this process, in four local processes
or on forty Dask workers.

The population is shipped once per worker, not once per replication: local worker processes
receive it through the pool's initializer, Dask workers through ``Client.scatter``.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast.progress import progress_bar
from simulation.parallel import slide_mmap_threshold_again

# The population installed in a local worker process by the pool's initializer.
_installed_population: Any = None


class _Installed:
    """Placeholder for "the population installed in this worker process"."""


_INSTALLED = _Installed()
_INLINE = "inline"  # the "executor" of the one-worker case: no pool, no pickling


def _install(population: Any) -> None:
    global _installed_population
    _installed_population = population


def _execute(task: Callable[[Any, Any], Any], population: Any, job: Any) -> Any:
    """Run ``task(population, job)`` wherever the executor placed it."""
    slide_mmap_threshold_again()  # a Dask worker's allocations (see there)
    if isinstance(population, _Installed):
        population = _installed_population
    return task(population, job)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Return one 64-bit seed per replication, derived with ``SeedSequence(seed).spawn``.

    Child ``i`` depends only on ``seed`` and ``i``, so the first ten replications of a run
    of 1,000 are the ten replications of a run of ten.

    Parameters
    ----------
    seed : int
        Seed of the whole run (non-negative).
    replications : int
        Number of replications (at least 1).
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) for child in children]


@dataclass(frozen=True)
class Job:
    """What one replication needs besides the population: its index, seed and payload."""

    index: int
    seed: int
    payload: Any = None


class ReplicationRunner:
    """Executor of replications: local processes by default, a Dask cluster if given one.

    Use as a context manager; the same runner can run several batches (for example the
    scenarios of a comparison) without shipping the population again.

    Parameters
    ----------
    population : object
        Shared read-only input of every replication (a ``simulation.Population``). Must be
        picklable when ``workers > 1`` or ``scheduler`` is given.
    workers : int
        Local worker processes; 1 runs in this process. Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``) or a ``distributed.Client``.
    progress : bool
        Show a progress bar over replications (tqdm, on stderr).
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` after each finished replication of a batch
        (the web app's progress bar); an exception it raises stops the batch.
    """

    def __init__(
        self,
        population: Any,
        workers: int = 1,
        scheduler: Any = None,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.population = population
        self.workers = workers
        self.scheduler = scheduler
        self.progress = progress
        self.on_progress = on_progress
        self._stack: ExitStack | None = None
        self._executor: cf.Executor | str | None = None
        self._population_ref: Any = None

    def __enter__(self) -> ReplicationRunner:
        self._stack = ExitStack()
        if self.scheduler is not None:
            self._executor, self._population_ref = self._dask_executor()
        elif self.workers == 1:
            self._executor, self._population_ref = _INLINE, self.population
        else:
            # Not fork: this process may run threads (MLflow, Arrow, Dask), and forking a
            # multi-threaded process can deadlock the child. The fork server imports the model
            # once; every worker forked from it starts warm. (As with spawn, a script that
            # starts workers needs the ``if __name__ == "__main__":`` guard.)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["simulation", "simulation.montecarlo"])
            self._executor = self._stack.enter_context(
                cf.ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=context,
                    initializer=_install,
                    initargs=(self.population,),
                )
            )
            self._population_ref = _INSTALLED
        return self

    def _dask_executor(self) -> tuple[cf.Executor, Any]:
        from distributed import Client

        client = self.scheduler
        if not isinstance(client, Client):
            client = self._stack.enter_context(Client(str(client), set_as_default=False))
        # One copy per worker, referenced by every task.
        population = client.scatter(self.population, broadcast=True, hash=False)
        executor = client.get_executor(pure=False)
        return executor, population

    def __exit__(self, *exc_info: object) -> None:
        assert self._stack is not None
        self._stack.close()
        self._stack = self._executor = self._population_ref = None

    @property
    def description(self) -> str:
        """Where the replications run, for reports and run records."""
        if self.scheduler is not None:  # an address, or a Client whose rpc knows it
            address = getattr(getattr(self.scheduler, "scheduler", None), "address", None)
            return f"dask scheduler {address or self.scheduler}"
        return "this process" if self.workers == 1 else f"{self.workers} local processes"

    def map[JobT, ResultT](
        self,
        task: Callable[[Any, JobT], ResultT],
        jobs: Sequence[JobT],
        description: str = "replications",
    ) -> list[ResultT]:
        """Run ``task(population, job)`` for every job and return the results in job order.

        ``task`` must be a module-level function (or a ``functools.partial`` of one) so that
        it can be pickled to worker processes.
        """
        if self._executor is None:
            raise RuntimeError("use ReplicationRunner as a context manager: with ... as runner")
        results: list[Any] = [None] * len(jobs)
        if self._executor is _INLINE:  # one worker: run in turn, in this process
            for position, job in self._progress(enumerate(jobs), len(jobs), description):
                results[position] = _execute(task, self._population_ref, job)
            return results
        futures = {
            self._executor.submit(_execute, task, self._population_ref, job): position
            for position, job in enumerate(jobs)
        }
        for future in self._progress(cf.as_completed(futures), len(futures), description):
            results[futures[future]] = future.result()
        return results

    def _progress(self, iterable: Iterable, total: int, description: str) -> Iterable:
        bar = progress_bar(
            iterable, description=description, total=total, unit="rep", enabled=self.progress
        )
        if self.on_progress is None:
            return bar
        return _counted(bar, total, self.on_progress)


def _counted(
    iterable: Iterable, total: int, on_progress: Callable[[int, int], None]
) -> Iterator[Any]:
    """``iterable``, calling ``on_progress(done, total)`` once each item has been processed."""
    on_progress(0, total)
    for done, item in enumerate(iterable, start=1):
        yield item
        on_progress(done, total)


def run_replications[ResultT](
    task: Callable[[Any, Job], ResultT],
    population: Any,
    seed: int,
    replications: int,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> list[ResultT]:
    """Run ``task(population, Job(i, seed_i))`` for ``i < replications``, in replication order.

    A convenience for one batch; use :class:`ReplicationRunner` for several.
    """
    jobs = [Job(i, s) for i, s in enumerate(replication_seeds(seed, replications))]
    with ReplicationRunner(population, workers, scheduler, progress) as runner:
        return runner.map(task, jobs)

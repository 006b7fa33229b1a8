"""Interruptions (SIGTERM, Ctrl-C) raised where they cannot cut a database write in half.

The command line turns SIGTERM into :class:`Terminated` and SIGINT (Ctrl-C) into
``KeyboardInterrupt`` with :func:`handler`. Raised at once, such an exception may land inside
MLflow's SQL session between a write and its commit, and leave the store locked for the rest of
the process: the run could then not be closed. Within :func:`deferred` (an MLflow run being
logged, :func:`forecast.tracking.tracked_run`) the signal waits for the block's end, which
raises it: the run is then closed as ``KILLED`` on a store that is not locked. Outside the
command line no handler is installed and nothing changes.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM received (raised in the main thread, as SIGINT raises KeyboardInterrupt)."""


_deferring = 0  # depth of nested deferred() blocks
_pending: list[KeyboardInterrupt] = []  # the first interruption received within them


def handler(exception: type[KeyboardInterrupt]) -> Callable[[int, object], None]:
    """A signal handler raising ``exception`` (named after the signal), or holding it back
    until the end of the :func:`deferred` block that is running."""

    def handle(signum: int, frame: object) -> None:
        error = exception(signal.Signals(signum).name)
        if _deferring:
            if not _pending:
                _pending.append(error)
            return
        raise error

    return handle


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block, hold back the interruptions :func:`handler` raises; raise the first
    one at the block's end."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            raise _pending.pop()

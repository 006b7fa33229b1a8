"""SIGTERM becomes an exception, held back while a run's writes are under way."""

from __future__ import annotations

import os
import signal

import pytest

from forecast.interrupts import Terminated, deferred, handler


@pytest.fixture
def sigterm_raises():
    previous = signal.signal(signal.SIGTERM, handler(Terminated))
    yield
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_raises_at_once_outside_a_deferred_block(sigterm_raises) -> None:
    with pytest.raises(Terminated, match="SIGTERM"):
        os.kill(os.getpid(), signal.SIGTERM)
        signal.pause()  # not reached


def test_sigterm_waits_for_the_end_of_a_deferred_block(sigterm_raises) -> None:
    done = []
    with pytest.raises(Terminated):
        with deferred():
            with deferred():  # nested: the outermost block's end raises
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGTERM)  # a second one adds nothing
                done.append("inner writes")
            done.append("outer writes")
    assert done == ["inner writes", "outer writes"]
    with deferred():  # nothing pending any more
        done.append("next")
    assert done[-1] == "next"

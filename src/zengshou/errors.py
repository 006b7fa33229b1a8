"""One error path for the command line.

Every failure a user can cause (a bad file, a bad setting, a missing model, an interruption)
ends as a few lines on stderr naming the file, row or key and the reason, with a non-zero exit
status; a traceback is printed only with ``zengshou --debug``. Exit statuses: 1 for such a
failure, 2 for a misused command (click), 70 for an internal error (a bug: the message says
so), 130 after SIGINT (Ctrl-C) and 143 after SIGTERM.

SIGTERM is turned into :class:`~forecast.interrupts.Terminated`, a ``KeyboardInterrupt``, so
that what is open when it arrives closes as interrupted: an MLflow run ends ``KILLED``
(:mod:`forecast.tracking`; held back until the run's writes are done,
:mod:`forecast.interrupts`), an output folder being written is removed
(:mod:`forecast.outputs`).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import click

from forecast.interrupts import Terminated, handler

SETTINGS_PREFIX = "ZENGSHOU_"
INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h)
MAX_LINES = 25  # of one message; a panel's report lists its first problems, then a count


class Failure(click.ClickException):
    """An expected failure, printed as ``Error: <message>`` with exit status 1."""


class InternalError(click.ClickException):
    """An unexpected exception (a bug), printed in one line with exit status 70."""

    exit_code = INTERNAL_ERROR


@contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` and SIGINT ``KeyboardInterrupt``
    in the main thread, each held back while an MLflow run is being written."""
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, handler(Terminated)),
        signal.SIGINT: signal.signal(signal.SIGINT, handler(KeyboardInterrupt)),
    }
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


def interrupted(error: KeyboardInterrupt) -> click.exceptions.Exit:
    """Say what was interrupted; return the exit (130 for SIGINT, 143 for SIGTERM) to raise."""
    terminated = isinstance(error, Terminated)
    name, code = ("SIGTERM", 128 + signal.SIGTERM) if terminated else ("SIGINT", 128 + 2)
    click.echo(
        f"\nInterrupted ({name}): nothing half-written was kept (an MLflow run open now is "
        "marked KILLED, an output folder being written is removed).",
        err=True,
    )
    return click.exceptions.Exit(code)


def failure(error: Exception) -> click.ClickException:
    """The one- or few-line failure to raise for ``error``."""
    if isinstance(error, click.ClickException):
        return error
    message = explain(error)
    if message is None:
        return InternalError(
            f"internal error, please report it: {type(error).__name__}: {_short(str(error))} "
            "(run again with 'zengshou --debug ...' for the traceback)"
        )
    return Failure(_short(message))


def explain(error: Exception) -> str | None:
    """The message of an expected failure (naming file, row or key and reason), or None.

    Expected: the project's own errors (a bad file, row, key or setting: their messages
    already name them), a bad ``ZENGSHOU_*`` service setting, a missing or unreadable file,
    what MLflow refuses, and any other ``ValueError`` (bad input a library refused).
    """
    settings = settings_message(error)
    if settings is not None:
        return settings
    if isinstance(error, OSError):
        return f"{error.filename}: {error.strerror}" if error.filename else str(error)
    if type(error).__name__ == "MlflowException":  # not imported: MLflow is heavy
        from forecast.tracking import tracking_uri  # lazy: only when MLflow failed

        return f"MLflow store {tracking_uri()}: {error.message}"  # type: ignore[attr-defined]
    if isinstance(error, ValueError):
        return str(error) or type(error).__name__
    return None


def settings_message(error: Exception) -> str | None:
    """Name the ``ZENGSHOU_*`` variable behind a pydantic-settings error, else None."""
    kind = type(error).__name__
    if kind == "ValidationError" and getattr(error, "title", None) == "Settings":
        lines = []
        for item in error.errors():  # type: ignore[attr-defined]
            variable = SETTINGS_PREFIX + str(item["loc"][0]).upper()
            lines.append(f"{variable}={os.environ.get(variable)!r}: {item['msg']}")
        return "\n".join(lines)
    if kind == "SettingsError":
        found = re.search(r'field "(\w+)"', str(error))
        if found:
            variable = SETTINGS_PREFIX + found.group(1).upper()
            cause = f": {error.__cause__}" if error.__cause__ else ""
            return f"{variable}={os.environ.get(variable)!r}: cannot be read{cause}"
    return None


def _short(message: str) -> str:
    lines = message.strip().splitlines()
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... ({len(lines) - MAX_LINES} more lines)"]
    return "\n".join(lines)

"""Progress bars for work that takes more than a few seconds: one look everywhere.

Bars are tqdm's (``tqdm.auto``: a widget in notebooks, text on stderr elsewhere). Library
functions draw them only when asked (``progress=True``); the command line asks unless the
environment says ``ZENGSHOU_PROGRESS=0`` (the tests do, to keep their output quiet).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any


def progress_wanted() -> bool:
    """Whether the command line draws progress bars: yes unless ``ZENGSHOU_PROGRESS=0``."""
    return os.environ.get("ZENGSHOU_PROGRESS", "1") != "0"


def progress_bar(
    iterable: Iterable | None = None,
    *,
    description: str,
    total: int | None = None,
    unit: str = "step",
    enabled: bool = True,
) -> Any:
    """A tqdm bar over ``iterable`` (or a manual one when it is None), off unless ``enabled``.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; None gives a bar advanced by ``update()``.
    description : str
        What the work is, in a few words ("backtest fits", "replications").
    total : int, optional
        Number of steps, when ``iterable`` has no length.
    unit : str
        What one step is ("fit", "rep", "year"; default "step").
    enabled : bool
        Draw the bar; otherwise the iterable is passed through silently.
    """
    from tqdm.auto import tqdm  # lazy: tqdm.auto looks for a notebook when imported

    return tqdm(iterable, desc=description, total=total, unit=unit, disable=not enabled)


__all__ = ["progress_bar", "progress_wanted"]

"""How the Monte Carlo's figures are written: yuan, shares, ratios, probability words.

One formatter per kind of figure, shared by the reports (:mod:`.report`); each writes ``n/a``
for a missing or infinite value instead of ``nan``.
"""

from __future__ import annotations

import math


def yuan(value: float, signed: bool = False) -> str:
    """Format yuan: ``14,147`` or ``+312``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def percent(share: float, digits: int = 0) -> str:
    """Format a share as a percentage: ``63 %``."""
    if share is None or not math.isfinite(share):
        return "n/a"
    return f"{100 * share:.{digits}f} %"


def billions(value: float) -> str:
    """Format yuan as billions: ``12.3 bn yuan``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value / 1e9:,.2f} bn yuan"


def ratio(value: float) -> str:
    """Format a ratio Yunnan/national: ``1.025``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.3f}"


def points(delta: float) -> str:
    """Format a change of probability in percentage points: ``+8 points``, ``0 points``."""
    if delta is None or not math.isfinite(delta):
        return "n/a"
    moved = round(100 * delta)
    return f"{moved:+d} points" if moved else "0 points"


def count(n: int, noun: str) -> str:
    """Format a count with its noun: ``1 replication``, ``20 replications``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def likelihood(p: float) -> str:
    """Words for a probability, in the spirit of the IPCC's calibrated language."""
    for bound, words in (
        (0.99, "virtually certain"),
        (0.9, "very likely"),
        (0.66, "likely"),
        (0.33, "about as likely as not"),
        (0.1, "unlikely"),
        (0.01, "very unlikely"),
    ):
        if p >= bound:
            return words
    return "exceptionally unlikely"


__all__ = ["billions", "count", "likelihood", "percent", "points", "ratio", "yuan"]

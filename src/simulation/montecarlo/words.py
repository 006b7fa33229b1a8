"""How the Monte Carlo's figures are written: yuan, shares, ratios, probability words.

One formatter per kind of figure, shared by the reports (:mod:`.report`); each writes ``n/a``
for a missing or infinite value instead of ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps


def _or_na(format_number: Callable[..., str]) -> Callable[..., str]:
    """Write ``n/a`` for a missing or infinite first argument instead of formatting it."""

    @wraps(format_number)
    def formatted(value, *args, **kwargs) -> str:
        if value is None or not math.isfinite(value):
            return "n/a"
        return format_number(value, *args, **kwargs)

    return formatted


@_or_na
def yuan(value: float, signed: bool = False) -> str:
    """Format yuan: ``14,147`` or ``+312``."""
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


@_or_na
def percent(share: float, digits: int = 0) -> str:
    """Format a share as a percentage: ``63 %``."""
    return f"{100 * share:.{digits}f} %"


@_or_na
def billions(value: float) -> str:
    """Format yuan as billions: ``12.3 bn yuan``."""
    return f"{value / 1e9:,.2f} bn yuan"


@_or_na
def ratio(value: float) -> str:
    """Format a ratio Yunnan/national: ``1.025``."""
    return f"{value:.3f}"


@_or_na
def points(delta: float) -> str:
    """Format a change of probability in percentage points: ``+8 points``, ``0 points``."""
    moved = round(100 * delta)
    return f"{moved:+d} points" if moved else "0 points"


def count(n: int, noun: str) -> str:
    """Format a count with its noun: ``1 replication``, ``20 replications``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def reach_warning_lines(result) -> list[str]:
    """One sentence per lever and year that reached under 95 % of its asked scale (a
    :class:`~.target.TargetTestResult`'s ``reach_warnings``)."""
    lines = []
    for (measure, year), row in result.reach_warnings.iterrows():
        why = row["shortfall"] or (
            "no shortfall of the eligible pool: the sample places a lever this small coarsely"
        )
        lines.append(
            f"{measure} {year}: reached {row['reached']:,.0f} of {row['asked']:,.0f} "
            f"{row['unit']} asked ({100 * row['share_reached']:.0f} %); {why}."
        )
    return lines


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


__all__ = [
    "billions",
    "count",
    "likelihood",
    "percent",
    "points",
    "ratio",
    "reach_warning_lines",
    "yuan",
]

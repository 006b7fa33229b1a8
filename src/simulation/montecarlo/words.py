"""How the Monte Carlo's figures are written: yuan, shares, ratios, probability words.

One formatter per kind of figure, shared by the reports (:mod:`.report`); each writes ``n/a``
for a missing or infinite value instead of ``nan``. Words come from the message catalogue
(``forecast/locales/reports.yaml``) in the language in force (:mod:`forecast.i18n`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from forecast.i18n import gettext as _
from forecast.i18n import measure_name, source_name


def _or_na(format_number: Callable[..., str]) -> Callable[..., str]:
    """Write ``n/a`` for a missing or infinite first argument instead of formatting it."""

    @wraps(format_number)
    def formatted(value, *args, **kwargs) -> str:
        if value is None or not math.isfinite(value):
            return _("report.na")
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
    """Format yuan as billions: ``12.3 bn yuan`` (in Chinese, 亿元)."""
    return _("report.billions", bn=value / 1e9, yi=value / 1e8)


@_or_na
def cost_change(delta: float) -> str:
    """A difference of cost as words: ``costing 1.20 bn yuan more``, ``saving 4.05 bn yuan``
    or ``at the same cost`` (within 5 million yuan, the last digit written)."""
    if abs(delta) < 5e6:
        return _("report.cost_same")
    if delta > 0:
        return _("report.cost_more", cost=billions(delta))
    return _("report.cost_less", cost=billions(-delta))


@_or_na
def ratio(value: float) -> str:
    """Format a ratio Yunnan/national: ``1.025``."""
    return f"{value:.3f}"


@_or_na
def points(delta: float) -> str:
    """Format a change of probability in percentage points: ``+8 points``, ``0 points``."""
    moved = round(100 * delta)
    return _("report.points", moved=moved) if moved else _("report.points_zero")


def standard_error(p: float, replications: int) -> float:
    """Monte Carlo standard error of a probability estimated from ``replications`` draws."""
    return math.sqrt(p * (1 - p) / replications) if replications > 0 else math.nan


def few_replications_caveat(replications: int, what: str = "each") -> str | None:
    """A warning in words when ``replications`` are too few to read a probability to within
    10 points: its Monte Carlo standard error can reach 0.5 / sqrt(R) (at p = 50 %).

    ``what`` is ``each`` (each probability), ``the`` (the probability) or ``this`` (this
    probability)."""
    worst = 0.5 / math.sqrt(replications) if replications > 0 else math.inf
    if worst <= 0.05:
        return None
    return _(
        "report.few_replications",
        replications=count(replications, "replication"),
        what=_(f"report.probability.{what}"),
        worst=100 * worst,
    )


def count(n: int, noun: str) -> str:
    """Format a count with its noun: ``1 replication``, ``20 replications`` (``noun`` is a
    ``report.count.<noun>`` text of the catalogue)."""
    return _(f"report.count.{noun}" + ("" if n == 1 else "s"), n=n)


def reach_warning_lines(result) -> list[str]:
    """One sentence per lever and year that reached under 95 % of its asked scale (a
    :class:`~.target.TargetTestResult`'s ``reach_warnings``)."""
    lines = []
    for (measure, year), row in result.reach_warnings.iterrows():
        why = row["shortfall"] or _("report.reach.coarse")
        lines.append(
            _(
                "report.reach.warning",
                measure=measure_name(measure),
                year=year,
                reached=row["reached"],
                asked=row["asked"],
                unit=row["unit"],
                share=100 * row["share_reached"],
                why=why,
            )
        )
    return lines


def likelihood(p: float) -> str:
    """Words for a probability, in the spirit of the IPCC's calibrated language."""
    for bound, words in (
        (0.99, "virtually_certain"),
        (0.9, "very_likely"),
        (0.66, "likely"),
        (0.33, "about_as_likely_as_not"),
        (0.1, "unlikely"),
        (0.01, "very_unlikely"),
    ):
        if p >= bound:
            return _(f"report.likelihood.{words}")
    return _("report.likelihood.exceptionally_unlikely")


__all__ = [
    "billions",
    "cost_change",
    "count",
    "few_replications_caveat",
    "likelihood",
    "measure_name",
    "source_name",
    "percent",
    "points",
    "ratio",
    "standard_error",
    "reach_warning_lines",
    "yuan",
]

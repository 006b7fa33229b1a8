"""What a search may change in each lever: the decision space, as data with its sources.

A lever's ``search:`` block in the catalogue (``scenarios/measures.yaml``) says which of its
settings ``zengshou simulate optimize`` may change and within which bounds, each bound with its
``source:`` (the plan's stated floor, a published count) or its ``assumption:``::

    search:
      scale:
        unit: persons per year                  # the lever's scale unit
        low: {value: 600000, source: "action plan measure 7: >= 600,000 trained a year"}
        high: {value: 1500000, assumption: "..."}
        per_year: true                          # one value per simulated year (default)
      priority: {options: [random, lowest_income], assumption: "..."}

or, for a scale the plan fixes, ``scale: {fixed: true, source: "..."}``. A lever without a
``search:`` block is not searched. A scenario narrows the space with its own top-level
``search:`` section, lever by lever (a higher floor, a lower ceiling, fewer options, one value
for every year, or ``fixed: true``), never widening it; the loader (:mod:`simulation.scenario`)
refuses a bad block, naming the file, the key and the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASIS = ("source", "assumption")
SEARCH_KEYS = {"scale", "priority"}
RANGE_KEYS = {"unit", "low", "high", "per_year"}
FIXED_KEYS = {"fixed", *BASIS}
BOUND_KEYS = {"value", *BASIS}
OPTION_KEYS = {"options", *BASIS}

ErrorType = Callable[[Path, str, str], Exception]


@dataclass(frozen=True)
class Bound:
    """One end of a searched range: its value (in the lever's scale unit) and its basis."""

    value: float
    source: str | None = None
    assumption: str | None = None

    @property
    def basis(self) -> str:
        """``source: ...`` or ``assumption: ...``, for reports."""
        return f"source: {self.source}" if self.source else f"assumption: {self.assumption}"


@dataclass(frozen=True)
class ScaleRange:
    """The scale a search may choose in each simulated year (or one value for every year)."""

    unit: str
    low: Bound
    high: Bound
    per_year: bool = True

    @property
    def integer(self) -> bool:
        """Counts (persons, villages, yuan) are chosen as whole numbers; shares are not."""
        return "share" not in self.unit


@dataclass(frozen=True)
class PriorityChoice:
    """Who a household lever reaches first (``random`` or ``lowest_income``), as a choice."""

    options: tuple[str, ...]
    source: str | None = None
    assumption: str | None = None


@dataclass(frozen=True)
class LeverSearch:
    """What a search may change in one lever; ``scale`` is None when the scale is fixed
    (``fixed`` then says why)."""

    scale: ScaleRange | None = None
    priority: PriorityChoice | None = None
    fixed: str | None = None

    @property
    def searched(self) -> bool:
        """Whether a search changes anything in the lever."""
        varies = self.scale is not None and self.scale.low.value < self.scale.high.value
        return varies or (self.priority is not None and len(self.priority.options) > 1)


def parse_search(
    node: Any,
    file: Path,
    key: str,
    *,
    scale_unit: str,
    scale_values: Mapping[int, Any],
    reach: str,
    priorities: tuple[str, ...],
    error: ErrorType,
) -> LeverSearch:
    """Validate a lever's ``search:`` block of the catalogue and return it.

    Parameters
    ----------
    node : object
        The block as YAML gives it.
    file, key : Path and str
        Where it is, for the error (``measures.skills_training.search``).
    scale_unit, scale_values : str and mapping
        The lever's scale unit and yearly values (a lever scaled ``all`` cannot be searched).
    reach : str
        How the lever reaches (only household levers use a priority).
    priorities : tuple of str
        The priority rules the model knows.
    error : callable
        The loader's error type, called with (file, key, reason).
    """
    _mapping(node, file, key, SEARCH_KEYS, error)
    scale, fixed = None, None
    if "scale" in node:
        scale_node = node["scale"]
        if isinstance(scale_node, Mapping) and "fixed" in scale_node:
            fixed = _fixed(scale_node, file, f"{key}.scale", error)
        else:
            scale = _range(scale_node, file, f"{key}.scale", scale_unit, error)
            if any(isinstance(v, str) for v in scale_values.values()):
                raise error(
                    file,
                    f"{key}.scale",
                    "a scale given as a word ('all') cannot be searched; declare it "
                    "{fixed: true, source: ...}",
                )
    priority = None
    if "priority" in node:
        priority = _options(node["priority"], file, f"{key}.priority", priorities, error)
        if reach != "households":
            raise error(
                file,
                f"{key}.priority",
                f"only a lever reaching households picks by priority (this one reaches {reach})",
            )
    return LeverSearch(scale=scale, priority=priority, fixed=fixed)


def narrow(
    base: LeverSearch | None, node: Any, file: Path, key: str, error: ErrorType
) -> LeverSearch:
    """Apply a scenario's narrowing of one lever to the catalogue's :class:`LeverSearch`.

    A narrowing may raise ``low``, lower ``high``, drop options, ask one value for every year
    (``per_year: false``) or fix the scale (``fixed: true``), each with its source or
    assumption; it may not widen the catalogue's space.
    """
    if base is None or not base.searched:
        raise error(file, key, "the catalogue lets a search change nothing in this lever")
    _mapping(node, file, key, SEARCH_KEYS, error)
    scale, fixed, priority = base.scale, base.fixed, base.priority
    if "scale" in node:
        scale_node = node["scale"]
        where = f"{key}.scale"
        if isinstance(scale_node, Mapping) and "fixed" in scale_node:
            scale, fixed = None, _fixed(scale_node, file, where, error)
        elif scale is None:
            raise error(file, where, "the catalogue fixes this lever's scale")
        else:
            _mapping(scale_node, file, where, RANGE_KEYS, error)
            if "unit" in scale_node and scale_node["unit"] != scale.unit:
                raise error(file, f"{where}.unit", f"expected the lever's unit '{scale.unit}'")
            low = (
                _bound(scale_node["low"], file, f"{where}.low", error)
                if "low" in scale_node
                else scale.low
            )
            high = (
                _bound(scale_node["high"], file, f"{where}.high", error)
                if "high" in scale_node
                else scale.high
            )
            if low.value < scale.low.value:
                raise error(
                    file,
                    f"{where}.low",
                    f"{low.value:g} is below the catalogue's floor {scale.low.value:g} "
                    "(a scenario narrows the search, never widens it)",
                )
            if high.value > scale.high.value:
                raise error(
                    file,
                    f"{where}.high",
                    f"{high.value:g} is above the catalogue's ceiling {scale.high.value:g} "
                    "(a scenario narrows the search, never widens it)",
                )
            per_year = _per_year(scale_node, file, where, error, scale.per_year)
            if per_year and not scale.per_year:
                raise error(
                    file, f"{where}.per_year", "the catalogue asks one value for every year"
                )
            scale = _checked(ScaleRange(scale.unit, low, high, per_year), file, where, error)
    if "priority" in node:
        where = f"{key}.priority"
        if priority is None:
            raise error(file, where, "the catalogue does not let a search choose the priority")
        chosen = _options(node["priority"], file, where, priority.options, error)
        priority = chosen
    return LeverSearch(scale=scale, priority=priority, fixed=fixed)


# -- the forms ------------------------------------------------------------------------------


def _mapping(node: Any, file: Path, key: str, allowed: set[str], error: ErrorType) -> None:
    if not isinstance(node, Mapping) or not node:
        raise error(file, key, f"expected a mapping with {', '.join(sorted(allowed))}")
    for name, value in node.items():
        if name not in allowed:
            raise error(
                file, f"{key}.{name}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
            )
        if value is None:
            raise error(file, f"{key}.{name}", "missing value")


def _basis(node: Mapping, file: Path, key: str, error: ErrorType) -> None:
    if not any(node.get(b) for b in BASIS):
        raise error(file, key, "needs a 'source' or an 'assumption'")
    for b in BASIS:
        if b in node and not (isinstance(node[b], str) and node[b].strip()):
            raise error(file, f"{key}.{b}", "expected text")


def _bound(node: Any, file: Path, key: str, error: ErrorType) -> Bound:
    _mapping(node, file, key, BOUND_KEYS, error)
    value = node.get("value")
    if value is None:
        raise error(file, f"{key}.value", "missing value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(file, f"{key}.value", f"expected a number, got {value!r}")
    if value < 0:
        raise error(file, f"{key}.value", f"negative bound {value:g}")
    _basis(node, file, key, error)
    return Bound(float(value), node.get("source"), node.get("assumption"))


def _per_year(node: Mapping, file: Path, key: str, error: ErrorType, default: bool) -> bool:
    value = node.get("per_year", default)
    if not isinstance(value, bool):
        raise error(file, f"{key}.per_year", "expected true or false")
    return value


def _range(node: Any, file: Path, key: str, unit: str, error: ErrorType) -> ScaleRange:
    _mapping(node, file, key, RANGE_KEYS, error)
    for name in ("unit", "low", "high"):
        if name not in node:
            raise error(file, f"{key}.{name}", "missing value")
    if node["unit"] != unit:
        raise error(file, f"{key}.unit", f"expected the lever's scale unit '{unit}'")
    low = _bound(node["low"], file, f"{key}.low", error)
    high = _bound(node["high"], file, f"{key}.high", error)
    per_year = _per_year(node, file, key, error, True)
    return _checked(ScaleRange(unit, low, high, per_year), file, key, error)


def _checked(scale: ScaleRange, file: Path, key: str, error: ErrorType) -> ScaleRange:
    if scale.low.value > scale.high.value:
        raise error(file, key, f"low {scale.low.value:g} is above high {scale.high.value:g}")
    if not scale.integer and scale.high.value > 1:
        raise error(file, f"{key}.high", f"a share above 1 ({scale.high.value:g})")
    return scale


def _fixed(node: Mapping, file: Path, key: str, error: ErrorType) -> str:
    _mapping(node, file, key, FIXED_KEYS, error)
    if node["fixed"] is not True:
        raise error(file, f"{key}.fixed", "expected true (leave the key out to search the scale)")
    _basis(node, file, key, error)
    return str(node.get("source") or node.get("assumption"))


def _options(
    node: Any, file: Path, key: str, allowed: tuple[str, ...], error: ErrorType
) -> PriorityChoice:
    _mapping(node, file, key, OPTION_KEYS, error)
    options = node.get("options")
    if not isinstance(options, list) or not options:
        raise error(file, f"{key}.options", "expected a non-empty list")
    unknown = [o for o in options if o not in allowed]
    if unknown:
        raise error(file, f"{key}.options", f"{unknown} not among {list(allowed)}")
    _basis(node, file, key, error)
    return PriorityChoice(tuple(dict.fromkeys(options)), node.get("source"), node.get("assumption"))


def describe(search: LeverSearch) -> dict[str, Any]:
    """A plain description of one lever's search (for reports and ``frontier.json``)."""
    out: dict[str, Any] = {}
    if search.scale is not None:
        out["scale"] = {
            **{
                k: v
                for k, v in dataclasses.asdict(search.scale).items()
                if k in ("unit", "per_year")
            },
            "low": search.scale.low.value,
            "low_basis": search.scale.low.basis,
            "high": search.scale.high.value,
            "high_basis": search.scale.high.basis,
        }
    else:
        out["scale"] = {"fixed": search.fixed}
    if search.priority is not None:
        out["priority"] = list(search.priority.options)
    return out


__all__ = [
    "Bound",
    "LeverSearch",
    "PriorityChoice",
    "ScaleRange",
    "describe",
    "narrow",
    "parse_search",
]

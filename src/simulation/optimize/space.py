"""The decision space of one scenario's search, and the mix each point of it stands for.

The catalogue's ``search:`` blocks, narrowed by the scenario (:mod:`simulation.decisions`),
say what may change; this module turns them into named decisions for the simulated years
(``skills_training.scale.2023``, ``skills_training.priority``) and a point (decision name ->
value) back into a :class:`~simulation.scenario.Scenario`. Only the scenario's active levers
are searched; the years before the run (the as-of year and earlier) keep their values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulation.scenario import Scenario

Point = dict[str, Any]  # decision name -> chosen value


@dataclass(frozen=True)
class Decision:
    """One thing a search chooses: a lever's scale (in some years) or its priority."""

    name: str
    measure: str
    setting: str  # "scale" or "priority"
    years: tuple[int, ...] = ()
    low: float = 0.0
    high: float = 0.0
    integer: bool = True
    options: tuple[str, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class DecisionSpace:
    """The decisions of a search over ``scenario`` for the simulated ``years``.

    Build it with :meth:`from_scenario`; :meth:`apply` gives the mix of a point.
    """

    scenario: Scenario
    years: tuple[int, ...]
    decisions: tuple[Decision, ...]

    @classmethod
    def from_scenario(cls, scenario: Scenario, first_year: int) -> DecisionSpace:
        """The decisions of the scenario's active levers for ``first_year`` .. its last year.

        Raises
        ------
        ValueError
            When no active lever lets a search change anything.
        """
        years = tuple(range(first_year, scenario.years[1] + 1))
        decisions = []
        for name in scenario.measures:
            search = scenario.levers[name].search
            if search is None or not search.searched:
                continue
            scale = search.scale
            if scale is not None and scale.low.value < scale.high.value:
                groups = [(y,) for y in years] if scale.per_year else [years]
                for group in groups:
                    suffix = f".{group[0]}" if scale.per_year else ""
                    decisions.append(
                        Decision(
                            name=f"{name}.scale{suffix}",
                            measure=name,
                            setting="scale",
                            years=group,
                            low=scale.low.value,
                            high=scale.high.value,
                            integer=scale.integer,
                            unit=scale.unit,
                        )
                    )
            if search.priority is not None and len(search.priority.options) > 1:
                decisions.append(
                    Decision(
                        name=f"{name}.priority",
                        measure=name,
                        setting="priority",
                        options=search.priority.options,
                        unit="rule",
                    )
                )
        if not decisions:
            raise ValueError(
                f"{scenario.path}: no active measure lets a search change anything "
                "(no search: block in the catalogue, or every one fixed)"
            )
        return cls(scenario, years, tuple(decisions))

    @property
    def names(self) -> list[str]:
        """The decisions' names, in order."""
        return [d.name for d in self.decisions]

    def check(self, point: Mapping[str, Any]) -> Point:
        """``point`` with every decision present and within its bounds (a clear error if not)."""
        missing = set(self.names) - set(point)
        if missing:
            raise ValueError(f"point lacks the decisions {sorted(missing)}")
        checked = {}
        for d in self.decisions:
            value = point[d.name]
            if d.setting == "priority":
                if value not in d.options:
                    raise ValueError(f"{d.name}: {value!r} not one of {d.options}")
            elif not d.low <= float(value) <= d.high:
                raise ValueError(f"{d.name}: {value} outside [{d.low:g}, {d.high:g}] {d.unit}")
            checked[d.name] = value
        return checked

    def own_point(self) -> tuple[Point, list[str]]:
        """The scenario's own mix as a point, moved into the bounds where it lies outside
        them; returns the point and a note per moved value (the plan's floors can lie above
        the policies in force)."""
        point, moved = {}, []
        for d in self.decisions:
            measure = self.scenario.levers[d.measure]
            if d.setting == "priority":
                value = measure.priority if measure.priority in d.options else d.options[0]
            else:
                given = sum(float(measure.scale.at(y)) for y in d.years) / len(d.years)
                value = min(max(given, d.low), d.high)
                value = round(value) if d.integer else value
            current = measure.priority if d.setting == "priority" else given
            if value != current:
                moved.append(f"{d.name}: {current} -> {value} (into its search bounds)")
            point[d.name] = value
        return point, moved

    def floors(self) -> Point:
        """Every scale at its floor, every priority as the scenario has it (if allowed)."""
        point = self.own_point()[0]
        for d in self.decisions:
            if d.setting == "scale":
                point[d.name] = round(d.low) if d.integer else d.low
        return point

    def apply(self, point: Mapping[str, Any], note: str) -> Scenario:
        """The scenario with ``point``'s values; every changed value carries ``note`` as its
        assumption."""
        point = self.check(point)
        levers = dict(self.scenario.levers)
        for d in self.decisions:
            measure = levers[d.measure]
            if d.setting == "priority":
                levers[d.measure] = dataclasses.replace(measure, priority=point[d.name])
                continue
            value = float(point[d.name])
            value = float(round(value)) if d.integer else value
            values = {**measure.scale.values, **dict.fromkeys(d.years, value)}
            scale = dataclasses.replace(measure.scale, values=values, source=None, assumption=note)
            levers[d.measure] = dataclasses.replace(measure, scale=scale)
        return dataclasses.replace(self.scenario, levers=levers)

    def changes(self, point: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Per lever, the settings ``point`` changes from the scenario: ``{"scale": {year:
        value}, "priority": rule}`` (what a scenario file of the mix must write)."""
        point = self.check(point)
        out: dict[str, dict[str, Any]] = {}
        for d in self.decisions:
            measure = self.scenario.levers[d.measure]
            value = point[d.name]
            if d.setting == "priority":
                if value != measure.priority:
                    out.setdefault(d.measure, {})["priority"] = value
                continue
            value = round(value) if d.integer else float(value)
            for year in d.years:
                if measure.scale.at(year) != value:
                    out.setdefault(d.measure, {}).setdefault("scale", {})[year] = value
        return out


__all__ = ["Decision", "DecisionSpace", "Point"]

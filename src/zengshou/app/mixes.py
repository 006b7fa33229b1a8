"""Measure mixes the app offers: the shipped scenarios, the mixes saved in the app, and the
scenario file the editor writes for a mix (validated by the one scenario loader).

The editor's controls are the catalogue's own bounds: a lever's scale moves within its
``search:`` range (the optimiser's decision space, :mod:`simulation.decisions`), its priority
among the options allowed there; an effect is scaled by a factor (a planner's what-if: "works
half as well") that keeps its range's shape. Every changed value is written with
``assumption: set in the web app`` so the file says where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from simulation import ScenarioError, load_scenario
from simulation.montecarlo.compare import shipped_scenarios
from simulation.scenario import RULE_UNIT, Scenario

APP_NOTE = "set in the web app"
EFFECT_FACTOR = (0.1, 2.0)  # an effect's what-if factor: a tenth to twice the catalogue's
NAME = re.compile(r"^[a-z0-9_]{1,60}$")


@cache
def _shipped() -> tuple[Path, ...]:
    return tuple(shipped_scenarios())  # the project's scenarios/: read once per app


def available_mixes(saved: Path) -> dict[str, Path]:
    """Mix name -> file: the shipped scenarios (baseline first), then the saved ones."""
    mixes = {p.stem: p for p in _shipped()}
    for path in sorted(saved.glob("*.yaml")):
        mixes.setdefault(path.stem, path)
    return mixes


@dataclass
class LeverEdit:
    """The editor's state of one lever: on or off, scale by year, priority, effect factor."""

    active: bool
    scale: dict[int, float] = field(default_factory=dict)
    priority: str | None = None
    effect_factor: float = 1.0


def lever_controls(scenario: Scenario, first_year: int) -> dict[str, dict[str, Any]]:
    """Per lever, what the editor shows: its bounds and their basis, unit, current values,
    priority options, the scale's source or assumption, and its effects."""
    years = list(range(first_year, scenario.years[1] + 1))
    controls = {}
    for name, lever in scenario.levers.items():
        search = lever.search
        scale = search.scale if search is not None else None
        priority = search.priority if search is not None else None
        controls[name] = {
            "active": name in scenario.measures,
            "unit": lever.scale.unit,
            "years": years,
            "scale": {y: float(lever.scale.at(y)) for y in years}
            if isinstance(lever.scale.at(years[0]), int | float)
            else {},
            "basis": _basis(lever.scale.source, lever.scale.assumption),
            "bounds": None
            if scale is None
            else {
                "low": scale.low.value,
                "high": scale.high.value,
                "low_basis": scale.low.basis,
                "high_basis": scale.high.basis,
                "integer": scale.integer,
            },
            "priority": lever.priority,
            "options": list(priority.options) if priority is not None else [],
            "priority_basis": None
            if priority is None
            else _basis(priority.source, priority.assumption),
            "effects": {
                source: {
                    "central": effect.central,
                    "low": effect.low,
                    "high": effect.high,
                    "unit": effect.unit,
                    "basis": _basis(effect.source, effect.assumption),
                }
                for source, effect in lever.effects.items()
                if effect.central is not None
            },
        }
    return controls


def mix_content(
    name: str, base: Path, scenario: Scenario, edits: Mapping[str, LeverEdit]
) -> dict[str, Any]:
    """The scenario file of ``edits`` over ``scenario`` (loaded from ``base``): only what
    changed, each change with its assumption."""
    if not NAME.match(name):
        raise ValueError(
            f"name {name!r}: use 1-60 lower-case letters, digits and underscores (a file name)"
        )
    activate, deactivate, measures = [], [], {}
    for lever_name, edit in edits.items():
        lever = scenario.levers[lever_name]
        was_active = lever_name in scenario.measures
        if edit.active and not was_active:
            activate.append(lever_name)
        if not edit.active and was_active:
            deactivate.append(lever_name)
        change: dict[str, Any] = {}
        scale = {y: v for y, v in edit.scale.items() if float(lever.scale.at(y)) != float(v)}
        if scale:
            integer = lever.search is not None and lever.search.scale is not None
            integer = integer and lever.search.scale.integer
            values = {int(y): round(v) if integer else float(v) for y, v in scale.items()}
            change["scale"] = {"values": values, "assumption": APP_NOTE}
        if edit.priority is not None and edit.priority != lever.priority:
            change["priority"] = {"value": edit.priority, "unit": RULE_UNIT, "assumption": APP_NOTE}
        if abs(edit.effect_factor - 1.0) > 1e-9:
            low, high = EFFECT_FACTOR
            if not low <= edit.effect_factor <= high:
                raise ValueError(
                    f"{lever_name}: effect factor {edit.effect_factor} not in {low}-{high}"
                )
            change["effects"] = {
                source: {
                    **{
                        k: float(getattr(effect, k)) * edit.effect_factor
                        for k in ("central", "low", "high")
                    },
                    "assumption": f"{APP_NOTE}: {edit.effect_factor:g} x the catalogue's effect",
                }
                for source, effect in lever.effects.items()
                if effect.central is not None
            }
        if change:
            measures[lever_name] = change
    content: dict[str, Any] = {
        "name": name,
        "description": f"A mix {APP_NOTE}, over {scenario.name}.",
        "base": str(Path(base).resolve()),
    }
    if activate:
        content["activate"] = activate
    if deactivate:
        content["deactivate"] = deactivate
    if measures:
        content["changes"] = {"measures": measures}
    return content


def save_mix(content: dict[str, Any], folder: Path) -> tuple[Path, Scenario]:
    """Write ``content`` as ``folder/<name>.yaml`` and load it with the scenario loader; a
    file the loader refuses is removed and its error raised (nothing invalid is kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{content['name']}.yaml"
    shipped = {p.stem for p in _shipped()}
    if content["name"] in shipped:
        raise ValueError(f"{content['name']!r} is a shipped scenario: choose another name")
    text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(f"# Written by the zengshou web app.\n{text}", encoding="utf-8")
    try:
        load_scenario(partial)  # the loader's own check, before the file takes its name
    except ScenarioError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return path, load_scenario(path)


def _basis(source: str | None, assumption: str | None) -> str:
    if source:
        return f"source: {source}"
    return f"assumption: {assumption}" if assumption else ""


__all__ = [
    "APP_NOTE",
    "EFFECT_FACTOR",
    "LeverEdit",
    "available_mixes",
    "lever_controls",
    "mix_content",
    "save_mix",
]

"""Scenario files: a measure mix as a small change over a base, validated before anything runs.

A root scenario (``baseline.yaml``) names the catalogue of levers (``measures.yaml``), the
calibration file and the plan's years; every other scenario names a ``base`` and lists the
levers it switches on (``activate``) or off (``deactivate``) and the parameters it changes
(``changes``, merged into the catalogue). The loader refuses unknown keys, missing values,
negative counts, shares above one and years outside the run, naming the file, key and reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.rules import ELIGIBILITY, SOURCES

ROOT_KEYS = {"name", "description", "catalogue", "calibration", "years", "activate"}
CHILD_KEYS = {"name", "description", "base", "activate", "deactivate", "changes"}
PARAM_KEYS = {"value", "values", "central", "low", "high", "unit", "source", "assumption"}
PARAM_KEYS |= {"kind", "per", "per_member"}
MEASURE_FIELDS = {"plan", "reach", "eligible", "priority", "scale", "reach_per_unit", "take_up"}
MEASURE_FIELDS |= {"unit_cost", "effects", "delay_months", "duration_months"}
SECTIONS = ("province", "measures", "monitoring", "shocks")
REACH = ("households", "villages", "pool")
PRIORITY = ("random", "lowest_income")
EFFECT_KINDS = ("add", "scale", "pool", "collective", "insurance")
# Effect kinds that fit each way of reaching households.
KINDS_BY_REACH = {
    "households": ("add", "scale", "insurance"),
    "villages": ("add", "scale", "collective"),
    "pool": ("pool",),
}
TARGETING = ("income", "risk")  # monitoring.targeting: lowest income or highest risk score
RULE_UNIT = "rule"  # unit of a parameter whose value is a named rule, not a number
ALL = "all"  # scale value: every eligible household


class ScenarioError(ValueError):
    """A scenario file is invalid; the message names the file, the key and the reason."""


@dataclass(frozen=True)
class Parameter:
    """One sourced number (or yearly numbers) of a lever, with its uncertainty range.

    ``value`` holds a scalar, ``values`` a {year: value} mapping, ``central/low/high`` an
    uncertain effect. ``source`` or ``assumption`` says where the number comes from.
    """

    unit: str
    value: Any = None
    values: dict[int, Any] | None = None
    central: float | None = None
    low: float | None = None
    high: float | None = None
    source: str | None = None
    assumption: str | None = None
    kind: str | None = None
    per: str | None = None
    per_member: bool = False

    def at(self, year: int) -> Any:
        """Return the value for ``year`` (the scalar value when the parameter is not yearly)."""
        if self.values is not None:
            return self.values[year]
        return self.central if self.central is not None else self.value

    def draw(self, rng: np.random.Generator | None) -> float:
        """Return the central value, or a uniform draw in [low, high] when ``rng`` is given."""
        if self.central is None:
            return float(self.value)
        if rng is None or self.low is None:
            return float(self.central)
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class Measure:
    """A lever of the plan: who it reaches, how many, at what cost, with what effect."""

    name: str
    plan: str
    reach: str
    eligible: str
    priority: str
    scale: Parameter
    reach_per_unit: Parameter
    take_up: Parameter
    unit_cost: Parameter
    effects: dict[str, Parameter]
    delay_months: Parameter
    duration_months: Parameter
    extra: dict[str, Parameter] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A validated, fully resolved scenario (its base chain merged in).

    Attributes
    ----------
    name, description, path : str
    years : tuple of int
        First and last year the scenario's yearly values cover (the plan's years).
    measures : tuple of str
        Levers switched on.
    levers : dict of str to Measure
        Every lever of the catalogue with the scenario's parameters (active or not).
    province, monitoring, shocks, calibration : dict of str to Parameter
    """

    name: str
    description: str
    path: str
    years: tuple[int, int]
    measures: tuple[str, ...]
    levers: dict[str, Measure]
    province: dict[str, Parameter]
    monitoring: dict[str, Parameter]
    shocks: dict[str, Parameter]
    calibration: dict[str, Parameter]
    calibration_path: str = ""

    @property
    def targeting(self) -> str:
        """Who the monitoring system enrols: ``income`` (lowest, status quo) or ``risk``."""
        rule = self.monitoring.get("targeting")
        return "income" if rule is None else str(rule.value)

    def with_targeting(self, targeting: str) -> Scenario:
        """Return the scenario with the monitoring targeting rule replaced."""
        if targeting not in TARGETING:
            raise ValueError(f"targeting: {targeting!r} not one of {TARGETING}")
        monitoring = dict(self.monitoring)
        monitoring["targeting"] = Parameter(
            unit=RULE_UNIT, value=targeting, assumption="set on the command line"
        )
        return dataclasses.replace(self, monitoring=monitoring)

    def without(self, *measure_names: str) -> Scenario:
        """Return the same scenario with the named levers switched off."""
        unknown = set(measure_names) - set(self.levers)
        if unknown:
            raise KeyError(f"{self.name}: unknown measures {sorted(unknown)}")
        kept = tuple(m for m in self.measures if m not in measure_names)
        return dataclasses.replace(self, measures=kept)

    def with_calibration(self, **values: float) -> Scenario:
        """Return the scenario with calibration parameters replaced (used by the optimiser)."""
        calibration = dict(self.calibration)
        for key, value in values.items():
            calibration[key] = dataclasses.replace(calibration[key], value=float(value))
        return dataclasses.replace(self, calibration=calibration)

    def planned_cost(self, households: float, members: float) -> pd.DataFrame:
        """Return the planned cost of active levers by year: scale x unit cost (central effects).

        Parameters
        ----------
        households : float
            Households reached by levers scaled ``all`` (e.g. the eligible households).
        members : float
            Mean members per household, for levers paid per member.
        The collective top-up depends on the villages' incomes and is reported as NaN.
        """
        rows = []
        for name in self.measures:
            m = self.levers[name]
            for year in range(self.years[0], self.years[1] + 1):
                scale = m.scale.at(year)
                units = households if scale == ALL else float(scale)
                if name == "collective_assets":
                    cost = np.nan
                elif m.unit_cost.per == "paid":
                    paid = sum(
                        e.central * (members if e.per_member else 1) for e in m.effects.values()
                    )
                    cost = units * m.reach_per_unit.value * paid * m.unit_cost.value
                else:
                    cost = units * m.unit_cost.value
                rows.append((name, year, cost))
        return pd.DataFrame(rows, columns=["measure", "year", "cost_yuan"])


# ----------------------------------------------------------------------------------------
def load_scenario(path: str | Path) -> Scenario:
    """Load, merge and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        A scenario YAML file (``scenarios/action_plan.yaml``).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Naming the file, the key and the reason, for any invalid content.
    """
    path = Path(path).resolve()
    tree, years, active, root = _resolve(path, seen=())
    name = _read(path).get("name")
    description = _read(path).get("description", "")
    return _build(path, tree, years, active, name, description, root)


def _read(path: Path) -> dict:
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level")
    return data


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict, tuple[int, int], list, Path]:
    """Return (merged catalogue tree, years, active levers, root file) for ``path``."""
    if path in seen:
        raise ScenarioError(f"{path}: base: circular reference")
    data = _read(path)
    if "base" in data:
        _check_keys(path, "", data, CHILD_KEYS)
        _require(path, data, "name")
        base = (path.parent / str(data["base"])).resolve()
        tree, years, active, root = _resolve(base, (*seen, path))
        for key in ("activate", "deactivate"):
            names = data.get(key) or []
            if not isinstance(names, list):
                raise ScenarioError(f"{path}: {key}: expected a list of measure names")
            for n in names:
                if n not in tree["measures"]:
                    raise ScenarioError(f"{path}: {key}: unknown measure '{n}'")
        active = [m for m in active if m not in (data.get("deactivate") or [])]
        active += [m for m in data.get("activate") or [] if m not in active]
        changes = data.get("changes") or {}
        if not isinstance(changes, dict):
            raise ScenarioError(f"{path}: changes: expected a mapping")
        _merge(path, "changes", tree, changes)
        return tree, years, active, root
    _check_keys(path, "", data, ROOT_KEYS)
    for key in ("name", "catalogue", "calibration", "years"):
        _require(path, data, key)
    years = data["years"]
    if not (isinstance(years, dict) and set(years) == {"first", "last"}):
        raise ScenarioError(f"{path}: years: expected {{first: YEAR, last: YEAR}}")
    if not all(isinstance(y, int) for y in years.values()) or years["first"] > years["last"]:
        raise ScenarioError(f"{path}: years: first and last must be years, first <= last")
    catalogue_path = (path.parent / str(data["catalogue"])).resolve()
    catalogue = _read(catalogue_path)
    _check_keys(catalogue_path, "", catalogue, {"kind", *SECTIONS})
    calibration_path = (path.parent / str(data["calibration"])).resolve()
    calibration = _read(calibration_path)
    tree = {s: catalogue.get(s) or {} for s in SECTIONS}
    tree["calibration"] = {k: v for k, v in calibration.items() if k != "kind"}
    tree["_files"] = {s: catalogue_path for s in SECTIONS} | {"calibration": calibration_path}
    active = list(data.get("activate") or [])
    for n in active:
        if n not in tree["measures"]:
            raise ScenarioError(f"{path}: activate: unknown measure '{n}'")
    return tree, (years["first"], years["last"]), active, path


def _merge(path: Path, where: str, target: dict, changes: dict) -> None:
    """Deep-merge ``changes`` into ``target``; every key must already exist there."""
    for key, value in changes.items():
        here = f"{where}.{key}"
        if key not in target or key == "_files":
            raise ScenarioError(f"{path}: {here}: unknown key")
        if value is None:
            raise ScenarioError(f"{path}: {here}: missing value")
        current = target[key]
        if isinstance(current, dict) and "unit" in current:  # a parameter: replace its numbers
            if not isinstance(value, dict):
                raise ScenarioError(f"{path}: {here}: expected a mapping with value(s)")
            _check_keys(path, here, value, PARAM_KEYS)
            if not ({"source", "assumption"} & set(value)):
                raise ScenarioError(f"{path}: {here}: a change needs its source: or assumption:")
            merged = {k: v for k, v in current.items() if k not in ("source", "assumption")}
            for numbers in ("value", "values", "central"):
                if numbers in value:
                    for k in ("value", "values", "central", "low", "high"):
                        merged.pop(k, None)
            if "values" in value and isinstance(current.get("values"), dict):
                value = {**value, "values": {**current["values"], **value["values"]}}
            merged.update(value)
            merged["_changed_in"] = str(path)
            target[key] = merged
        elif isinstance(current, dict):
            if not isinstance(value, dict):
                raise ScenarioError(f"{path}: {here}: expected a mapping")
            _merge(path, here, current, value)
        else:
            target[key] = value


def _check_keys(path: Path, where: str, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise ScenarioError(
                f"{path}: {prefix}{key}: unknown key (allowed: {', '.join(sorted(allowed))})"
            )


def _require(path: Path, data: dict, key: str) -> None:
    if data.get(key) is None:
        raise ScenarioError(f"{path}: {key}: missing value")


def _build(
    path: Path,
    tree: dict,
    years: tuple[int, int],
    active: list,
    name: Any,
    description: str,
    root: Path,
) -> Scenario:
    files = tree["_files"]

    def where(section: str, key: str, node: dict | None = None) -> str:
        source = node.get("_changed_in") if isinstance(node, dict) else None
        return f"{source or files[section]}: {key}"

    def param(section: str, key: str, node: Any, yearly: bool = False) -> Parameter:
        return _parameter(where(section, key, node), node, years, yearly)

    levers = {}
    for m_name, spec in tree["measures"].items():
        key = f"measures.{m_name}"
        if not isinstance(spec, dict):
            raise ScenarioError(f"{files['measures']}: {key}: expected a mapping")
        for f_name in MEASURE_FIELDS:
            if spec.get(f_name) is None:
                raise ScenarioError(f"{files['measures']}: {key}.{f_name}: missing value")
        for choice, options in (
            ("reach", REACH),
            ("priority", PRIORITY),
            ("eligible", tuple(ELIGIBILITY)),
        ):
            if spec[choice] not in options:
                raise ScenarioError(
                    f"{files['measures']}: {key}.{choice}: '{spec[choice]}' not one of {options}"
                )
        effects = {}
        if not isinstance(spec["effects"], dict) or not spec["effects"]:
            raise ScenarioError(f"{files['measures']}: {key}.effects: expected a mapping")
        for source, node in spec["effects"].items():
            k = f"{key}.effects.{source}"
            if source not in SOURCES:
                raise ScenarioError(f"{files['measures']}: {k}: unknown income source")
            effect = param("measures", k, node)
            if effect.kind not in EFFECT_KINDS:
                raise ScenarioError(
                    f"{where('measures', k, node)}: kind: not one of {EFFECT_KINDS}"
                )
            if effect.kind not in KINDS_BY_REACH[spec["reach"]]:
                raise ScenarioError(
                    f"{where('measures', k, node)}: kind: '{effect.kind}' does not fit reach "
                    f"'{spec['reach']}' (allowed: {KINDS_BY_REACH[spec['reach']]})"
                )
            effects[source] = effect
        extra = {
            k: param("measures", f"{key}.{k}", v)
            for k, v in spec.items()
            if k not in MEASURE_FIELDS
        }
        unit_cost = param("measures", f"{key}.unit_cost", spec["unit_cost"])
        if unit_cost.per not in ("once", "year", "paid"):
            raise ScenarioError(
                f"{where('measures', key + '.unit_cost', spec['unit_cost'])}: per: "
                "expected 'once', 'year' or 'paid'"
            )
        levers[m_name] = Measure(
            name=m_name,
            plan=str(spec["plan"]),
            reach=spec["reach"],
            eligible=spec["eligible"],
            priority=spec["priority"],
            scale=param("measures", f"{key}.scale", spec["scale"], yearly=True),
            reach_per_unit=param("measures", f"{key}.reach_per_unit", spec["reach_per_unit"]),
            take_up=param("measures", f"{key}.take_up", spec["take_up"]),
            unit_cost=unit_cost,
            effects=effects,
            delay_months=param("measures", f"{key}.delay_months", spec["delay_months"]),
            duration_months=param("measures", f"{key}.duration_months", spec["duration_months"]),
            extra=extra,
        )
    sections = {
        s: {k: param(s, f"{s}.{k}", v) for k, v in tree[s].items()}
        for s in ("province", "monitoring", "shocks", "calibration")
    }
    targeting = sections["monitoring"].get("targeting")
    if targeting is not None and (targeting.unit != RULE_UNIT or targeting.value not in TARGETING):
        node = tree["monitoring"]["targeting"]
        raise ScenarioError(
            f"{where('monitoring', 'monitoring.targeting', node)}.value: "
            f"'{targeting.value}' not one of {TARGETING} (unit: {RULE_UNIT})"
        )
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{path}: name: missing value")
    return Scenario(
        name=name,
        description=str(description or ""),
        path=str(path),
        years=years,
        measures=tuple(active),
        levers=levers,
        calibration_path=str(files["calibration"]),
        **sections,
    )


def _is_share(unit: str) -> bool:
    return unit == "share" or unit.startswith("share of")


def _parameter(where: str, node: Any, years: tuple[int, int], yearly: bool) -> Parameter:
    """Validate one parameter node and return it as a :class:`Parameter`."""
    if not isinstance(node, dict):
        raise ScenarioError(f"{where}: expected a mapping with unit and value(s), got {node!r}")
    node = {k: v for k, v in node.items() if k != "_changed_in"}
    for key in node:
        if key not in PARAM_KEYS:
            raise ScenarioError(f"{where}.{key}: unknown key")
    for key, value in node.items():
        if value is None:
            raise ScenarioError(f"{where}.{key}: missing value")
    if "unit" not in node:
        raise ScenarioError(f"{where}: unit: missing value")
    if not ({"source", "assumption"} & set(node)):
        raise ScenarioError(f"{where}: needs a source: or an assumption:")
    given = [k for k in ("value", "values", "central") if k in node]
    if len(given) != 1:
        raise ScenarioError(f"{where}: give exactly one of value, values, central (got {given})")
    if yearly and "values" not in node:
        raise ScenarioError(f"{where}.values: missing value (expected {{year: value}})")
    unit = str(node["unit"])
    signed = "log points" in unit  # shocks and other log effects may be negative

    def check_number(key: str, value: Any) -> None:
        if isinstance(value, str):
            if key.startswith("value") and (value in (ALL, "panel", "data") or unit == RULE_UNIT):
                return
            raise ScenarioError(f"{where}.{key}: '{value}' is not a number")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{where}.{key}: {value!r} is not a number")
        if not np.isfinite(value):
            raise ScenarioError(f"{where}.{key}: not a finite number")
        if value < 0 and not signed:
            raise ScenarioError(f"{where}.{key}: negative value {value} (a count or amount)")
        if _is_share(unit) and not 0 <= value <= 1:
            raise ScenarioError(f"{where}.{key}: share {value} outside [0, 1]")

    values = None
    if "values" in node:
        raw = node["values"]
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}.values: expected {{year: value}}")
        values = {}
        for year, value in raw.items():
            if not isinstance(year, int) or not years[0] <= year <= years[1]:
                raise ScenarioError(
                    f"{where}.values.{year}: year outside the run {years[0]}-{years[1]}"
                )
            if value is None:
                raise ScenarioError(f"{where}.values.{year}: missing value")
            check_number(f"values.{year}", value)
            values[year] = value
        for year in range(years[0], years[1] + 1):
            if year not in values:
                raise ScenarioError(f"{where}.values.{year}: missing value")
    for key in ("value", "central", "low", "high"):
        if key in node:
            check_number(key, node[key])
    if "central" in node:
        low, high = node.get("low", node["central"]), node.get("high", node["central"])
        if not low <= node["central"] <= high:
            raise ScenarioError(f"{where}: expected low <= central <= high")
    return Parameter(
        unit=unit,
        value=node.get("value"),
        values=values,
        central=node.get("central"),
        low=node.get("low", node.get("central")),
        high=node.get("high", node.get("central")),
        source=node.get("source"),
        assumption=node.get("assumption"),
        kind=node.get("kind"),
        per=node.get("per"),
        per_member=bool(node.get("per_member", False)),
    )

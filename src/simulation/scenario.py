"""Scenario files: a measure mix as a small change over a base, validated before anything runs.

A root scenario (``baseline.yaml``) names the catalogue of levers (``measures.yaml``), the
calibration file and the plan's years; every other scenario names a ``base`` and lists the
levers it switches on (``activate``) or off (``deactivate``) and the parameters it changes
(``changes``, merged into the catalogue). The loader refuses unknown keys, missing values,
negative counts, shares above one and years outside the run, naming the file, key and reason.

An uncertain effect (``central`` with ``low`` and ``high``) is drawn, once per replication,
from a distribution on [low, high] whose *mean* is the central value: ``beta`` (the default)
or ``triangular``, declared by the effect's ``distribution:`` key; an effect whose central
value that distribution cannot have as its mean is refused (:func:`effect_shape`). An effect
marked ``cumulative: true`` is a yearly entitlement raised every year: its size is the yearly
raise, and a year's entitlement holds every raise since the as-of year
(:func:`simulation.levers.raised_level`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.parameters import PANEL_RULES, ParameterError
from forecast.paths import data_file
from forecast.sourced import Rules, SourcedError, SourcedFile, read_entry, read_yaml
from simulation.decisions import LeverSearch, narrow, parse_search
from simulation.rules import ELIGIBILITY, MARKS, SOURCES

# ``search``: the scenario narrows the catalogue's decision space (simulation.decisions).
ROOT_KEYS = {"name", "description", "catalogue", "calibration", "years", "activate", "search"}
CHILD_KEYS = {"name", "description", "base", "activate", "deactivate", "changes", "search"}
PARAM_KEYS = {"value", "values", "central", "low", "high", "unit", "source", "assumption"}
PARAM_KEYS |= {"kind", "per", "per_member", "distribution", "cumulative"}
MEASURE_FIELDS = {"plan", "reach", "eligible", "priority", "scale", "reach_per_unit", "take_up"}
MEASURE_FIELDS |= {"unit_cost", "effects", "delay_months", "duration_months"}
NOT_PARAMETERS = {"marks", "search"}  # a lever's keys that are neither fields nor parameters
RULE_KEYS = {"value", "unit", "source", "assumption"}  # a named rule given with its basis
SECTIONS = ("province", "measures", "monitoring", "shocks", "agents")
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
# The institutions' rules of the catalogue's ``agents`` section (simulation.institutions):
# rule -> the words it may take.
AGENT_RULES = {
    "funds_rule": ("households", "performance"),
    "spending_rule": ("plan_priorities", "pro_rata"),
    "capacity_rule": ("queue", "refuse"),
}
# The mechanisms a scenario switches on (1) or off (0): ``agents.<switch>``.
AGENT_SWITCHES = ("budgets", "capacities", "caseload_delay", "entities", "village_economy")
# What a lever's links to a market entity may be (``link_entity``, ``link_arrangement``).
LINK_ENTITIES = ("firm", "cooperative", "workshop")
LINK_ARRANGEMENTS = ("orders", "equity", "shared_risk")
RULE_UNIT = "rule"  # unit of a parameter whose value is a named rule, not a number
ALL = "all"  # scale value: every eligible household
# The shock rates of the catalogue's ``shocks`` section (yearly probabilities).
SHOCK_RATES = ("illness_rate", "disaster_rate", "village_disaster_rate", "labour_demand_rate")
# How an uncertain effect is drawn on [low, high]; each has the central value as its MEAN, so
# the mean of the draws is the stated central value whether or not the range is symmetric.
#   beta        low + (high - low) * Beta(a, b) with a + b = 6 (the concentration of a
#               Beta-PERT with lambda = 4) and a / (a + b) = (central - low) / (high - low).
#               For a symmetric range it is the Beta-PERT; for an asymmetric one it keeps
#               PERT's spread but puts the mean, not the mode, on the central value (PERT's
#               mean (low + 4 central + high) / 6 would miss it). Needs a, b >= 1 (a density
#               that is zero at both ends and has one peak): central in the middle two thirds
#               of the range.
#   triangular  a triangular on [low, high] whose mode 3 central - low - high gives the mean
#               (low + mode + high) / 3 = central: central in the middle third of the range.
DISTRIBUTIONS = ("beta", "triangular")
DEFAULT_DISTRIBUTION = "beta"
BETA_CONCENTRATION = 6.0  # a + b; Beta-PERT's 2 + lambda with the standard lambda = 4
# Effect kinds whose size may accumulate year on year (``cumulative: true``): an amount or a
# share granted as a yearly entitlement.
CUMULATIVE_KINDS = ("add", "scale")
CUMULATIVE_FIELDS = ("duration_months", "unit_cost")  # what a cumulative effect's lever must say
# Province figures the catalogue takes from the synthetic panel's parameters (the word
# ``synthetic_panel`` as the value), so that the panel and the simulation count the same
# villages from one entry: key -> (numerator, denominator) entries of that file's
# ``population`` group.
SYNTHETIC_PANEL = "synthetic_panel"
SYNTHETIC_PANEL_FILE = "synthetic_panel.yaml"  # data/synthetic_panel.yaml (forecast.synthetic)
FROM_SYNTHETIC_PANEL: dict[str, tuple[str, str | None]] = {
    "villages": ("villages", None),
    "households_per_village": ("households", "villages"),
}
# A parameter is a sourced entry (forecast.sourced) whose number is a scalar ``value``, yearly
# ``values`` or an uncertain ``central`` with ``low`` and ``high``; the words stand in for a
# number given elsewhere (every eligible household, the panel's estimate, the line's data, the
# synthetic panel's parameters).
PARAMETER_RULES = Rules(
    fields=frozenset({"kind", "per", "per_member", "distribution", "cumulative"}),
    values=("value", "values", "central"),
    yearly=("values",),
    numbers=("low", "high"),
    scalar=True,
    words=frozenset({ALL, "panel", "data", SYNTHETIC_PANEL}),
    word_units=frozenset({RULE_UNIT}),
    word_keys=("value", "values"),
)


class ScenarioError(SourcedError):
    """A scenario file is invalid; ``file``, ``key`` and ``reason`` say where and why."""


@dataclass(frozen=True)
class Parameter:
    """One sourced number (or yearly numbers) of a lever, with its uncertainty range.

    ``value`` holds a scalar, ``values`` a {year: value} mapping, ``central/low/high`` an
    uncertain effect: ``central`` is its mean, ``low`` and ``high`` bound it, and
    ``distribution`` (``beta`` or ``triangular``, see :data:`DISTRIBUTIONS`) says how a
    replication draws it. ``cumulative`` marks a yearly raise that accumulates. ``source`` or
    ``assumption`` says where the number comes from.
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
    distribution: str = DEFAULT_DISTRIBUTION
    cumulative: bool = False

    def fixed(self, value: float) -> Parameter:
        """The parameter set to ``value``, its range cleared (a value set is not drawn)."""
        return dataclasses.replace(self, value=float(value), central=None, low=None, high=None)

    def at(self, year: int) -> Any:
        """Return the value for ``year`` (the scalar value when the parameter is not yearly)."""
        if self.values is not None:
            return self.values[year]
        return self.central if self.central is not None else self.value

    def draw(self, rng: np.random.Generator | None) -> float:
        """Return the central value, or one draw of the effect when ``rng`` is given.

        The draw comes from :attr:`distribution` on [low, high] with the central value as its
        mean (:func:`effect_shape`), so the mean of many replications' draws is the stated
        central value. One call takes one variate from ``rng`` (the parameter's own stream).
        """
        if self.central is None:
            return float(self.value)
        if rng is None or self.low is None or self.low == self.high:
            return float(self.central)
        low, high = float(self.low), float(self.high)
        shape = effect_shape(self.distribution, low, float(self.central), high)
        if self.distribution == "triangular":
            return float(rng.triangular(low, shape[0], high))
        return float(low + (high - low) * rng.beta(*shape))


def effect_shape(distribution: str, low: float, central: float, high: float) -> tuple[float, ...]:
    """Shape of the distribution on [low, high] whose mean is ``central``.

    Parameters
    ----------
    distribution : {"beta", "triangular"}
    low, central, high : float
        The range and its mean, ``low < high``.

    Returns
    -------
    tuple of float
        ``(a, b)`` of the Beta on [0, 1] for ``beta`` (``a + b`` = :data:`BETA_CONCENTRATION`,
        ``a / (a + b) = (central - low) / (high - low)``); ``(mode,)`` for ``triangular``
        (``mode = 3 central - low - high``).

    Raises
    ------
    ValueError
        When no such distribution keeps its usual shape: a Beta with ``a`` or ``b`` below 1
        (central in the outer sixth of the range: a density piled up at one end), or a
        triangular whose mode would fall outside the range (central outside its middle
        third). The message says why; the loader turns it into a :class:`ScenarioError`.
    """
    width = high - low
    position = (central - low) / width
    tolerance = 1e-9
    if distribution == "triangular":
        mode = 3 * central - low - high
        if not -tolerance <= (mode - low) / width <= 1 + tolerance:
            raise ValueError(
                f"a triangular draw on [{low:g}, {high:g}] with mean {central:g} needs its mode "
                f"at {mode:g}, outside the range (its mean lies in the middle third of the "
                "range); widen the range, move the central value or use distribution: beta"
            )
        return (min(max(mode, low), high),)
    a, b = BETA_CONCENTRATION * position, BETA_CONCENTRATION * (1 - position)
    if min(a, b) < 1 - tolerance:
        raise ValueError(
            f"a beta draw on [{low:g}, {high:g}] with mean {central:g} would pile up at the "
            f"end of the range (a = {a:.2f}, b = {b:.2f}, both must be >= 1: the central value "
            "must lie in the middle two thirds of the range); widen the range or move the "
            "central value"
        )
    return max(a, 1.0), max(b, 1.0)


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
    marks: tuple[str, ...] = ()  # flags it gives the villages it reaches (rules.MARKS)
    search: LeverSearch | None = None  # what a search may change (simulation.decisions)


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
    agents : dict of str to Parameter
        The institutions' rules and switches (budgets, capacities, market entities, the
        village economy; :mod:`simulation.institutions`).
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
    catalogue_path: str = ""  # the measure catalogue of the root scenario
    agents: dict[str, Parameter] = field(default_factory=dict)

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

    def with_values(self, section: str, **values: float) -> Scenario:
        """Return the scenario with parameters of ``section`` (``province``, ``monitoring``,
        ``shocks``, ``calibration`` or ``agents``) set to new values; each must exist already."""
        if section not in ("province", "monitoring", "shocks", "calibration", "agents"):
            raise ValueError(f"with_values: no section {section!r}")
        parameters = dict(getattr(self, section))
        for key, value in values.items():
            if key not in parameters:
                raise KeyError(f"with_values: {section}.{key} is not a parameter of {self.name!r}")
            # A value set here is fixed: it replaces any range the file gave.
            parameters[key] = parameters[key].fixed(value)
        return dataclasses.replace(self, **{section: parameters})

    def with_value(self, address: str, value: float) -> Scenario:
        """Return the scenario with the parameter at ``address`` fixed at ``value``.

        ``address`` names a section's parameter (``shocks.illness_rate``, as
        :meth:`with_values`) or a lever's (``measures.skills_training.effects.wage``,
        ``measures.facilities.take_up``): the addresses of :mod:`simulation.uncertainties`.
        """
        section, *rest = address.split(".")
        if section != "measures":
            if len(rest) != 1:
                raise KeyError(f"with_value: {address!r} is not section.parameter")
            return self.with_values(section, **{rest[0]: value})
        if len(rest) < 2 or rest[0] not in self.levers:
            raise KeyError(f"with_value: {address!r} names no lever of {self.name!r}")
        levers = dict(self.levers)
        levers[rest[0]] = _fixed_at(levers[rest[0]], rest[1:], value, address)
        return dataclasses.replace(self, levers=levers)

    def without_shocks(self) -> Scenario:
        """The scenario with no new shock: every shock rate and the price volatility at 0
        (for counterfactuals and checks of the trend)."""
        return self.with_values("shocks", **dict.fromkeys((*SHOCK_RATES, "price_volatility"), 0))

    def without_monitoring_payments(self) -> Scenario:
        """The scenario whose monitoring system pays nothing (no preventive support, no
        top-up): it still screens and enrols."""
        return self.with_values("monitoring", preventive_support=0, assistance_gap_closure=0)

    def without_agents(self, *switches: str) -> Scenario:
        """The scenario with the named institutional mechanisms switched off (all of
        :data:`AGENT_SWITCHES` when none is named): the model without them, for evidence."""
        names = switches or AGENT_SWITCHES
        unknown = set(names) - set(AGENT_SWITCHES)
        if unknown:
            raise KeyError(f"without_agents: {sorted(unknown)} not among {AGENT_SWITCHES}")
        return self.with_values("agents", **dict.fromkeys(names, 0))

    def agent(self, key: str) -> Any:
        """The central value of ``agents.<key>`` (a number, or a rule's word)."""
        return self.agents[key].at(self.years[0])

    def with_calibration(self, **values: float) -> Scenario:
        """Return the scenario with calibration parameters replaced (calibration, validation)."""
        return self.with_values("calibration", **values)

    def with_calibration_of(self, parameters: Mapping[str, float]) -> Scenario:
        """The scenario with the calibration a replication drew (its
        ``ReplicationResult.parameters``, keys ``calibration.*``): replays that replication."""
        prefix = "calibration."
        return self.with_calibration(
            **{k.removeprefix(prefix): v for k, v in parameters.items() if k.startswith(prefix)}
        )

    def planned_cost(self, households: float, members: float) -> pd.DataFrame:
        """Return the planned cost of active levers by year: scale x unit cost (central effects).

        Parameters
        ----------
        households : float
            Households reached by levers scaled ``all`` (e.g. the eligible households).
        members : float
            Mean members per household, for levers paid per member.
        The collective top-up depends on the villages' incomes and is reported as NaN. A
        cumulative effect counts its raises from the scenario's first year (the plan's).
        """
        rows = []
        for name in self.measures:
            m = self.levers[name]
            for year in range(self.years[0], self.years[1] + 1):
                scale = m.scale.at(year)
                units = households if scale == ALL else float(scale)
                raises = year - self.years[0] + 1
                if any(e.kind == "collective" for e in m.effects.values()):
                    cost = np.nan
                elif m.unit_cost.per == "paid":
                    paid = sum(
                        e.central
                        * (members if e.per_member else 1)
                        * (raises if e.cumulative else 1)
                        for e in m.effects.values()
                    )
                    cost = units * m.reach_per_unit.value * paid * m.unit_cost.value
                else:
                    cost = units * m.unit_cost.value
                rows.append((name, year, cost))
        return pd.DataFrame(rows, columns=["measure", "year", "cost_yuan"])


def _fixed_at(node: Any, path: list[str], value: float, address: str) -> Any:
    """``node`` (a lever, a dict of parameters) with the parameter at ``path`` fixed."""
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        if head not in node:
            raise KeyError(f"with_value: {address!r}: no {head!r}")
        child = node[head]
        fixed = child.fixed(value) if not rest else _fixed_at(child, rest, value, address)
        return {**node, head: fixed}
    if not hasattr(node, head) and head in getattr(node, "extra", {}):  # a lever's own
        return dataclasses.replace(node, extra=_fixed_at(node.extra, path, value, address))
    child = getattr(node, head, None)
    if child is None:
        raise KeyError(f"with_value: {address!r}: no {head!r}")
    if not rest:
        if not isinstance(child, Parameter):
            raise KeyError(f"with_value: {address!r} is not a parameter")
        return dataclasses.replace(node, **{head: child.fixed(value)})
    return dataclasses.replace(node, **{head: _fixed_at(child, rest, value, address)})


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
    return read_yaml(path, ScenarioError)


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict, tuple[int, int], list, Path]:
    """Return (merged catalogue tree, years, active levers, root file) for ``path``."""
    if path in seen:
        raise ScenarioError(path, "base", "circular reference")
    data = _read(path)
    if "base" in data:
        _check_keys(path, "", data, CHILD_KEYS)
        _require(path, data, "name")
        base = (path.parent / str(data["base"])).resolve()
        tree, years, active, root = _resolve(base, (*seen, path))
        switched_off = _measure_names(path, data, "deactivate", tree)
        active = [m for m in active if m not in switched_off]
        active += [m for m in _measure_names(path, data, "activate", tree) if m not in active]
        changes = data.get("changes") or {}
        if not isinstance(changes, dict):
            raise ScenarioError(path, "changes", "expected a mapping")
        _merge(path, "changes", tree, changes)
        if "search" in data:
            tree["_search"].append((path, data["search"]))
        return tree, years, active, root
    _check_keys(path, "", data, ROOT_KEYS)
    for key in ("name", "catalogue", "calibration", "years"):
        _require(path, data, key)
    years = data["years"]
    if not (isinstance(years, dict) and set(years) == {"first", "last"}):
        raise ScenarioError(path, "years", "expected {first: YEAR, last: YEAR}")
    if not all(isinstance(y, int) for y in years.values()) or years["first"] > years["last"]:
        raise ScenarioError(path, "years", "first and last must be years, first <= last")
    catalogue_path = (path.parent / str(data["catalogue"])).resolve()
    catalogue = _read(catalogue_path)
    _check_keys(catalogue_path, "", catalogue, {"kind", *SECTIONS})
    calibration_path = (path.parent / str(data["calibration"])).resolve()
    calibration = _read(calibration_path)
    tree = {s: catalogue.get(s) or {} for s in SECTIONS}
    # The posterior's covariance is read by simulation.calibration.Posterior, not a parameter.
    tree["calibration"] = {
        k: v for k, v in calibration.items() if k not in ("kind", "posterior_covariance")
    }
    tree["_files"] = {s: catalogue_path for s in SECTIONS} | {"calibration": calibration_path}
    tree["_search"] = [(path, data["search"])] if "search" in data else []
    active = _measure_names(path, data, "activate", tree)
    return tree, (years["first"], years["last"]), active, path


def _measure_names(path: Path, data: dict, key: str, tree: dict) -> list[str]:
    """The measures listed under ``key`` (``activate``, ``deactivate``), each in the catalogue."""
    names = data.get(key) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScenarioError(path, key, f"expected a list of measure names, got {names!r:.80}")
    for n in names:
        if n not in tree["measures"]:
            raise ScenarioError(path, key, f"unknown measure '{n}'")
    return names


def _merge(path: Path, where: str, target: dict, changes: dict) -> None:
    """Deep-merge ``changes`` into ``target``; every key must already exist there."""
    for key, value in changes.items():
        here = f"{where}.{key}"
        if key not in target or key.startswith("_"):
            raise ScenarioError(path, here, "unknown key")
        if value is None:
            raise ScenarioError(path, here, "missing value")
        current = target[key]
        if isinstance(current, dict) and "unit" in current:  # a parameter: replace its numbers
            if not isinstance(value, dict):
                raise ScenarioError(path, here, "expected a mapping with value(s)")
            _check_keys(path, here, value, PARAM_KEYS)
            if not ({"source", "assumption"} & set(value)):
                raise ScenarioError(path, here, "a change needs its source: or assumption:")
            if value.get("cumulative") is True and "source" not in value:
                raise ScenarioError(
                    path,
                    f"{here}.cumulative",
                    "needs a source: citing the plan's words that the amount is raised every year",
                )
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
                raise ScenarioError(path, here, "expected a mapping")
            _merge(path, here, current, value)
        elif isinstance(value, dict):  # a named rule given with its basis (priority)
            target[key] = {**value, "_changed_in": str(path)}
        else:
            target[key] = value


def _check_keys(path: Path, where: str, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise ScenarioError(
                path, f"{prefix}{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
            )


def _require(path: Path, data: dict, key: str) -> None:
    if data.get(key) is None:
        raise ScenarioError(path, key, "missing value")


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

    def file_of(section: str, node: Any = None) -> Path:
        """The scenario that last changed ``node``, else the file of its section."""
        changed = node.get("_changed_in") if isinstance(node, dict) else None
        return Path(changed) if changed else files[section]

    def param(section: str, key: str, node: Any, yearly: bool = False) -> Parameter:
        return _parameter(file_of(section, node), key, node, years, yearly)

    levers = {}
    for m_name, spec in tree["measures"].items():
        key = f"measures.{m_name}"
        if not isinstance(spec, dict):
            raise ScenarioError(files["measures"], key, "expected a mapping")
        for f_name in MEASURE_FIELDS:
            if spec.get(f_name) is None:
                raise ScenarioError(files["measures"], f"{key}.{f_name}", "missing value")
        if isinstance(spec["priority"], dict):
            node = spec["priority"]
            spec = {**spec, "priority": _rule(file_of("measures", node), f"{key}.priority", node)}
        for choice, options in (
            ("reach", REACH),
            ("priority", PRIORITY),
            ("eligible", tuple(ELIGIBILITY)),
        ):
            if spec[choice] not in options:
                raise ScenarioError(
                    files["measures"], f"{key}.{choice}", f"'{spec[choice]}' not one of {options}"
                )
        effects = {}
        if not isinstance(spec["effects"], dict) or not spec["effects"]:
            raise ScenarioError(files["measures"], f"{key}.effects", "expected a mapping")
        for source, node in spec["effects"].items():
            k = f"{key}.effects.{source}"
            if source not in SOURCES:
                raise ScenarioError(files["measures"], k, "unknown income source")
            effect = param("measures", k, node)
            if effect.kind not in EFFECT_KINDS:
                raise ScenarioError(
                    file_of("measures", node), f"{k}.kind", f"not one of {EFFECT_KINDS}"
                )
            if effect.kind not in KINDS_BY_REACH[spec["reach"]]:
                raise ScenarioError(
                    file_of("measures", node),
                    f"{k}.kind",
                    f"'{effect.kind}' does not fit reach '{spec['reach']}' "
                    f"(allowed: {KINDS_BY_REACH[spec['reach']]})",
                )
            if effect.cumulative:
                lever = {f: param("measures", f"{key}.{f}", spec[f]) for f in CUMULATIVE_FIELDS}
                changed = isinstance(node, dict) and "_changed_in" in node
                _check_cumulative(file_of("measures", node), k, effect, lever, changed)
            effects[source] = effect
        marks = spec.get("marks", [])
        if not isinstance(marks, list) or any(m not in MARKS for m in marks):
            raise ScenarioError(
                files["measures"], f"{key}.marks", f"expected a list of {MARKS}, got {marks!r}"
            )
        if marks and spec["reach"] != "villages":
            raise ScenarioError(
                files["measures"], f"{key}.marks", "only a lever reaching villages marks them"
            )
        extra = {
            k: param("measures", f"{key}.{k}", v)
            for k, v in spec.items()
            if k not in MEASURE_FIELDS | NOT_PARAMETERS
        }
        unit_cost = param("measures", f"{key}.unit_cost", spec["unit_cost"])
        if unit_cost.per not in ("once", "year", "paid"):
            raise ScenarioError(
                file_of("measures", spec["unit_cost"]),
                f"{key}.unit_cost.per",
                "expected 'once', 'year' or 'paid'",
            )
        scale = param("measures", f"{key}.scale", spec["scale"], yearly=True)
        search = None
        if spec.get("search") is not None:
            search = parse_search(
                spec["search"],
                files["measures"],
                f"{key}.search",
                scale_unit=scale.unit,
                scale_values=scale.values or {},
                reach=spec["reach"],
                priorities=PRIORITY,
                error=ScenarioError,
            )
        levers[m_name] = Measure(
            name=m_name,
            plan=str(spec["plan"]),
            reach=spec["reach"],
            eligible=spec["eligible"],
            priority=spec["priority"],
            scale=scale,
            reach_per_unit=param("measures", f"{key}.reach_per_unit", spec["reach_per_unit"]),
            take_up=param("measures", f"{key}.take_up", spec["take_up"]),
            unit_cost=unit_cost,
            effects=effects,
            delay_months=param("measures", f"{key}.delay_months", spec["delay_months"]),
            duration_months=param("measures", f"{key}.duration_months", spec["duration_months"]),
            extra=extra,
            marks=tuple(marks),
            search=search,
        )
    _narrow_search(levers, tree["_search"])
    sections = {
        s: {k: param(s, f"{s}.{k}", v) for k, v in tree[s].items()}
        for s in ("province", "monitoring", "shocks", "calibration", "agents")
    }
    _check_agents(sections["agents"], levers, tree, file_of)
    for key, p in sections["province"].items():
        if p.value == SYNTHETIC_PANEL:
            sections["province"][key] = _from_synthetic_panel(key, p)
    targeting = sections["monitoring"].get("targeting")
    if targeting is not None and (targeting.unit != RULE_UNIT or targeting.value not in TARGETING):
        node = tree["monitoring"]["targeting"]
        raise ScenarioError(
            file_of("monitoring", node),
            "monitoring.targeting.value",
            f"'{targeting.value}' not one of {TARGETING} (unit: {RULE_UNIT})",
        )
    if not name:
        raise ScenarioError(path, "name", "missing value")
    if not isinstance(name, str):
        raise ScenarioError(path, "name", f"expected text, got a {type(name).__name__}")
    if description is not None and not isinstance(description, str):
        raise ScenarioError(
            path, "description", f"expected text, got a {type(description).__name__}"
        )
    return Scenario(
        name=name,
        description=description or "",
        path=str(path),
        years=years,
        measures=tuple(active),
        levers=levers,
        calibration_path=str(files["calibration"]),
        catalogue_path=str(files["measures"]),
        **sections,
    )


def _check_agents(agents: dict[str, Parameter], levers: dict[str, Measure], tree, file_of) -> None:
    """The institutions' rules take one of their words, a switch is 0 or 1, and a lever's
    links name a known entity and arrangement (simulation.institutions)."""
    for key, p in agents.items():
        node = tree["agents"][key]
        if key in AGENT_RULES and (p.unit != RULE_UNIT or p.value not in AGENT_RULES[key]):
            raise ScenarioError(
                file_of("agents", node),
                f"agents.{key}.value",
                f"'{p.value}' not one of {AGENT_RULES[key]} (unit: {RULE_UNIT})",
            )
        if key in AGENT_SWITCHES and p.value not in (0, 1):
            raise ScenarioError(
                file_of("agents", node), f"agents.{key}.value", "expected 1 (on) or 0 (off)"
            )
    for name, m in levers.items():
        for key, words in (("link_entity", LINK_ENTITIES), ("link_arrangement", LINK_ARRANGEMENTS)):
            p = m.extra.get(key)
            if p is not None and (p.unit != RULE_UNIT or p.value not in words):
                raise ScenarioError(
                    file_of("measures", tree["measures"][name][key]),
                    f"measures.{name}.{key}.value",
                    f"'{p.value}' not one of {words} (unit: {RULE_UNIT})",
                )
        if ("link_entity" in m.extra) != ("link_arrangement" in m.extra) or (
            "link_entity" in m.extra and m.reach != "households"
        ):
            raise ScenarioError(
                file_of("measures", tree["measures"][name]),
                f"measures.{name}.link_entity",
                "a lever reaching households links them with both link_entity and link_arrangement",
            )


def _rule(file: Path, key: str, node: dict) -> str:
    """A named rule given as ``{value, unit: rule, source|assumption}``: its value."""
    node = {k: v for k, v in node.items() if k != "_changed_in"}
    _check_keys(file, key, node, RULE_KEYS)
    if node.get("unit") != RULE_UNIT:
        raise ScenarioError(file, f"{key}.unit", f"expected '{RULE_UNIT}'")
    if not ({"source", "assumption"} & set(node)):
        raise ScenarioError(file, key, "needs a 'source' or an 'assumption'")
    if not isinstance(node.get("value"), str):
        raise ScenarioError(file, f"{key}.value", "missing value")
    return node["value"]


def _narrow_search(levers: dict[str, Measure], narrowings: list[tuple[Path, Any]]) -> None:
    """Apply each scenario's ``search:`` section (root first) to its levers' search spaces."""
    for path, section in narrowings:
        if not isinstance(section, dict) or not section:
            raise ScenarioError(path, "search", "expected a mapping of measure names")
        for name, node in section.items():
            if name not in levers:
                raise ScenarioError(path, f"search.{name}", "unknown measure")
            narrowed = narrow(levers[name].search, node, path, f"search.{name}", ScenarioError)
            levers[name] = dataclasses.replace(levers[name], search=narrowed)


def _parameter(file: Path, key: str, node: Any, years: tuple[int, int], yearly: bool) -> Parameter:
    """Validate one parameter node as a sourced entry and return it as a :class:`Parameter`.

    :func:`forecast.sourced.read_entry` refuses an unknown key, a missing value, unit or basis,
    a value that is not a number, a negative count, a share above one and a year outside the
    run; a scenario adds that yearly values cover every year of the run and that an
    uncertain effect's range holds its centre.
    """
    if isinstance(node, dict):
        node = {k: v for k, v in node.items() if k != "_changed_in"}
    rules = dataclasses.replace(PARAMETER_RULES, years=years)
    read_entry(node, file, key, rules, ScenarioError)
    if yearly and "values" not in node:
        raise ScenarioError(file, f"{key}.values", "missing value (expected {year: value})")
    values = None
    if "values" in node:
        values = dict(node["values"])
        for year in range(years[0], years[1] + 1):
            if year not in values:
                raise ScenarioError(file, f"{key}.values.{year}", "missing value")
    _check_words(file, key, node)
    distribution = node.get("distribution", DEFAULT_DISTRIBUTION)
    if "distribution" in node and "central" not in node:
        raise ScenarioError(
            file, f"{key}.distribution", "only an uncertain effect (central, low, high) is drawn"
        )
    if distribution not in DISTRIBUTIONS:
        raise ScenarioError(
            file, f"{key}.distribution", f"'{distribution}' not one of {DISTRIBUTIONS}"
        )
    if not isinstance(node.get("cumulative", False), bool):
        raise ScenarioError(file, f"{key}.cumulative", "expected true or false")
    if "central" in node:
        low, high = node.get("low", node["central"]), node.get("high", node["central"])
        if not low <= node["central"] <= high:
            raise ScenarioError(file, key, "expected low <= central <= high")
        if low < high:
            try:
                effect_shape(distribution, low, node["central"], high)
            except ValueError as exc:
                raise ScenarioError(file, f"{key}.central", str(exc)) from None
    return Parameter(
        unit=str(node["unit"]),
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
        distribution=distribution,
        cumulative=node.get("cumulative", False),
    )


def _check_words(file: Path, key: str, node: dict) -> None:
    """Refuse the word ``synthetic_panel`` where no province figure is read from that file."""
    given = [node.get("value"), *(node.get("values") or {}).values()]
    province_keys = {f"province.{k}" for k in FROM_SYNTHETIC_PANEL}
    if SYNTHETIC_PANEL in given and key not in province_keys:
        raise ScenarioError(
            file,
            f"{key}.value",
            f"'{SYNTHETIC_PANEL}' stands only for {', '.join(sorted(province_keys))}",
        )


def _check_cumulative(
    file: Path, key: str, effect: Parameter, lever: dict[str, Parameter], changed: bool
) -> None:
    """An effect that accumulates is a yearly entitlement raised every year, as the plan says.

    It must be an amount or a share (:data:`CUMULATIVE_KINDS`), granted for at most twelve
    months and renewed each year (a longer grant would hold one year's level for years), paid
    for as it is paid out (``unit_cost.per: paid``, so the cost grows with the raises), and
    where ``cumulative: true`` is written it must cite the plan's words (a ``source:``; a
    scenario that only changes the size keeps the catalogue's rule, checked by :func:`_merge`
    when the change itself sets it).
    """
    if effect.kind not in CUMULATIVE_KINDS:
        raise ScenarioError(
            file, f"{key}.cumulative", f"only effects of kind {CUMULATIVE_KINDS} accumulate"
        )
    duration = lever["duration_months"]
    if not isinstance(duration.value, int | float) or duration.value > 12:
        raise ScenarioError(
            file,
            f"{key}.cumulative",
            f"only a yearly entitlement accumulates (duration_months <= 12, got {duration.value})",
        )
    if lever["unit_cost"].per != "paid":
        raise ScenarioError(
            file,
            f"{key}.cumulative",
            "only a lever whose cost is what it pays (unit_cost.per: paid) accumulates: "
            "a cost per unit would not grow with the raises",
        )
    if not changed and not effect.source:
        raise ScenarioError(
            file,
            f"{key}.cumulative",
            "needs a source: citing the plan's words that the amount is raised every year",
        )


def _from_synthetic_panel(key: str, p: Parameter) -> Parameter:
    """The province figure ``key`` read from the synthetic panel's parameters.

    ``data/synthetic_panel.yaml`` (group ``population``) holds the one village count the
    panel is drawn with; the catalogue reads it from there (:data:`FROM_SYNTHETIC_PANEL`)
    rather than keep a second number. The resolved parameter keeps the catalogue's unit and
    source and carries the panel entry's assumption.
    """
    path = data_file(SYNTHETIC_PANEL_FILE)
    numerator, denominator = FROM_SYNTHETIC_PANEL[key]
    try:
        panel = SourcedFile.load(path, PANEL_RULES, error=ParameterError)
        entries = [panel.entry("population", numerator)]
        if denominator is not None:
            entries.append(panel.entry("population", denominator))
    except SourcedError as exc:
        raise ScenarioError(exc.file, exc.key, exc.reason) from None
    for entry, name in zip(entries, (numerator, denominator), strict=False):
        if not isinstance(entry.value, int | float) or entry.value <= 0:
            raise ScenarioError(
                path, f"population.{name}", f"expected a positive number for province.{key}"
            )
    value = entries[0].value if denominator is None else entries[0].value / entries[1].value
    return dataclasses.replace(
        p,
        value=value,
        assumption=" ".join(e.assumption for e in entries if e.assumption) or p.assumption,
    )

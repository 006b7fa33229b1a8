"""One loader for sourced data: every number with a unit and a source or a stated assumption.

The YAML files of the project (the synthetic panel's parameters, the monitoring line, the risk
policy, the macro layer's settings, the levers of the plan) hold numbers that someone found or
chose. Each such number is an *entry*::

    households_per_village:
      value: 160
      unit: alleviated households per village
      assumption: "2.1 million households (public_statistics, E) / 13,000 villages, rounded"

An entry holds its ``value``, its ``unit`` and a ``source`` or an ``assumption`` (or both: a
source for part of it and an assumption for the rest). A value is a number, a ``{year: number}``
map, or a mapping of numbers (shares by source, a low-high range), nested as deep as needed;
where a file allows it, a word standing in for a number given elsewhere (``all``, ``panel``) or
a name (a series, a rule). A file may give one unit for all its entries and allow keys of its
own (``status``, ``known_in``, a lever's ``kind``); :class:`Rules` says what each file allows.

:func:`read_entry` checks one entry and returns a :class:`Sourced`; :class:`SourcedFile` reads a
file and hands out its entries. Whatever the file, an entry is refused, before anything runs,
for:

- an unknown key (where the file's rules close the schema);
- a missing value (no value, or a key left empty);
- a value that is not a number (nor an allowed word or name), or not finite;
- a negative count or amount (units in log points or log-odds may be negative);
- a share outside [0, 1] (a unit ``share`` or ``share of ...``, unless the unit says that
  values above 1 are meant: ``share of income lost (... above 1 means a net loss)``);
- a missing unit (unless the file states one for all entries, or the value is a name);
- no source and no assumption;
- a year written as text, or a year outside the run (where the file's rules give one).

Every refusal is a :class:`SourcedError` naming the file, the key and the reason.

Every YAML file the project reads from a user or from disk goes through :func:`load_yaml`,
which holds against hostile files before parsing anything: a file over
``ZENGSHOU_MAX_YAML_BYTES`` (256 KiB by default, 9 times the largest shipped file) is refused
unread, text that is not UTF-8 is refused naming the line, and YAML aliases (``*name``) are
refused, so a "billion laughs" file cannot expand and no two entries share one mutable value
(a scenario's changes are merged in place). A ``source:`` or ``assumption:`` anywhere in a
file read by :func:`read_yaml` must be text.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

BASIS: tuple[str, ...] = ("source", "assumption")
CORE_KEYS = frozenset({"value", "unit", *BASIS})
SIGNED_UNITS: tuple[str, ...] = ("log points", "log-odds")  # effects that may be negative
_QUOTED_YEAR = re.compile(r"^\d{4}$")
MAX_YAML_BYTES_SETTING = "ZENGSHOU_MAX_YAML_BYTES"
MAX_YAML_BYTES = 256 * 1024  # its default; the largest shipped YAML is under 30 KB


class SourcedError(ValueError):
    """A sourced data file is missing or malformed, or lacks what was asked of it.

    The message is ``"{file}: {key}: {reason}"`` (``"{file}: {reason}"`` for the file as a
    whole).

    Attributes
    ----------
    file : pathlib.Path
        The file.
    key : str
        Dotted key path of the offending entry (empty for the file as a whole).
    reason : str
        What is wrong.
    """

    def __init__(self, file: str | Path, key: str, reason: str) -> None:
        self.file, self.key, self.reason = Path(file), str(key), reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")

    def __reduce__(self):  # rebuilt from its attributes when it crosses a process boundary
        return (type(self), (self.file, self.key, self.reason))


ErrorType = Callable[[Path, str, str], SourcedError]


def is_year(key: Any) -> bool:
    """Whether ``key`` is a year as the files write it: a bare integer."""
    return isinstance(key, int) and not isinstance(key, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is an int or a float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_quoted_year(key: Any) -> bool:
    """Whether ``key`` is a year written as text (``'2021'``), which YAML reads as a string."""
    return isinstance(key, str) and bool(_QUOTED_YEAR.match(key))


def is_share(unit: str | None) -> bool:
    """Whether values in ``unit`` are shares in [0, 1] (see the module docstring)."""
    if not unit:
        return False
    return (unit == "share" or unit.startswith("share of")) and "above 1" not in unit


def is_signed(unit: str | None) -> bool:
    """Whether values in ``unit`` may be negative (log effects)."""
    return bool(unit) and any(word in unit for word in SIGNED_UNITS)


def dotted(*keys: Any) -> str:
    """``"a.b.2022"`` from ``("a", "b", 2022)``, skipping empty parts."""
    return ".".join(str(k) for k in keys if k != "")


@dataclass(frozen=True)
class Sourced:
    """A value with its unit and where it comes from.

    Attributes
    ----------
    value : object
        A number, a ``{year: number}`` map, a mapping of numbers, or (where the file allows
        it) a word or a name.
    unit : str or None
        ``None`` only for a name.
    source, assumption : str or None
        At least one is given.
    extra : mapping
        The entry's other keys, as the file's rules allow them (``status``, ``known_in``...).
    """

    value: Any
    unit: str | None = None
    source: str | None = None
    assumption: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def basis(self) -> str:
        """The source, else the assumption, on one line."""
        return " ".join(str(self.source or self.assumption).split())

    def by_year(self, years: np.ndarray | Sequence[int]) -> np.ndarray:
        """The value in each of ``years`` (see :func:`by_year`)."""
        return by_year(self.value, years)


def by_year(value: float | Mapping[int, float], years: np.ndarray | Sequence[int]) -> np.ndarray:
    """Return a yearly value for each of ``years``: a constant, or a ``{year: value}`` mapping
    interpolated linearly between its years and held flat beyond them."""
    years = np.asarray(years, dtype=float)
    if not isinstance(value, Mapping):
        return np.full(years.shape, float(value))
    known = sorted((int(y), float(v)) for y, v in value.items())
    return np.interp(years, [y for y, _ in known], [v for _, v in known])


@dataclass(frozen=True)
class Rules:
    """What a file allows in its entries, beyond the checks every entry gets.

    Attributes
    ----------
    fields : frozenset of str or None
        Keys an entry may hold besides ``unit``, ``source``, ``assumption`` and its value
        keys; ``None`` leaves the schema open.
    values : tuple of str
        The keys that may hold the value; an entry gives exactly one of them.
    yearly : tuple of str
        Of ``values``, the keys whose value is a ``{year: value}`` map.
    numbers : tuple of str
        Other keys that hold numbers, checked as the value is (a range's ``low``, ``high``).
    scalar : bool
        The value keys not in ``yearly`` and ``numbers`` hold one number, not a mapping.
    unit : str or None
        The file's unit, for entries that state none; ``None``: each entry states its own.
    names : bool
        A value without a unit may be a name (a series, a rule): text, not a number.
    words : frozenset of str
        Words a value may hold in place of a number given elsewhere (``all``, ``panel``).
    word_units : frozenset of str
        Units whose values are words (a rule's name).
    word_keys : tuple of str
        The value keys that may hold such words (not a range's centre, say).
    years : (int, int) or None
        First and last year of the run: year keys outside it are refused.
    """

    fields: frozenset[str] | None = frozenset()
    values: tuple[str, ...] = ("value",)
    yearly: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    scalar: bool = False
    unit: str | None = None
    names: bool = False
    words: frozenset[str] = frozenset()
    word_units: frozenset[str] = frozenset()
    word_keys: tuple[str, ...] = ("value",)
    years: tuple[int, int] | None = None


def read_entry(
    node: Any,
    file: str | Path,
    key: str,
    rules: Rules = Rules(),
    error: ErrorType = SourcedError,
) -> Sourced:
    """Check one entry against the generic checks and ``rules``; return it as a value.

    Parameters
    ----------
    node : object
        The entry as YAML gives it (a mapping).
    file, key : path and str
        Where the entry is, for the error message.
    rules : Rules
        What the file allows.
    error : SourcedError subclass
        The error to raise (a loader's own subclass, kept for its callers).

    Raises
    ------
    SourcedError
        Naming the file, the key and the reason (see the module docstring).
    """
    file = Path(file)

    def fail(at: Any, reason: str) -> SourcedError:
        return error(file, dotted(key, at), reason)

    if not isinstance(node, Mapping):
        wanted = " or ".join(rules.values)
        raise fail("", f"expected a mapping with {wanted}, a unit and a source or an assumption")
    if rules.fields is not None:
        allowed = CORE_KEYS | set(rules.values) | set(rules.numbers) | rules.fields
        for name in node:
            if name not in allowed:
                raise fail(name, "unknown key")
    for name, item in node.items():
        if item is None:
            raise fail(name, "missing value")
    given = [name for name in rules.values if name in node]
    unit = node.get("unit", rules.unit)
    is_name = rules.names and unit is None and len(given) == 1 and isinstance(node[given[0]], str)
    if unit is None and not is_name:
        raise fail("unit", "missing value")
    if unit is not None and not (isinstance(unit, str) and unit.strip()):
        raise fail("unit", f"expected the unit as text, got {unit!r}")
    if not any(name in node for name in BASIS):
        raise fail("", "needs a 'source' or an 'assumption'")
    for name in BASIS:
        if name in node and not (isinstance(node[name], str) and node[name].strip()):
            raise fail(name, f"expected text saying where the value comes from, got {node[name]!r}")
    if len(given) != 1:
        if not given and len(rules.values) == 1:
            raise fail(rules.values[0], "missing value")
        raise fail("", f"give exactly one of {', '.join(rules.values)} (got {given})")
    value_key = given[0]
    if not is_name:
        for name in (value_key, *rules.numbers):
            if name in node:
                _check_value(node[name], name, unit, rules, fail)
    extra = {k: v for k, v in node.items() if k not in CORE_KEYS and k != value_key}
    return Sourced(
        value=node[value_key],
        unit=unit,
        source=node.get("source"),
        assumption=node.get("assumption"),
        extra=extra,
    )


def _check_value(
    value: Any, name: str, unit: str | None, rules: Rules, fail: Callable[[Any, str], Exception]
) -> None:
    """Check the numbers a value key holds (see :class:`Rules`)."""
    word_ok = name in rules.word_keys
    if name in rules.yearly:
        if not isinstance(value, Mapping):
            raise fail(name, "expected {year: value}")
        for year in value:
            if not is_year(year):
                raise fail(dotted(name, year), _not_a_year(year, rules))
    elif (rules.scalar or name in rules.numbers) and isinstance(value, Mapping):
        raise fail(name, f"{value!r} is not a number")
    _check_numbers(value, name, unit, rules, word_ok, fail)


def _not_a_year(key: Any, rules: Rules) -> str:
    if is_quoted_year(key):
        return "a year written as text (quoted): write it as a bare number"
    if rules.years is not None:
        return f"year outside the run {rules.years[0]}-{rules.years[1]}"
    return f"{key!r} is not a year"


def _check_numbers(
    value: Any,
    at: str,
    unit: str | None,
    rules: Rules,
    word_ok: bool,
    fail: Callable[[Any, str], Exception],
) -> None:
    """Refuse what is not a finite number in ``unit``'s range, at any depth of mappings."""
    if isinstance(value, Mapping):
        if not value:
            raise fail(at, "missing value")
        for key, item in value.items():
            here = dotted(at, key)
            if is_quoted_year(key):
                raise fail(here, _not_a_year(key, rules))
            if is_year(key) and rules.years is not None:
                first, last = rules.years
                if not first <= key <= last:
                    raise fail(here, f"year outside the run {first}-{last}")
            if item is None:
                raise fail(here, "missing value")
            _check_numbers(item, here, unit, rules, word_ok, fail)
        return
    if isinstance(value, str):
        if word_ok and (value in rules.words or unit in rules.word_units):
            return
        raise fail(at, _text_not_number(value))
    if not is_number(value):
        raise fail(at, f"{value!r} is not a number")
    if not math.isfinite(value):
        raise fail(at, "not a finite number")
    if value < 0 and not is_signed(unit):
        raise fail(at, f"negative value {value} (a count or amount)")
    if is_share(unit) and not 0 <= value <= 1:
        raise fail(at, f"share {value} outside [0, 1]")


class SettingError(ValueError):
    """A ``ZENGSHOU_*`` environment variable holds a value the project cannot use.

    The message is ``"{variable}={value!r}: {reason}"``.
    """

    def __init__(self, variable: str, value: str, reason: str) -> None:
        self.variable, self.value, self.reason = variable, value, reason
        super().__init__(f"{variable}={value!r}: {reason}")

    def __reduce__(self):
        return (type(self), (self.variable, self.value, self.reason))


def max_yaml_bytes() -> int:
    """The largest YAML file read: ``$ZENGSHOU_MAX_YAML_BYTES`` or :data:`MAX_YAML_BYTES`.

    Raises
    ------
    SettingError
        The variable is not a whole number of bytes of at least 1.
    """
    text = os.environ.get(MAX_YAML_BYTES_SETTING)
    if text is None:
        return MAX_YAML_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingError(MAX_YAML_BYTES_SETTING, text, "expected a whole number of bytes >= 1")
    return value


class _AliasRefused(yaml.YAMLError):
    """An alias met while loading; its message names where the repeated value is anchored."""


class _NoAliasLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built
    """PyYAML's safe loader, refusing aliases.

    An alias makes one node appear twice in the composed graph: refusing it there, before
    anything is constructed, stops a "billion laughs" file before any expansion, whatever
    reads the result later.
    """

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        seen: set[int] = set()
        stack = [node]
        while stack:  # every node once; a stack, not recursion: nesting may be deep
            node_here = stack.pop()
            if id(node_here) in seen:
                mark = node_here.start_mark
                raise _AliasRefused(f"line {mark.line + 1}, column {mark.column + 1}")
            seen.add(id(node_here))
            if isinstance(node_here, yaml.SequenceNode):
                stack.extend(node_here.value)
            elif isinstance(node_here, yaml.MappingNode):
                stack.extend(item for pair in node_here.value for item in pair)
        return self.construct_document(node)


def load_yaml(path: str | Path, error: ErrorType = SourcedError) -> Any:
    """Read one YAML document from ``path``, safely: the one YAML reader of the project.

    Refuses, before parsing, a file larger than :func:`max_yaml_bytes`; then text that is
    not UTF-8 and any alias (see the module docstring).

    Raises
    ------
    SourcedError
        The file is missing, unreadable, too large, not UTF-8, not valid YAML or uses an
        alias; ``error`` names the file and the reason.
    """
    path = Path(path)
    limit = max_yaml_bytes()
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise error(path, "", "file not found") from exc
    except OSError as exc:
        raise error(path, "", f"cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > limit:
        raise error(
            path,
            "",
            f"larger than {limit:,} bytes: refused unread (the limit is "
            f"{MAX_YAML_BYTES_SETTING}, default {MAX_YAML_BYTES:,})",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            path,
            "",
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line}; save it as UTF-8",
        ) from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a safe loader (SafeConstructor)
    except _AliasRefused as exc:
        reason = f"an alias (*name) repeats the value anchored on {exc}: aliases are refused"
        raise error(path, "", f"{reason}; write each value out") from None
    except yaml.YAMLError as exc:
        raise error(path, "", f"not valid YAML: {exc}") from exc


def read_yaml(path: str | Path, error: ErrorType = SourcedError) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping (see :func:`load_yaml`).

    Raises
    ------
    SourcedError
        As :func:`load_yaml`; or the file is not a mapping, or a ``source:`` or
        ``assumption:`` in it is not text.
    """
    path = Path(path)
    raw = load_yaml(path, error)
    if not isinstance(raw, Mapping):
        raise error(path, "", "expected a mapping at the top level")
    _check_basis_is_text(raw, path, error)
    return dict(raw)


def _check_basis_is_text(data: Mapping, path: Path, error: ErrorType) -> None:
    """Refuse a ``source:`` or ``assumption:`` that is given but is not text, at any depth.

    Walked with a stack, not recursion: a file may nest as deep as YAML allows.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        at, node = stack.pop()
        if isinstance(node, list):
            stack.extend((dotted(at, i), item) for i, item in enumerate(node))
        if not isinstance(node, Mapping):
            continue
        for key, item in node.items():
            here = dotted(at, key)
            if key in BASIS and item is not None and not isinstance(item, str):
                kind = type(item).__name__
                raise error(
                    path, here, f"expected text saying where the value comes from, got a {kind}"
                )
            stack.append((here, item))


@dataclass(frozen=True)
class SourcedFile:
    """A file of sourced entries, read once and checked as its entries are asked for.

    Build with :meth:`load`; read entries with :meth:`entry`, :meth:`group` and
    :meth:`value`, plain settings (a version) with :meth:`text`.

    Attributes
    ----------
    path : pathlib.Path
    data : dict
        The file as YAML gives it.
    rules : Rules
        What the file's entries may hold.
    error : SourcedError subclass
        Raised for every refusal (a loader's own subclass, kept for its callers).
    """

    path: Path
    data: dict[str, Any] = field(repr=False)
    rules: Rules = Rules()
    error: ErrorType = SourcedError

    @classmethod
    def load(
        cls, path: str | Path, rules: Rules = Rules(), *, error: ErrorType = SourcedError
    ) -> SourcedFile:
        """Read ``path`` (see :func:`read_yaml`)."""
        path = Path(path)
        return cls(path=path, data=read_yaml(path, error), rules=rules, error=error)

    def fail(self, key: str, reason: str) -> SourcedError:
        """An error of this file naming ``key`` and ``reason`` (to raise)."""
        return self.error(self.path, key, reason)

    def check_keys(self, allowed: set[str] | frozenset[str], *keys: str | int) -> None:
        """Refuse a key of the mapping at ``keys`` (the top level by default) not in
        ``allowed``."""
        for name in self.node(*keys) if keys else self.data:
            if name not in allowed:
                raise self.fail(dotted(*keys, name), "unknown key")

    def node(self, *keys: str | int) -> Any:
        """The raw node at ``keys``.

        Raises
        ------
        SourcedError
            A key is missing or empty, or a node on the way is not a mapping.
        """
        node: Any = self.data
        for depth, key in enumerate(keys):
            if not isinstance(node, Mapping):
                raise self.fail(dotted(*keys[:depth]), "expected a mapping")
            if node.get(key) is None:
                raise self.fail(dotted(*keys[: depth + 1]), "missing value")
            node = node[key]
        return node

    def has(self, *keys: str | int) -> bool:
        """Whether the file gives something at ``keys``."""
        node: Any = self.data
        for key in keys:
            if not isinstance(node, Mapping) or node.get(key) is None:
                return False
            node = node[key]
        return True

    def entry(self, *keys: str | int) -> Sourced:
        """The checked entry at ``keys`` (see :func:`read_entry`)."""
        return read_entry(self.node(*keys), self.path, dotted(*keys), self.rules, self.error)

    def value(self, *keys: str | int) -> Any:
        """The value of the entry at ``keys``."""
        return self.entry(*keys).value

    def group(self, *keys: str | int) -> dict[str, Sourced]:
        """Every entry of the mapping at ``keys``, checked."""
        node = self.node(*keys)
        if not isinstance(node, Mapping):
            raise self.fail(dotted(*keys), "expected a mapping of entries")
        return {name: self.entry(*keys, name) for name in node}

    def text(self, key: str) -> str:
        """A plain text setting at the top level (a version), required and non-empty."""
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"missing: a non-empty {key} is required")
        return value.strip()


def _text_not_number(value: str) -> str:
    """Why a text is not a number; a number YAML 1.1 reads as text (``1e300``: no dot, no
    sign in the exponent) says how to write it."""
    try:
        number = float(value)
    except ValueError:
        return f"'{value}' is not a number"
    return (
        f"'{value}' is read as text, not a number: YAML needs a dot and a signed exponent "
        f"({number:.1e})"
    )

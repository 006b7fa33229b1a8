"""Every uncertain input of a scenario, declared once, read from the YAML where it lives.

An input is uncertain when its file gives it a range: a parameter with ``central``, ``low`` and
``high`` (``low < high``) anywhere in the resolved scenario (a lever's effects, take-up,
scale, cost or any other field, the province, monitoring, shocks and calibration sections, and
whatever section or field a later catalogue adds), and the calibration's Laplace posterior of
the source shifts (``scenarios/calibration.yaml``). :func:`uncertainties` walks the scenario
generically, so a new lever or parameter with a range is covered without code; each input
keeps its unit, its distribution and its basis (the ``source:`` or ``assumption:`` of its
entry).

The macro path (``data/macro.yaml``, both sides drawn per replication) and the shocks (rates
from the panel or ``measures.yaml``) are uncertain too, but drawn from each replication's seed:
:func:`stochastic_inputs` lists them; the sensitivity tools hold them fixed across samples
(common random numbers) and the experiments table records each replication's draw.

Sampling tools work on the unit hypercube: :meth:`Uncertainty.ppf` turns a quantile into a
value, and :func:`with_inputs` sets a sample's values in a scenario, each fixed (its range
cleared, as :meth:`simulation.scenario.Scenario.with_values` does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from forecast.i18n import CatalogueError, gettext
from simulation.calibration import FREE, Posterior
from simulation.scenario import Parameter, Scenario, effect_shape

# Quantiles sampled are kept inside (EDGE, 1 - EDGE): a normal's 0 and 1 are infinite.
EDGE = 0.001
MACRO_FILE = "data/macro.yaml"


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain input: where it lives, its distribution, unit and basis.

    Attributes
    ----------
    name : str
        Its address in the scenario, e.g. ``measures.skills_training.effects.wage``,
        ``calibration.shift_persistence``.
    unit : str
    distribution : {"beta", "triangular", "normal", "uniform"}
    central : float
        Its mean.
    low, high : float
        Its range (for a normal, the 0.1 % and 99.9 % quantiles).
    basis : str
        ``source: ...`` or ``assumption: ...`` as its file states it.
    file : str
        The YAML file it is declared in.
    sd : float, optional
        The standard deviation of a normal.
    sets : tuple of str
        The scenario addresses a value of it sets (a shared shift sets two).
    """

    name: str
    unit: str
    distribution: str
    central: float
    low: float
    high: float
    basis: str
    file: str
    sd: float | None = None
    sets: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The input in words (the catalogue's name of its lever and income source)."""
        parts = self.name.split(".")
        if parts[0] == "measures" and len(parts) >= 3:
            lever = _words(f"measure.{parts[1]}", parts[1])
            if parts[2] == "effects" and len(parts) == 4:
                return f"{lever}: effect on {_words(f'source.{parts[3]}', parts[3])} income"
            return f"{lever}: {' '.join(parts[2:]).replace('_', ' ')}"
        if len(self.sets) > 1:  # a shift shared by sources published only together
            shared = " and ".join(a.split(".")[-1].split("_")[0] for a in self.sets)
            return f"{shared} {' '.join(parts[-1].split('_')[1:])}"
        return " ".join(parts[1:]).replace("_", " ") or self.name

    def ppf(self, quantile: np.ndarray | float) -> np.ndarray:
        """The values at ``quantile`` (0-1, kept within :data:`EDGE` of the ends)."""
        q = np.clip(np.asarray(quantile, dtype=float), EDGE, 1 - EDGE)
        if self.distribution == "normal":
            return stats.norm.ppf(q, self.central, self.sd)
        if self.distribution == "uniform":
            return self.low + (self.high - self.low) * q
        width = self.high - self.low
        shape = effect_shape(self.distribution, self.low, self.central, self.high)
        if self.distribution == "triangular":
            return stats.triang.ppf(q, (shape[0] - self.low) / width, self.low, width)
        return self.low + width * stats.beta.ppf(q, *shape)

    def as_dict(self) -> dict[str, Any]:
        """Plain fields (for JSON and tables)."""
        return {"input": self.name, "label": self.label} | {
            k: v for k, v in dataclasses.asdict(self).items() if k != "name"
        }


def _words(key: str, fallback: str) -> str:
    try:
        return gettext(key)
    except CatalogueError:  # a lever the catalogue does not name yet
        return fallback.replace("_", " ")


def _basis(p: Parameter) -> str:
    return f"source: {p.source}" if p.source else f"assumption: {p.assumption}"


def _ranged(p: Parameter) -> bool:
    return p.central is not None and p.low is not None and p.high is not None and p.low < p.high


def _parameters(node: Any, address: str) -> Iterator[tuple[str, Parameter]]:
    """Every parameter under ``node`` (a scenario, a lever, a section) with its address."""
    if isinstance(node, Parameter):
        yield address, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _parameters(value, f"{address}.{key}" if address else str(key))
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            # A lever's own parameters (``extra``) are addressed as its YAML writes them.
            here = address if f.name == "extra" else f"{address}.{f.name}".lstrip(".")
            yield from _parameters(getattr(node, f.name), here)


def uncertainties(scenario: Scenario, posterior: Posterior | None = None) -> list[Uncertainty]:
    """Every uncertain input of ``scenario`` that a sample may set, in file order.

    Parameters
    ----------
    scenario : Scenario
        Its active levers and its sections are walked; a lever switched off has no input.
    posterior : Posterior, optional
        The calibration's posterior (default: the one in the scenario's calibration file);
        each free shift is a normal input with its posterior mean and standard deviation
        (their small correlations are left out of a sample: inputs are drawn independently).
    """
    posterior = Posterior.from_scenario(scenario) if posterior is None else posterior
    files = {"measures": scenario.catalogue_path, "calibration": scenario.calibration_path}
    found = []
    for address, p in _parameters(scenario, ""):
        parts = address.split(".")
        if parts[0] == "levers":
            if parts[1] not in scenario.measures:
                continue
            address = "measures." + ".".join(parts[1:])
        if not _ranged(p):
            continue
        found.append(
            Uncertainty(
                name=address,
                unit=p.unit,
                distribution=p.distribution,
                central=float(p.central),
                low=float(p.low),
                high=float(p.high),
                basis=_basis(p),
                file=files.get(address.split(".")[0], scenario.catalogue_path),
                sets=(address,),
            )
        )
    if posterior is not None:
        for names, mean, sd in zip(FREE, posterior.mean, posterior.sd, strict=True):
            p = scenario.calibration[names[0]]
            low, high = stats.norm.ppf([EDGE, 1 - EDGE], mean, sd)
            found.append(
                Uncertainty(
                    name=f"calibration.{names[0]}",
                    unit=p.unit,
                    distribution="normal",
                    central=float(mean),
                    low=float(low),
                    high=float(high),
                    sd=float(sd),
                    basis=_basis(p),
                    file=scenario.calibration_path,
                    sets=tuple(f"calibration.{n}" for n in names),
                )
            )
    return found


def stochastic_inputs(scenario: Scenario) -> list[dict[str, str]]:
    """The inputs drawn from each replication's seed, not sampled: the macro path and the
    shocks, with their basis (held fixed across samples by common random numbers)."""
    rows = [
        {
            "input": "macro path",
            "unit": "log growth per year",
            "basis": "source: forecast.macro (common rural growth, premiums and noise drawn per "
            "replication; the choices and their reasons in data/macro.yaml)",
            "file": MACRO_FILE,
        }
    ]
    for key, p in scenario.shocks.items():
        if key.endswith("_rate"):
            rows.append(
                {
                    "input": f"shocks.{key}",
                    "unit": p.unit,
                    "basis": _basis(p),
                    "file": scenario.catalogue_path,
                }
            )
    return rows


def with_inputs(scenario: Scenario, values: Mapping[str, float], inputs: Sequence[Uncertainty]):
    """The scenario with each input of ``values`` (by name) fixed at its value."""
    by_name = {u.name: u for u in inputs}
    for name, value in values.items():
        for address in by_name[name].sets:
            scenario = scenario.with_value(address, float(value))
    return scenario


def sample_values(inputs: Sequence[Uncertainty], quantiles: np.ndarray) -> np.ndarray:
    """Values of a samples x inputs matrix of quantiles (0-1)."""
    quantiles = np.atleast_2d(quantiles)
    return np.column_stack([u.ppf(quantiles[:, j]) for j, u in enumerate(inputs)])


__all__ = [
    "Uncertainty",
    "sample_values",
    "stochastic_inputs",
    "uncertainties",
    "with_inputs",
]

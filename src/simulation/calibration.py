"""Calibration of the four income sources, with its uncertainty.

The macro layer gives the trend of the total and the panel the households' dispersion; what
neither pins down is how the growth splits over the sources. The published composition of
the as-of year does (Yunnan 2022: wage 9,409, operating 3,120, property and transfer 1,618
yuan per person, ``data/public_statistics.yaml``).

Parameters
    ``wage_drift_shift``, ``operating_drift_shift`` and one shift shared by
    ``property_drift_shift`` and ``transfer_drift_shift`` (published only together): log
    points added to that source's growth in the calibration year (``calibration_year``,
    ``scenarios/calibration.yaml``). One year of composition cannot tell a one-off level
    change from a lasting change of growth, so later years carry ``shift_persistence ** k``
    of the shift (:func:`simulation.trend.shift_carried`), with the persistence uncertain
    and drawn per replication.
Targets
    The published level of each source group in the calibration year ``Y``, simulated from a
    population as of ``Y - 1`` under the policies in force (``baseline.yaml``) with central
    effects and a fixed seed (common random numbers make the objective smooth).
Method
    ``scipy.optimize.least_squares`` on the relative errors, each divided by its observation
    error (``observation_error_*`` in the calibration file), then a **Laplace approximation**: the posterior of the
    shifts is normal, centred on the fit, with covariance ``(J' J)^-1`` from the Jacobian of
    the scaled residuals at the fit. :meth:`Posterior.draw` samples it; the target test draws
    one set of shifts and one persistence per replication (stream ``calibration``), so the
    Monte Carlo bands carry the calibration's uncertainty.
Tolerances
    The total within 1 % and each source group within 5 % (issue 12).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from forecast.sourced import load_yaml
from forecast.statistics import PublicStatistics
from simulation.population import Population
from simulation.run import simulate
from simulation.scenario import Parameter, Scenario

PARAMETERS = (
    "wage_drift_shift",
    "operating_drift_shift",
    "property_drift_shift",
    "transfer_drift_shift",
)
# The free parameters: property and transfer are published only together, so they share one.
FREE: tuple[tuple[str, ...], ...] = (
    ("wage_drift_shift",),
    ("operating_drift_shift",),
    ("property_drift_shift", "transfer_drift_shift"),
)
GROUPS: dict[str, tuple[str, ...]] = {
    "wage": ("wage",),
    "operating": ("operating",),
    "property_and_transfer": ("property", "transfer"),
}
LEVEL_TOLERANCE = 0.01  # the total, relative (issue 12)
SOURCE_TOLERANCE = 0.05  # each source group, relative (issue 12)


@dataclass(frozen=True)
class Targets:
    """Published levels (yuan per person) the simulated year must reproduce."""

    year: int
    net_income_per_capita: float
    levels: dict[str, float]  # by source group (GROUPS)

    @classmethod
    def published(cls, year: int = 2022, statistics: PublicStatistics | None = None) -> Targets:
        """The published total and composition of ``year``."""
        stats = statistics or PublicStatistics.load()
        by_source = ("series", "yunnan_net_income_alleviated_by_source", year)
        return cls(
            year=year,
            net_income_per_capita=stats.value("series", "yunnan_net_income_alleviated", year),
            levels={g: float(stats.entry(*by_source, g, "value")) for g in GROUPS},
        )


@dataclass(frozen=True)
class Posterior:
    """Normal (Laplace) posterior of the free shifts (``mean``, ``covariance``), and the
    uncertain persistence that carries them into later years."""

    mean: np.ndarray
    covariance: np.ndarray
    persistence: Parameter | None = None

    def shifts(self, free: np.ndarray) -> dict[str, float]:
        """The four sources' shifts from a vector of free parameters."""
        return {name: float(v) for names, v in zip(FREE, free, strict=True) for name in names}

    def draw(self, rng: np.random.Generator | None) -> dict[str, float]:
        """One draw of the shifts and their persistence (the central values without a
        generator)."""
        free = self.mean if rng is None else rng.multivariate_normal(self.mean, self.covariance)
        drawn = self.shifts(free)
        if self.persistence is not None:
            drawn["shift_persistence"] = self.persistence.draw(rng)
        return drawn

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Posterior | None:
        """The posterior written in the scenario's calibration file, if any."""
        path = getattr(scenario, "calibration_path", None)
        if not path or not Path(path).exists():
            return None
        raw = load_yaml(path) or {}
        node = raw.get("posterior_covariance")
        if node is None:
            return None
        mean = np.array([float(scenario.calibration[names[0]].value) for names in FREE])
        covariance = np.asarray(node["value"], dtype=float)
        if covariance.shape != (len(FREE), len(FREE)):
            raise ValueError(
                f"{path}: posterior_covariance: expected a {len(FREE)}x{len(FREE)} matrix"
            )
        return cls(mean, covariance, scenario.calibration.get("shift_persistence"))


@dataclass(frozen=True)
class CalibrationResult:
    """The fit, its posterior and the simulated-versus-published table."""

    posterior: Posterior
    table: pd.DataFrame
    within_tolerance: bool
    evaluations: int
    seed: int
    year: int
    observation_errors: dict[str, float]
    kept: dict[str, Parameter]  # the calibration file's other entries, written back as read

    @property
    def parameters(self) -> dict[str, float]:
        return self.posterior.shifts(self.posterior.mean)


def observation_errors(scenario: Scenario) -> dict[str, float]:
    """Relative observation error of each source group's published level (the scenario's
    calibration file: ``observation_error_<group>``, each with its assumption)."""
    return {g: float(scenario.calibration[f"observation_error_{g}"].value) for g in GROUPS}


def simulated_levels(
    scenario: Scenario, population: Population, seed: int, **shifts: float
) -> dict[str, float]:
    """Simulate the first year with given shifts; return the total and each source group.

    The first year is the calibration year: the shifts apply in full."""
    if "calibration_year" in scenario.calibration:
        shifts = {**shifts, "calibration_year": population.as_of + 1}
    result = simulate(
        scenario.with_calibration(**shifts), population, seed=seed, draw_parameters=False, months=12
    )
    row = result.annual.iloc[0]
    levels = {g: float(sum(row[s] for s in sources)) for g, sources in GROUPS.items()}
    return {"net_income_per_capita": float(row["net_income_per_capita"]), **levels}


def calibrate(
    scenario: Scenario,
    population: Population,
    seed: int = 0,
    targets: Targets | None = None,
) -> CalibrationResult:
    """Fit the source shifts so the simulated first year matches the published composition.

    Parameters
    ----------
    scenario : Scenario
        The policies in force (``baseline``).
    population : Population
        Built with ``as_of = targets.year - 1``.
    seed : int
        Seed of the replication used for every evaluation.
    targets : Targets, optional
        Default: :meth:`Targets.published` of the year after the population's as-of year.
    """
    targets = targets or Targets.published(population.as_of + 1)
    if population.as_of != targets.year - 1:
        raise ValueError(f"calibrate: population as_of {population.as_of}, need {targets.year - 1}")
    blank = Posterior(np.zeros(len(FREE)), np.eye(len(FREE)))
    error = observation_errors(scenario)

    def residuals(x: np.ndarray) -> np.ndarray:
        sim = simulated_levels(scenario, population, seed, **blank.shifts(x))
        return np.array([(sim[g] / targets.levels[g] - 1) / error[g] for g in GROUPS])

    fit = least_squares(residuals, np.zeros(len(FREE)), bounds=(-1.0, 1.0), diff_step=1e-3)
    jacobian = np.asarray(fit.jac, dtype=float)
    covariance = np.linalg.pinv(jacobian.T @ jacobian)
    posterior = Posterior(
        np.asarray(fit.x, dtype=float), covariance, scenario.calibration.get("shift_persistence")
    )
    table = calibration_table(scenario, population, seed, posterior.shifts(fit.x), targets)
    kept = {
        k: p
        for k, p in scenario.calibration.items()
        if k not in PARAMETERS and k != "calibration_year"
    }
    return CalibrationResult(
        posterior,
        table,
        bool(table["within"].all()),
        int(fit.nfev),
        seed,
        targets.year,
        error,
        kept,
    )


def calibration_table(
    scenario: Scenario,
    population: Population,
    seed: int,
    shifts: dict[str, float],
    targets: Targets | None = None,
) -> pd.DataFrame:
    """Simulated against published levels (yuan per person), with each tolerance."""
    targets = targets or Targets.published(population.as_of + 1)
    sim = simulated_levels(scenario, population, seed, **shifts)
    rows = [("net_income_per_capita", targets.net_income_per_capita, LEVEL_TOLERANCE)]
    rows += [(g, targets.levels[g], SOURCE_TOLERANCE) for g in GROUPS]
    table = pd.DataFrame(
        [(name, published, sim[name], tol) for name, published, tol in rows],
        columns=["target", "published", "simulated", "tolerance"],
    ).set_index("target")
    table["relative_error"] = table["simulated"] / table["published"] - 1
    table["within"] = table["relative_error"].abs() <= table["tolerance"]
    return table


def write_calibration(result: CalibrationResult, path: str | Path, panel_note: str) -> None:
    """Write the posterior to ``scenarios/calibration.yaml`` with how it was made."""
    source = (
        f"simulation.calibration.calibrate: least_squares + Laplace posterior, from as-of "
        f"{result.year - 1} under baseline.yaml, published {result.year} composition, seed "
        f"{result.seed}, {panel_note}, {dt.date.today().isoformat()}"
    )
    header = [
        "# Shifts of each income source's growth (log points), written by",
        "# `zengshou simulate calibrate --write`. The trend itself is the macro layer's Yunnan",
        "# path less what the measures in force add (src/simulation/in_force.py); these shifts",
        "# split it over the sources so that, from the year before, the policies in force",
        f"# reproduce the published {result.year} composition. Each value is the posterior mean;",
        "# posterior_covariance is the Laplace approximation's covariance of the free shifts",
        "# (wage, operating, property = transfer), from which every replication draws one set.",
        "# Later years carry shift_persistence ** k of the shift (drawn per replication).",
        "# `zengshou simulate validate` refits nothing on later years and uses no shift.",
    ]
    unit = "log points per year"
    tree: dict = {"kind": "calibration"}
    tree["calibration_year"] = {
        "value": result.year,
        "unit": "year",
        "source": f"the year whose published composition the fit reproduces ({source})",
    }
    for name, value in result.parameters.items():
        tree[name] = {"value": round(value, 10), "unit": unit, "source": source}
    for name, p in result.kept.items():  # persistence, observation errors: as read
        fields = ("value", "central", "low", "high", "distribution", "unit", "source")
        tree[name] = {key: getattr(p, key) for key in fields if getattr(p, key) is not None}
        if p.central is None:
            tree[name].pop("distribution")
        if p.assumption:
            tree[name]["assumption"] = p.assumption
    tree["posterior_covariance"] = {
        # 8 significant digits; round-off of a zero cross term (about 1e-22) written as 0
        "value": [
            [0.0 if abs(v) < 1e-15 else float(f"{v:.8g}") for v in row]
            for row in result.posterior.covariance
        ],
        "unit": f"({unit})^2",
        "source": source,
    }
    body = yaml.safe_dump(
        tree, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    Path(path).write_text("\n".join(header) + "\n" + body, encoding="utf-8")

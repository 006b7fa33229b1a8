"""A fixture catalogue with known linear effects and costs, for the optimiser's tests.

Two household levers add the same 40,000 yuan a year of transfer income to each household they
reach, with no uncertainty, for 12 months from January: ``cheap`` (relocated households with
labour only, 1,000 yuan per household a year) and ``dear`` (any household, 2,000 yuan). The
monitoring system pays nothing and the institutions' mechanisms are off, so the target year's
mean income rises by exactly 40,000 yuan x the weighted households reached / the people, and
the cheapest mix for a given gain is the cheap lever's whole pool, then the dear one. A trend shift of -0.3 log points a year puts
Yunnan well below the nation without measures (fixed, with no
calibration draws), so the gain needed is large against the noise
of the replications.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simulation.scenario import AGENT_SWITCHES

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
EFFECT = 40_000.0  # yuan per household per year (large: a fixture, not a measure)
COST = {"cheap": 1000.0, "dear": 2000.0}  # yuan per household per year


def lever(eligible: str, cost: float, high: float) -> dict:
    return {
        "plan": "fixture: a transfer with known effect and cost",
        "reach": "households",
        "eligible": eligible,
        "priority": "lowest_income",
        "scale": {
            "unit": "households per year",
            "values": {2022: 0, 2023: 0, 2024: 0},
            "assumption": "fixture",
        },
        "reach_per_unit": {"value": 1, "unit": "households per household", "source": "definition"},
        "take_up": {"value": 1.0, "unit": "share", "source": "definition"},
        "unit_cost": {
            "value": cost,
            "unit": "yuan per household",
            "per": "year",
            "assumption": "fixture",
        },
        "effects": {
            "transfer": {
                "kind": "add",
                "central": EFFECT,
                "low": EFFECT,
                "high": EFFECT,
                "unit": "yuan per household per year",
                "assumption": "fixture",
            }
        },
        "delay_months": {"value": 0, "unit": "months", "assumption": "fixture"},
        "duration_months": {"value": 12, "unit": "months", "assumption": "fixture"},
        "search": {
            "scale": {
                "unit": "households per year",
                "low": {"value": 0, "assumption": "fixture"},
                "high": {"value": high, "assumption": "fixture"},
                "per_year": False,
            }
        },
    }


def write_fixture(
    folder: Path, high_cheap: float = 1_000_000, high_dear: float = 1_000_000
) -> Path:
    """Write the fixture catalogue, calibration and scenario into ``folder``; return the
    scenario's path."""
    folder.mkdir(parents=True, exist_ok=True)
    catalogue = yaml.safe_load((SCENARIOS / "measures.yaml").read_text(encoding="utf-8"))
    catalogue["measures"] = {
        "cheap": lever("relocated_with_labour", COST["cheap"], high_cheap),
        "dear": lever("all", COST["dear"], high_dear),
    }
    for key in ("preventive_support", "assistance_gap_closure"):
        catalogue["monitoring"][key]["value"] = 0
    # Bound by nothing but their scale: no county budgets, places, entity shocks or village
    # economy (tests/simulation/test_institutions.py shows what those change).
    for switch in AGENT_SWITCHES:
        catalogue["agents"][switch]["value"] = 0
    # With the mechanisms off their ranged parameters are inert: fixed at their centre, so
    # the fixture's only uncertain inputs are its two levers' effects.
    for entry in [*catalogue["agents"].values(), catalogue["monitoring"]["caseload_standard"]]:
        if isinstance(entry, dict) and "central" in entry:
            entry["value"] = entry.pop("central")
            del entry["low"], entry["high"]
    (folder / "measures.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    calibration = yaml.safe_load((SCENARIOS / "calibration.yaml").read_text(encoding="utf-8"))
    calibration["wage_drift_shift"]["value"] = -0.3
    # A fixed shift that lasts (no posterior draws, persistence 1): the same -0.3 every year.
    calibration.pop("posterior_covariance", None)
    calibration["shift_persistence"] = {
        "value": 1.0,
        "unit": "share of a year's shift carried into the next",
        "assumption": "fixture",
    }
    (folder / "calibration.yaml").write_text(yaml.safe_dump(calibration, allow_unicode=True))
    path = folder / "linear.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "linear",
                "description": "fixture: two levers with known linear effects and costs",
                "catalogue": "measures.yaml",
                "calibration": "calibration.yaml",
                "years": {"first": 2022, "last": 2024},
                "activate": ["cheap", "dear"],
            }
        )
    )
    return path

"""The risk policy: band edges, visit flag, reason threshold and the fall label's share.

These numbers are policy choices, not estimates, so they live in ``data/risk_policy.yaml``
with their unit and the assumption behind each, under a version string. A fitted
:class:`~forecast.risk.RiskModel` keeps the policy it was trained with (scoring reads no file),
and the registry logs its values and version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from forecast.paths import data_file

POLICY_FILE = "risk_policy.yaml"


@dataclass(frozen=True)
class RiskPolicy:
    """Values of ``data/risk_policy.yaml`` (see the file for units and assumptions).

    Attributes
    ----------
    version : str
    band_edges : tuple of float
        Probabilities where the band turns from low to medium and from medium to high.
    flag_probability : float
        Households at or above it are flagged for a visit.
    fall_share : float
        The ``income_fall_third`` label: a fall of more than this share of last year's income.
    min_logit : float
        Smallest log-odds contribution quoted as a reason.
    """

    version: str
    band_edges: tuple[float, float]
    flag_probability: float
    fall_share: float
    min_logit: float

    def params(self) -> dict[str, str]:
        """Flat ``policy.*`` parameters for MLflow."""
        return {f"policy.{k}": str(v) for k, v in asdict(self).items()}


def load_risk_policy(path: str | Path | None = None) -> RiskPolicy:
    """Read and check a risk-policy YAML file (default the shipped one).

    Raises
    ------
    ValueError
        A missing entry or value, a value out of range, naming the file and the key.
    """
    path = Path(path) if path is not None else data_file(POLICY_FILE)
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}

    def value(*keys: str) -> float:
        entry = raw
        for key in keys:
            if not isinstance(entry, dict) or key not in entry:
                raise ValueError(f"{path}: missing key {'.'.join(keys)}")
            entry = entry[key]
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), int | float):
            raise ValueError(f"{path}: {'.'.join(keys)}.value must be a number")
        if not entry.get("unit") or not (entry.get("assumption") or entry.get("source")):
            raise ValueError(f"{path}: {'.'.join(keys)} needs a unit and a source or assumption")
        return float(entry["value"])

    if not raw.get("version"):
        raise ValueError(f"{path}: missing key version")
    policy = RiskPolicy(
        version=str(raw["version"]),
        band_edges=(value("band_edges", "medium"), value("band_edges", "high")),
        flag_probability=value("flag_probability"),
        fall_share=value("fall_share"),
        min_logit=value("min_logit"),
    )
    low, high = policy.band_edges
    checks = {
        "band_edges": 0 < low < high < 1,
        "flag_probability": 0 < policy.flag_probability < 1,
        "fall_share": 0 < policy.fall_share < 1,
        "min_logit": policy.min_logit >= 0,
    }
    for key, ok in checks.items():
        if not ok:
            raise ValueError(f"{path}: {key} out of range: {getattr(policy, key)}")
    return policy


@lru_cache(maxsize=1)
def risk_policy() -> RiskPolicy:
    """The shipped risk policy (read once per process, on first use)."""
    return load_risk_policy()

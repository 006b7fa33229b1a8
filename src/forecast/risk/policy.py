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

from forecast.paths import data_file
from forecast.sourced import Rules, SourcedFile

POLICY_FILE = "risk_policy.yaml"
POLICY_RULES = Rules(scalar=True)  # each value is one number


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

    Every value is a sourced entry (:mod:`forecast.sourced`): a number with its unit and the
    assumption (or source) behind it.

    Raises
    ------
    SourcedError
        Naming the file, the key and the reason: a missing or malformed file, an unknown key,
        a missing entry, value, unit or basis, or a value out of range.
    """
    file = SourcedFile.load(path if path is not None else data_file(POLICY_FILE), POLICY_RULES)
    file.check_keys({"version", "band_edges", "flag_probability", "fall_share", "min_logit"})
    file.check_keys({"medium", "high"}, "band_edges")

    def value(*keys: str) -> float:
        return float(file.value(*keys))

    policy = RiskPolicy(
        version=file.text("version"),
        band_edges=(value("band_edges", "medium"), value("band_edges", "high")),
        flag_probability=value("flag_probability"),
        fall_share=value("fall_share"),
        min_logit=value("min_logit"),
    )
    low, high = policy.band_edges
    checks = {
        "band_edges": (0 < low < high < 1, "expected 0 < medium < high < 1"),
        "flag_probability": (0 < policy.flag_probability < 1, "expected within (0, 1)"),
        "fall_share": (0 < policy.fall_share < 1, "expected within (0, 1)"),
        "min_logit": (policy.min_logit >= 0, "expected at least 0"),
    }
    for key, (ok, expected) in checks.items():
        if not ok:
            raise file.fail(key, f"out of range: {getattr(policy, key)} ({expected})")
    return policy


@lru_cache(maxsize=1)
def risk_policy() -> RiskPolicy:
    """The shipped risk policy (read once per process, on first use)."""
    return load_risk_policy()

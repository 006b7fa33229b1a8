"""How good are the scores: discrimination, calibration, recall at a county's capacity.

Pure functions of outcomes ``y`` (bool) and probabilities ``p``; MLflow logging wraps them from
outside. Households count equally (the synthetic panel's weights are equal; with unequal
weights these are sample, not population, figures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CAPACITIES: tuple[float, ...] = (0.05, 0.10)  # shares of households a county can visit


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean absolute gap between predicted and observed rates over equal-width bins.

    Each bin's gap is weighted by its share of households (the usual ECE).
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(index, minlength=bins)
    gap = np.abs(np.bincount(index, y, bins) - np.bincount(index, p, bins))
    return float(gap.sum() / max(count.sum(), 1))


def recall_at_share(y: np.ndarray, p: np.ndarray, share: float) -> float:
    """Share of all positives found among the ``share`` of households with the highest ``p``."""
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return float("nan")
    visited = int(np.ceil(share * y.size))
    top = np.argsort(-np.asarray(p), kind="stable")[:visited]
    return float(y[top].sum() / y.sum())


def classification_metrics(
    y: np.ndarray, p: np.ndarray, *, flag_probability: float | None = None
) -> dict[str, float]:
    """AUC, average precision, Brier, ECE, recall at each capacity, base rate, mean score.

    With ``flag_probability``, also the share flagged and the flag's recall and precision.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y, p = np.asarray(y, dtype=bool), np.asarray(p, dtype=float)
    both = 0 < y.sum() < y.size
    out = {
        "households": float(y.size),
        "base_rate": float(y.mean()),
        "mean_probability": float(p.mean()),
        "auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, p)) if y.any() else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
    }
    for share in CAPACITIES:
        out[f"recall_top{share * 100:.0f}"] = recall_at_share(y, p, share)
    if flag_probability is not None:
        flagged = p >= flag_probability
        out["flagged_share"] = float(flagged.mean())
        out["flag_recall"] = float(flagged[y].mean()) if y.any() else float("nan")
        out["flag_precision"] = float(y[flagged].mean()) if flagged.any() else float("nan")
    return out


def subgroup_metrics(y: np.ndarray, p: np.ndarray, groups: pd.DataFrame) -> pd.DataFrame:
    """Metrics within each subgroup of each column of ``groups``.

    ``recall_top10_province`` is the share of the subgroup's positives caught when the
    province visits its top 10 % overall: whether a province-wide ranking misses a group.
    """
    y, p = np.asarray(y, dtype=bool), np.asarray(p, dtype=float)
    visited = np.zeros(y.size, dtype=bool)
    visited[np.argsort(-p, kind="stable")[: int(np.ceil(0.10 * y.size))]] = True
    rows = []
    for dimension in groups.columns:
        values = groups[dimension].to_numpy()
        for value in pd.unique(values):
            mask = values == value
            row = {"dimension": dimension, "subgroup": value}
            row |= classification_metrics(y[mask], p[mask])
            row["recall_top10_province"] = (
                float(visited[mask & y].sum() / (mask & y).sum()) if (mask & y).any() else np.nan
            )
            rows.append(row)
    return pd.DataFrame(rows)


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed rate in equal-width probability bins (empty bins dropped)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(index, minlength=bins)
    keep = count > 0
    return pd.DataFrame(
        {
            "bin_low": (np.arange(bins) / bins)[keep],
            "households": count[keep],
            "mean_probability": (np.bincount(index, p, bins)[keep] / count[keep]),
            "observed_rate": (np.bincount(index, y, bins)[keep] / count[keep]),
        }
    )


def capacity_curve(y: np.ndarray, p: np.ndarray, shares: np.ndarray | None = None) -> pd.DataFrame:
    """Recall against the share of households visited, riskiest first."""
    shares = np.linspace(0.01, 0.5, 50) if shares is None else np.asarray(shares)
    return pd.DataFrame(
        {"share_visited": shares, "recall": [recall_at_share(y, p, s) for s in shares]}
    )

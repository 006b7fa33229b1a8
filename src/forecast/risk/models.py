"""The household risk model: a classifier, its calibration, its reasons, one scoring path.

:class:`RiskModel` looks like a scikit-learn estimator (hyper-parameters in ``__init__``,
``fit`` returns ``self``, fitted attributes end in ``_``) and adds :meth:`RiskModel.score`,
which takes raw household history rows and returns probability, band, flag and reasons. The
MLflow pyfunc, the notebooks, the simulation and the service all call that one method.

Two kinds of classifier:

``logistic``
    L2-regularised logistic regression on standardised features. Its prediction is evaluated
    with NumPy (a dot product), and its reasons are exact: a feature's contribution to the
    log-odds is ``coef * (x - typical x)``.
``boosting``
    scikit-learn's ``HistGradientBoostingClassifier``. Its reasons are occlusion deltas: how
    much the log-odds fall when a reason group's features are set to a typical household's;
    the feature a reason quotes is the one of its group whose own occlusion lowers the log-odds
    most (a signed contribution, so never a feature that lowers the risk).

Both are calibrated with Platt scaling (a logistic curve on the log-odds) fitted on a later
year than the classifier, which absorbs the drift of the risk level from year to year.
"""

from __future__ import annotations

import contextlib
import gc

import numpy as np
import pandas as pd

from forecast.risk.features import (
    FEATURE_NAMES,
    GROUP_OF_FEATURE,
    HouseholdFeatures,
    compute_features,
)
from forecast.risk.line import MonitoringLine, monitoring_line
from forecast.risk.policy import risk_policy
from forecast.risk.reasons import MAX_REASONS, explain, say_reasons

KINDS: tuple[str, ...] = ("logistic", "boosting")
BANDS: tuple[str, ...] = ("low", "medium", "high")
OUTPUT_COLUMNS: tuple[str, ...] = (
    "household_id",
    "score_year",
    "probability",
    "band",
    "flag",
    "reasons",
    "line_yuan",
    "line_version",
    "reason_details",
)
_GROUP_STARTS = np.flatnonzero(np.r_[True, np.diff(GROUP_OF_FEATURE) != 0])
_GROUP_STOPS = np.r_[_GROUP_STARTS[1:], GROUP_OF_FEATURE.size]
# Features of reason groups with more than one feature (occluded one by one as well).
_MULTI_FEATURES = np.flatnonzero(
    np.isin(GROUP_OF_FEATURE, np.flatnonzero(_GROUP_STOPS - _GROUP_STARTS > 1))
)
_OCCLUSION_CHUNK = 8_000  # households per boosted-model occlusion batch (~180 MB of copies)
_SCORE_CHUNK = 100_000  # households per scoring chunk (bounds memory)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


class RiskModel:
    """Calibrated probability that a household falls under the monitoring line next year.

    Parameters
    ----------
    kind : {"logistic", "boosting"}
        The classifier (see the module docstring).
    C : float
        Inverse L2 penalty of the logistic regression (on standardised features).
    learning_rate, max_iter, max_leaf_nodes, l2_regularization : float, int, int, float
        Hyper-parameters of the boosted trees.
    band_edges : tuple of two floats, optional
        Probabilities where the band turns from low to medium and from medium to high.
        Default: the risk policy's (``data/risk_policy.yaml``, with the assumptions).
    flag_probability : float, optional
        Households at or above this probability are flagged for a visit. Default: the risk
        policy's.
    random_state : int
        Seed of the boosted trees (the logistic fit is deterministic).

    Attributes
    ----------
    line_ : MonitoringLine
        The monitoring line the model was trained with; scores use it and report its version.
    policy_ : forecast.risk.policy.RiskPolicy
        The risk policy at fit time (its version, and the reasons' ``min_logit``).
    fill_ : ndarray
        Value imputed for a missing feature, and the "typical household" reasons compare
        against: the training median.
    calibration_ : tuple of float
        Platt slope and intercept on the classifier's log-odds.
    """

    def __init__(
        self,
        kind: str = "logistic",
        *,
        C: float = 1.0,
        learning_rate: float = 0.1,
        max_iter: int = 150,
        max_leaf_nodes: int = 15,
        l2_regularization: float = 1.0,
        band_edges: tuple[float, float] | None = None,
        flag_probability: float | None = None,
        random_state: int = 0,
    ) -> None:
        self.kind = kind
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        # Policy defaults resolved here, so a fitted model carries its numbers (and clones
        # keep them); the policy file is read once per process.
        policy = risk_policy() if band_edges is None or flag_probability is None else None
        self.band_edges = tuple(band_edges) if band_edges is not None else policy.band_edges
        self.flag_probability = (
            flag_probability if flag_probability is not None else policy.flag_probability
        )
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        """Hyper-parameters, as scikit-learn's ``clone`` expects."""
        names = (
            "kind",
            "C",
            "learning_rate",
            "max_iter",
            "max_leaf_nodes",
            "l2_regularization",
            "band_edges",
            "flag_probability",
            "random_state",
        )
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> RiskModel:
        for name, value in params.items():
            setattr(self, name, value)
        return self

    # ----------------------------------------------------------------------------- fitting
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        X_calibration: np.ndarray,
        y_calibration: np.ndarray,
        *,
        line: MonitoringLine | None = None,
    ) -> RiskModel:
        """Fit the classifier on ``X, y`` and its calibration on a later year's examples.

        Parameters
        ----------
        X, X_calibration : ndarray, shape (n, len(FEATURE_NAMES))
            Feature matrices from :func:`compute_features` (NaN where missing).
        y, y_calibration : ndarray of bool
            Outcomes.
        line : MonitoringLine, optional
            The line the features were computed with; default the shipped line.
        """
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        low, high = self.band_edges
        if not 0 < low < high < 1:
            raise ValueError(f"band_edges must satisfy 0 < low < high < 1, got {self.band_edges}")
        if not 0 < self.flag_probability < 1:
            raise ValueError(f"flag_probability must be in (0, 1), got {self.flag_probability}")
        y = np.asarray(y, dtype=bool)
        if y.all() or not y.any():
            raise ValueError("the training outcomes are all the same; nothing to learn")
        self.line_ = line or monitoring_line()
        self.policy_ = risk_policy()
        with np.errstate(all="ignore"):
            fill = np.nanmedian(np.where(np.isnan(X).all(axis=0), 0.0, X), axis=0)
        self.fill_ = np.where(np.isnan(fill), 0.0, fill)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(FEATURE_NAMES, dtype=object)
        filled = self._impute(X)
        self.scale_ = np.where(filled.std(axis=0) > 0, filled.std(axis=0), 1.0)

        if self.kind == "logistic":
            from sklearn.linear_model import LogisticRegression

            mean = filled.mean(axis=0)
            fitted = LogisticRegression(C=self.C, max_iter=2000).fit(
                (filled - mean) / self.scale_, y
            )
            # Fold the standardisation into raw-scale coefficients: log-odds = X @ coef + b.
            self.coef_ = fitted.coef_[0] / self.scale_
            self.intercept_ = float(fitted.intercept_[0] - self.coef_ @ mean)
        else:
            from sklearn.ensemble import HistGradientBoostingClassifier
            from threadpoolctl import threadpool_limits

            # One OpenMP thread: on a shared 2-core machine it is 2-5 times faster than two,
            # and the fitted trees are the same.
            with threadpool_limits(1, user_api="openmp"):
                self.classifier_ = HistGradientBoostingClassifier(
                    learning_rate=self.learning_rate,
                    max_iter=self.max_iter,
                    max_leaf_nodes=self.max_leaf_nodes,
                    l2_regularization=self.l2_regularization,
                    early_stopping=False,
                    random_state=self.random_state,
                ).fit(filled, y)

        from sklearn.linear_model import LogisticRegression

        raw = self.decision_function(X_calibration)
        platt = LogisticRegression(C=np.inf, max_iter=1000).fit(
            raw[:, None], np.asarray(y_calibration, dtype=bool)
        )
        self.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        return self

    # ----------------------------------------------------------------------------- predicting
    def _impute(self, X: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(X), self.fill_, X)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated log-odds of the classifier."""
        filled = self._impute(np.asarray(X, dtype=float))
        if self.kind == "logistic":
            # A row-wise sum, not a BLAS product: its summation order cannot depend on how
            # many households are scored together, so a household alone scores bit-identically.
            return (filled * self.coef_).sum(axis=1) + self.intercept_
        from threadpoolctl import threadpool_limits

        # One thread: OpenMP's start-up and spin-waits cost more than they save on the small
        # batches scored here, and much more on a busy machine.
        with threadpool_limits(1, user_api="openmp"):
            return self.classifier_.decision_function(filled)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probability of falling under the line next year (1-D)."""
        slope, intercept = self.calibration_
        return _sigmoid(slope * self.decision_function(X) + intercept)

    def contributions(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated log-odds each reason group adds compared with a typical household.

        Returns
        -------
        group_logit : ndarray, shape (n, groups)
        lead_feature : ndarray of int, shape (n, groups)
            Index into ``FEATURE_NAMES`` of the feature that moved each group most.
        """
        filled = self._impute(np.asarray(X, dtype=float))
        deviation = filled - self.fill_
        slope = self.calibration_[0]
        if self.kind == "logistic":
            per_feature = slope * deviation * self.coef_
            group_logit = np.add.reduceat(per_feature, _GROUP_STARTS, axis=1)
            strength = per_feature
        else:
            parts = [
                self._occlusion(filled[i : i + _OCCLUSION_CHUNK])
                for i in range(0, len(filled), _OCCLUSION_CHUNK)
            ]
            group_logit = np.concatenate([g for g, _ in parts]) * slope
            # The lead feature is the one whose own value adds most to the log-odds (signed),
            # so a reason never names a feature that lowers the household's risk.
            strength = np.concatenate([f for _, f in parts])
        lead = np.empty(group_logit.shape, dtype=np.int64)
        for g, (start, stop) in enumerate(zip(_GROUP_STARTS, _GROUP_STOPS, strict=True)):
            lead[:, g] = start if stop - start == 1 else start + strength[:, start:stop].argmax(1)
        if self.kind == "boosting":
            # A group that raises the risk only jointly (no member feature does on its own)
            # has no factor an officer could be told about: it gives no reason.
            own = np.take_along_axis(strength, lead, axis=1)
            multi = (_GROUP_STOPS - _GROUP_STARTS) > 1
            group_logit = np.where(multi & (own <= 0), np.minimum(group_logit, 0.0), group_logit)
        return group_logit, lead

    def _occlusion(self, filled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-odds drop when each group, and each feature of a multi-feature group, is set
        to the typical household's value: ``(n, groups)`` and ``(n, features)`` (the latter
        zero for single-feature groups, whose group delta is the feature's)."""
        n, groups = len(filled), len(_GROUP_STARTS)
        stacked = np.repeat(filled[None], groups + 1 + _MULTI_FEATURES.size, axis=0)
        for g in range(groups):
            columns = GROUP_OF_FEATURE == g
            stacked[g + 1][:, columns] = self.fill_[columns]
        for k, j in enumerate(_MULTI_FEATURES):
            stacked[groups + 1 + k][:, j] = self.fill_[j]
        logit = self.decision_function(stacked.reshape(-1, filled.shape[1]))
        logit = logit.reshape(len(stacked), n)
        drops = logit[0] - logit[1:]
        per_feature = np.zeros((n, filled.shape[1]))
        per_feature[:, _MULTI_FEATURES] = drops[groups:].T
        return drops[:groups].T, per_feature

    def band(self, probability: np.ndarray) -> np.ndarray:
        """Band of each probability: "low", "medium" or "high"."""
        return np.asarray(BANDS, dtype=object)[
            np.searchsorted(self.band_edges, probability, side="right")
        ]

    def score_features(self, features: HouseholdFeatures) -> pd.DataFrame:
        """Score precomputed features (see :meth:`score`)."""
        if features.line_version != self.line_.version:
            raise ValueError(
                f"features use monitoring line {features.line_version}, the model "
                f"{self.line_.version}"
            )
        X = features.values
        facts = features.facts | {
            "line_next": features.line_yuan,
            "years_observed": X[:, FEATURE_NAMES.index("years_observed")],
        }
        probability = np.empty(len(X))
        # Households in chunks: the model's working arrays stay small at province scale.
        # The reasons are millions of small acyclic dicts and strings: the cycle collector,
        # triggered by their allocation, would only walk them (a third of the scoring time).
        with _cycle_collection_paused():
            reasons, said = self._reasons(X, facts, probability)
        return pd.DataFrame(
            {
                "household_id": features.household_id,
                "score_year": features.score_year,
                "probability": probability,
                "band": self.band(probability),
                "flag": probability >= self.flag_probability,
                "reasons": said,
                "line_yuan": features.line_yuan,
                "line_version": self.line_.version,
                "reason_details": reasons,
            }
        )

    def _reasons(
        self, X: np.ndarray, facts: dict, probability: np.ndarray
    ) -> tuple[list[list[dict]], list[list[str]]]:
        """Fill ``probability`` and return each household's reasons, as data and in words."""
        reasons: list[list[dict]] = []
        for start in range(0, len(X), _SCORE_CHUNK):
            part = slice(start, start + _SCORE_CHUNK)
            probability[part] = self.predict_proba(X[part])
            group_logit, lead = self.contributions(X[part])
            above = self._impute(X[part]) > self.fill_
            part_facts = {k: v[part] for k, v in facts.items()}
            reasons += explain(
                group_logit,
                lead,
                above,
                part_facts,
                max_reasons=MAX_REASONS,
                min_logit=self.policy_.min_logit,
            )
        return reasons, say_reasons(reasons)

    def score(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Score households from their raw history rows.

        Parameters
        ----------
        rows : DataFrame
            Panel-schema rows of one or many households, 1 to 5 most recent years each
            (more are allowed; only the 5 most recent count). ``household_id`` is a string.

        Returns
        -------
        DataFrame
            One row per household in order of first appearance, with columns
            ``household_id`` (str), ``score_year`` (int, last observed year + 1),
            ``probability`` (float in [0, 1]), ``band`` ("low", "medium", "high"),
            ``flag`` (bool, recommended for a visit), ``reasons`` (list of up to 3 str, in
            the language in force: :mod:`forecast.i18n`), ``line_yuan`` (float, the line of
            ``score_year``), ``line_version`` (str) and ``reason_details`` (the same reasons
            as plain data, :class:`~forecast.risk.reasons.Reason` dicts ``{"code", "key",
            "fields"}``: the feature each quotes, its catalogue key and figures, to say in
            any language with :func:`forecast.risk.reasons.reason_text`).
            Each household's row is the same whether it is scored alone or in a batch.

        Raises
        ------
        forecast.risk.HistoryError
            For rows that cannot be scored, naming the row, the field and the reason.
        """
        return self.score_features(compute_features(rows, self.line_))


@contextlib.contextmanager
def _cycle_collection_paused():
    """Pause Python's cycle collector for the block (reference counting still frees)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

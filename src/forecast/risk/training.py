"""Train the risk model on earlier years and evaluate it on a later one.

The split follows time, as the model will be used: the classifier learns from outcomes up to
``train_until - 1``, its calibration from ``train_until`` (the latest year it may see), and it
is judged on ``evaluate_year`` using only the years before it. A logistic regression and a
gradient-boosted classifier are trained on the same examples and compared; the chosen ``kind``
is returned (and registered) and the other reported as the challenger.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from forecast.progress import progress_bar
from forecast.risk.evaluation import (
    calibration_table,
    capacity_curve,
    classification_metrics,
    subgroup_metrics,
)
from forecast.risk.labels import (
    SERVED_LABEL,
    examples_for_year,
    examples_for_years,
    label_rates,
)
from forecast.risk.line import MonitoringLine, monitoring_line
from forecast.risk.models import KINDS, RiskModel


def train_risk_model(
    panel: pd.DataFrame,
    *,
    train_until: int = 2020,
    evaluate_year: int = 2022,
    random_state: int = 0,
    kind: str = "logistic",
    label: str = SERVED_LABEL,
    compare: bool = True,
    line: MonitoringLine | None = None,
    progress: bool = False,
    **hyper_parameters: Any,
) -> tuple[RiskModel, dict[str, Any]]:
    """Fit, calibrate and evaluate the household risk model.

    Parameters
    ----------
    panel : DataFrame
        Household panel in the schema of :mod:`forecast.schema`, covering at least
        ``train_until - 2`` to ``evaluate_year``.
    train_until : int
        Last outcome year used in training; it calibrates the probabilities.
    evaluate_year : int
        Outcome year of the evaluation (features from the years before it).
    random_state : int
        Seed of the boosted trees.
    kind : {"logistic", "boosting"}
        The model returned. The default is logistic: on the synthetic panel it scores as well
        as the boosted trees, its reasons are exact contributions and it scores 30 times
        faster (see the notebook 03 comparison).
    label : str
        Outcome definition (:data:`forecast.risk.labels.LABELS`).
    compare : bool
        Also fit the other kind and report it as the challenger.
    line : MonitoringLine, optional
        Monitoring line; default the shipped one.
    progress : bool
        Show a progress bar over the steps (features, then each model's fit and evaluation).
    **hyper_parameters
        Passed to :class:`RiskModel`.

    Returns
    -------
    model : RiskModel
        The fitted model of ``kind``.
    metrics : dict
        ``summary`` (one row per model: AUC, average precision, Brier, ECE, recall at 5 % and
        10 %, flag share/recall/precision, fit seconds), ``subgroups``, ``calibration`` and
        ``capacity`` (long tables with a ``model`` column), ``label_rates``, ``scalars`` (flat
        served-model figures, ``challenger_*`` for the other) and the years used.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    line = line or monitoring_line()
    years = np.sort(panel["year"].unique())
    first, last = int(years[0]), int(years[-1])
    if not first + 2 <= train_until < evaluate_year <= last:
        raise ValueError(
            f"the panel covers {first}..{last}; need {first + 2} <= train_until "
            f"({train_until}) < evaluate_year ({evaluate_year}) <= {last}"
        )
    kinds = [kind] + ([k for k in KINDS if k != kind] if compare else [])
    bar = progress_bar(
        description="risk model", total=1 + len(kinds), unit="step", enabled=progress
    )
    bar.set_postfix_str("features")
    fit_years = list(range(first + 1, train_until))
    fit = examples_for_years(panel, fit_years, line=line, definition=label)
    calibrate = examples_for_year(panel, train_until, line=line, definition=label)
    evaluate = examples_for_year(panel, evaluate_year, line=line, definition=label)
    bar.update()

    models: dict[str, RiskModel] = {}
    summary, subgroups, calibration, capacity = [], [], [], []
    groups = evaluate.subgroups()
    for k in kinds:
        bar.set_postfix_str(k)
        started = time.perf_counter()
        model = RiskModel(k, random_state=random_state, **hyper_parameters).fit(
            fit.values, fit.label, calibrate.values, calibrate.label, line=line
        )
        seconds = time.perf_counter() - started
        models[k] = model
        p = model.predict_proba(evaluate.values)
        y = evaluate.label
        row = classification_metrics(y, p, flag_probability=model.flag_probability)
        summary.append({"model": k, **row, "fit_seconds": seconds})
        subgroups.append(subgroup_metrics(y, p, groups).assign(model=k))
        calibration.append(calibration_table(y, p).assign(model=k))
        capacity.append(capacity_curve(y, p).assign(model=k))
        bar.update()
    bar.close()

    summary_frame = pd.DataFrame(summary).set_index("model")
    scalars = {
        name: float(value)
        for name, value in summary_frame.loc[kind].items()
        if name not in ("households",)
    }
    for other in kinds[1:]:
        for name in ("auc", "average_precision", "brier", "ece", "recall_top5", "recall_top10"):
            scalars[f"challenger_{name}"] = float(summary_frame.loc[other, name])
    metrics = {
        "summary": summary_frame,
        "subgroups": pd.concat(subgroups, ignore_index=True),
        "calibration": pd.concat(calibration, ignore_index=True),
        "capacity": pd.concat(capacity, ignore_index=True),
        "label_rates": label_rates(panel, range(first + 1, last + 1), line=line),
        "scalars": scalars,
        "served": kind,
        "challenger": kinds[1] if len(kinds) > 1 else None,
        "label": label,
        "fit_years": fit_years,
        "calibration_year": train_until,
        "evaluate_year": evaluate_year,
        "examples": {"fit": len(fit), "calibration": len(calibrate), "evaluation": len(evaluate)},
        "models": models,
    }
    return models[kind], metrics

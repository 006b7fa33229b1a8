"""Workflows that join a model to the MLflow registry: the tracking layer's side of training
and scoring (the models themselves never import MLflow)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from forecast import tracking
from forecast.progress import progress_bar
from forecast.risk import train_risk_model
from simulation.risk import PanelRiskScorer


def train_and_register(
    panel: pd.DataFrame,
    *,
    train_until: int = 2020,
    evaluate_year: int = 2022,
    random_state: int = 0,
    panel_source: str | None = None,
    progress: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Train, evaluate and register the risk model as ``household-risk`` (``make demo``).

    The first registered version becomes ``champion``; later versions wait for
    ``zengshou risk promote``. ``progress`` shows bars over training and recording; the
    other options go to :func:`forecast.risk.train_risk_model`.

    Returns
    -------
    dict
        ``version`` (registered version, str), ``model`` and ``metrics``.
    """
    model, metrics = train_risk_model(
        panel,
        train_until=train_until,
        evaluate_year=evaluate_year,
        random_state=random_state,
        progress=progress,
        **options,
    )
    # Logging the model also checks that MLflow scores its input example: a few seconds.
    with progress_bar(description="MLflow record", total=1, enabled=progress) as bar:
        version = tracking.register_risk_model(
            model, metrics, panel=panel, panel_source=panel_source, random_state=random_state
        )
        bar.update()
    return {"version": version, "model": model, "metrics": metrics}


def registered_risk_scorer(
    panel: pd.DataFrame, as_of: int, alias: str = "champion"
) -> PanelRiskScorer:
    """A scorer for the simulation's ``risk`` targeting from ``household-risk@ALIAS``.

    Needs MLflow and a registered model (``zengshou risk train``); the simulation itself
    never does (:func:`simulation.risk.risk_scorer` trains one from the panel).
    """
    loaded = tracking.load_risk_model(alias=alias)
    return PanelRiskScorer(loaded.unwrap_python_model().model, panel, as_of)

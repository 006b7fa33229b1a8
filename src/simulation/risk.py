"""Risk targeting: the risk package's model as a scorer over the simulated households.

The monitoring system calls ``risk_scorer(state) -> probabilities`` each January. The risk
model scores a household from its recent yearly history; :class:`PanelRiskScorer` builds that
history from the panel (years up to ``as_of``) and the simulated years so far
(``state["annual_history"]``), then scores all households in one vectorised call
(``forecast.risk.compute_features`` and ``RiskModel.predict_proba``).

Simulated years copy the household's ``as_of`` row for everything but incomes and the
monitoring flag: size, labour, relocation and the measures received are held at their last
observed values (an assumption: the simulation does not map its levers to the panel's
``received_*`` columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.risk import compute_features, train_risk_model
from forecast.risk.features import WINDOW
from simulation.rules import SOURCES

RISK_MODELS = ("panel", "registered")  # where a risk scorer's model comes from


class PanelRiskScorer:
    """Score simulated households with a fitted :class:`forecast.risk.RiskModel`.

    Parameters
    ----------
    model : forecast.risk.RiskModel
        Fitted risk model (``predict_proba`` over features, ``line_`` its monitoring line).
    panel : pandas.DataFrame
        The panel the simulation's :class:`~simulation.Population` was built from.
    as_of : int
        The population's ``as_of`` year.
    """

    def __init__(self, model, panel: pd.DataFrame, as_of: int) -> None:

        self.model = model
        self.window = WINDOW
        self.as_of = as_of
        # Same filter as Population.from_panel: the template rows are in the population's order.
        self.current = panel[panel["year"] == as_of].reset_index(drop=True)
        self.history = panel[(panel["year"] > as_of - WINDOW) & (panel["year"] <= as_of)]

    def __call__(self, state: dict) -> np.ndarray:
        """Probability of each household falling under the line in ``state["year"]``."""

        frames = [self.history]
        for year, income in sorted(state.get("annual_history", {}).items()):
            rows = self.current.copy()
            rows["year"] = year
            for i, source in enumerate(SOURCES):
                rows[f"{source}_income"] = np.maximum(income[i], 0.0) if i != 1 else income[i]
            rows["net_income_per_capita"] = income.sum(axis=0) / rows["members"].to_numpy()
            rows["monitored"] = state["monitored"]
            frames.append(rows)
        rows = pd.concat(frames, ignore_index=True)
        last = int(rows["year"].max())
        rows = rows[rows["year"] > last - self.window]
        features = compute_features(rows, self.model.line_)
        probability = self.model.predict_proba(features.values)
        order = pd.Index(features.household_id).get_indexer(self.current["household_id"])
        if (order < 0).any():
            raise ValueError("risk scorer: a simulated household has no history row")
        return probability[order]


def panel_risk_scorer(panel: pd.DataFrame, as_of: int) -> PanelRiskScorer:
    """Train the risk model on the panel (years up to ``as_of``) and return its scorer.

    No MLflow: ``forecast.risk.train_risk_model`` fits the served model kind on outcomes up
    to ``as_of - 2`` and evaluates on ``as_of``. The scorer holds the fitted model and the
    panel rows it needs, so it pickles to worker processes and Dask workers.
    """

    observed = panel[panel["year"] <= as_of]
    model, _ = train_risk_model(observed, train_until=as_of - 2, evaluate_year=as_of, compare=False)
    return PanelRiskScorer(model, observed, as_of)


def risk_scorer(panel: pd.DataFrame, as_of: int, model: str = "panel") -> PanelRiskScorer:
    """Return the scorer for ``risk`` targeting trained from the panel, without MLflow.

    ``registered`` (``household-risk@champion`` from the MLflow registry) is loaded by the
    tracking layer: :func:`zengshou.workflows.registered_risk_scorer`.
    """
    if model == "panel":
        return panel_risk_scorer(panel, as_of)
    raise ValueError(
        f"risk model: {model!r}: this function trains from the panel; load 'registered' with "
        "zengshou.workflows.registered_risk_scorer"
        if model in RISK_MODELS
        else f"risk model: {model!r} not one of {RISK_MODELS}"
    )

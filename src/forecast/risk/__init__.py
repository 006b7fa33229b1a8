"""Return-to-poverty risk: who is likely to fall under the monitoring line next year, and why.

>>> from forecast.risk import train_risk_model, RiskModel, monitoring_line
>>> model, metrics = train_risk_model(panel)            # doctest: +SKIP
>>> model.score(history_rows)                           # doctest: +SKIP

Registering and loading the model go through :mod:`forecast.tracking`
(``register_risk_model``, ``set_risk_alias``, ``load_risk_model``,
``describe_registered_model``).
"""

from forecast.risk.features import FEATURE_NAMES, REASON_GROUPS, HistoryError, compute_features
from forecast.risk.labels import LABELS, SERVED_LABEL, examples_for_year, label_rates
from forecast.risk.line import MonitoringLine, load_monitoring_line, monitoring_line
from forecast.risk.models import BANDS, OUTPUT_COLUMNS, RiskModel
from forecast.risk.policy import RiskPolicy, load_risk_policy, risk_policy
from forecast.risk.training import train_risk_model

REGISTERED_MODEL = "household-risk"

__all__ = [
    "BANDS",
    "FEATURE_NAMES",
    "LABELS",
    "OUTPUT_COLUMNS",
    "REASON_GROUPS",
    "REGISTERED_MODEL",
    "SERVED_LABEL",
    "HistoryError",
    "MonitoringLine",
    "RiskModel",
    "RiskPolicy",
    "compute_features",
    "examples_for_year",
    "label_rates",
    "load_monitoring_line",
    "load_risk_policy",
    "monitoring_line",
    "risk_policy",
    "train_risk_model",
]

"""The risk model as MLflow logs it: "models from code", not a pickled Python object.

MLflow copies this file into the logged model and runs it when the model loads (never import
it: it registers the model with MLflow as it runs). It names the installed package's
:class:`~forecast.risk.pyfunc.RiskPyfunc`, whose ``load_context`` reads the fitted model from
the run's joblib artifact.
"""

from mlflow.models import set_model

from forecast.risk.pyfunc import RiskPyfunc

set_model(RiskPyfunc())

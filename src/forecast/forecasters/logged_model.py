"""The panel forecaster as MLflow logs it: "models from code", not a pickled Python object.

MLflow copies this file into the logged model and runs it when the model loads (never import
it: it registers the model with MLflow as it runs). It names the installed package's
:class:`~forecast.forecasters.pyfunc.PanelForecasterModel`, whose ``load_context`` reads the
fitted forecaster from the run's joblib artifact.
"""

from mlflow.models import set_model

from forecast.forecasters.pyfunc import PanelForecasterModel

set_model(PanelForecasterModel())

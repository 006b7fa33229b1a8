"""The one module that talks to MLflow.

The store is ``mlruns/`` at the project root (``mlruns/mlflow.db`` for tracking and the
registry, ``mlruns/artifacts/`` for artifacts), whatever the working directory.
``MLFLOW_TRACKING_URI`` overrides it; with a ``sqlite:///.../mlflow.db`` URI the artifacts go
to ``artifacts/`` beside the database, so a temporary store stays self-contained.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from functools import cache
from pathlib import Path

import pandas as pd

from forecast.paths import project_root


def tracking_uri() -> str:
    """Return the tracking URI: ``$MLFLOW_TRACKING_URI`` or the project's SQLite store."""
    if uri := os.environ.get("MLFLOW_TRACKING_URI"):
        return uri
    return f"sqlite:///{project_root() / 'mlruns' / 'mlflow.db'}"


def artifact_root(uri: str | None = None) -> str | None:
    """Return where new experiments keep artifacts, or None to let a remote server decide."""
    uri = uri or tracking_uri()
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    return None  # file stores keep artifacts inside themselves; servers choose their own


def configure() -> str:
    """Point MLflow at the project store and return the URI used."""
    import mlflow

    uri = tracking_uri()
    if uri.startswith("sqlite:///"):  # SQLite creates the database, not its folder
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def experiment(name: str) -> str:
    """Return the id of experiment ``name``, creating it with an explicit artifact location."""
    import mlflow

    uri = configure()
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_root(uri))


def data_fingerprint(frame: pd.DataFrame) -> str:
    """Return a SHA-256 of a DataFrame's values, index and column names (order-sensitive)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def file_fingerprint(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def code_version() -> str:
    """Return the git commit of the checkout (``+dirty`` if it has changes) or the version."""
    root = project_root()
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        from importlib.metadata import version

        return f"zengshou=={version('zengshou')}"


def standard_tags() -> dict[str, str]:
    """Tags every zengshou run carries: code version and package version."""
    from importlib.metadata import version

    return {"zengshou.code_version": code_version(), "zengshou.version": version("zengshou")}


# --- Monte Carlo runs of the simulation (simulation.montecarlo) ---------------------------


def log_simulation_run(
    experiment_name: str,
    run_name: str,
    scenario_files: list[str | Path],
    params: dict[str, object],
    seeds: list[int],
    data_fingerprint: str | None,
    metrics: dict[str, float],
    artifacts: list[str | Path] | tuple[str | Path, ...] = (),
    tags: dict[str, str] | None = None,
) -> str:
    """Record one simulation run so that every reported figure can be traced back.

    Logs each scenario file (as an artifact under ``scenario/``, with its SHA-256 as a param),
    the parameters, the replication seeds (``seeds.json``), the data fingerprint and code
    version (params and tags), the metrics, and the given artifact files (plots,
    ``summary.json``).

    Returns
    -------
    str
        The MLflow run id.
    """
    import math

    import mlflow

    experiment_id = experiment(experiment_name)
    fingerprints = {Path(f).name: file_fingerprint(f) for f in scenario_files}
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags({**standard_tags(), **(tags or {})})
        logged = {
            **{k: str(v) for k, v in params.items()},
            "data_fingerprint": data_fingerprint or "unknown",
            "code_version": code_version(),
            "replications": str(len(seeds)),
        }
        for name, digest in fingerprints.items():
            logged[f"scenario_sha256.{name}"] = digest
        mlflow.log_params(logged)
        mlflow.log_dict({"seeds": [int(s) for s in seeds]}, "seeds.json")
        mlflow.log_metrics(
            {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}
        )
        for path in scenario_files:
            mlflow.log_artifact(str(path), artifact_path="scenario")
        for path in artifacts:
            mlflow.log_artifact(str(path))
        return run.info.run_id


# -- income forecasting (forecast.forecasters, forecast.backtesting) -----------------------------

FORECAST_BACKTEST_EXPERIMENT = "forecast-backtest"
FORECAST_TRAIN_EXPERIMENT = "forecast-train"


def _forecaster_pyfunc():
    """A pyfunc wrapper that loads a panel forecaster saved with joblib by this project.

    Defined lazily so that importing this module does not import MLflow's pyfunc machinery.
    MLflow pickles the wrapper by value; the forecaster itself is a joblib artifact written and
    read only by zengshou (load models only from stores you trust, as with any pickle).
    """
    import mlflow.pyfunc

    class PanelForecasterModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context) -> None:
            import joblib

            self.forecaster = joblib.load(context.artifacts["forecaster"])

        def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):
            horizon = int((params or {}).get("horizon", 1))
            return self.forecaster.predict(model_input, horizon=horizon)

    return PanelForecasterModel()


def log_panel_forecaster(
    forecaster,
    panel: pd.DataFrame,
    *,
    horizon: int = 1,
    name: str = "forecaster",
    registered_model_name: str | None = None,
    n_example_units: int = 3,
) -> None:
    """Log a fitted panel forecaster to the active run as a pyfunc model.

    The input example is the full history of a few units; the signature is inferred from it
    and from the forecast it gives, with ``horizon`` as an inference parameter.
    """
    import tempfile

    import joblib
    import mlflow
    from mlflow.models import infer_signature

    id_col = forecaster.id_col
    units = panel[id_col].drop_duplicates().iloc[:n_example_units]
    example = panel[panel[id_col].isin(units)].reset_index(drop=True)
    columns = [id_col, forecaster.time_col, *_forecaster_columns(forecaster)]
    example = example[[c for c in dict.fromkeys(columns) if c in example.columns]]
    example = _plain_dtypes(example)
    output = _plain_dtypes(forecaster.predict(example, horizon=horizon))
    signature = infer_signature(example, output, params={"horizon": int(horizon)})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "forecaster.joblib"
        joblib.dump(forecaster, path)
        mlflow.pyfunc.log_model(
            name=name,
            python_model=_forecaster_pyfunc(),
            artifacts={"forecaster": str(path)},
            signature=signature,
            input_example=example,
            registered_model_name=registered_model_name,
        )


def _forecaster_columns(forecaster) -> list[str]:
    """Panel columns a forecaster reads (target, parts of a total, covariates)."""
    columns = list(getattr(forecaster, "components", None) or [forecaster.target])
    return columns + list(forecaster.features or [])


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories and pyarrow strings as plain objects, which MLflow's schemas understand."""
    converted = {
        c: frame[c].astype(object)
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(frame[c])
    }
    return frame.assign(**converted) if converted else frame


def log_forecast_backtest(
    results: pd.DataFrame,
    panel: pd.DataFrame,
    params: dict,
    *,
    best_model=None,
    run_name: str | None = None,
) -> str:
    """Log a backtest table (from :func:`forecast.backtesting.backtest`) as one MLflow run.

    Logs ``params``, the data fingerprint and code version, every model's mean metrics over
    origins (``<model>.<metric>``) and per origin (with ``step=origin``), the table as a CSV
    artifact and, when given, the best model refitted on the full panel. Returns the run id.
    """
    import mlflow

    from forecast.backtesting import summarize

    experiment_id = experiment(FORECAST_BACKTEST_EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags(standard_tags() | {"zengshou.data_fingerprint": data_fingerprint(panel)})
        mlflow.log_params({k: str(v) for k, v in params.items()} | {"n_rows": len(panel)})
        summary = summarize(results)
        for model, row in summary.iterrows():
            mlflow.log_metrics({f"{model}.{k}": float(v) for k, v in row.items() if pd.notna(v)})
        for record in results.to_dict("records"):
            metrics = {
                f"{record['model']}.origin.{k}": float(record[k])
                for k in ("mae", "coverage_80", "coverage_95", "pinball")
                if pd.notna(record[k])
            }
            mlflow.log_metrics(metrics, step=int(record["origin"]))
        mlflow.log_text(results.to_csv(index=False), "backtest.csv")
        mlflow.log_param("best_model", summary.index[0])
        if best_model is not None:
            log_panel_forecaster(best_model, panel, horizon=int(params.get("horizon", 1)))
        return run.info.run_id


def log_forecast_training(
    forecaster,
    panel: pd.DataFrame,
    *,
    horizon: int = 1,
    metrics: dict[str, float] | None = None,
    registered_model_name: str | None = None,
    run_name: str | None = None,
) -> str:
    """Log a fitted forecaster, its hyper-parameters and the data fingerprint; return run id."""
    import mlflow

    experiment_id = experiment(FORECAST_TRAIN_EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags(standard_tags() | {"zengshou.data_fingerprint": data_fingerprint(panel)})
        params = {k: str(v) for k, v in forecaster.get_params(deep=False).items()}
        mlflow.log_params(params | {"model": type(forecaster).__name__, "n_rows": len(panel)})
        if metrics:
            mlflow.log_metrics(metrics)
        log_panel_forecaster(
            forecaster, panel, horizon=horizon, registered_model_name=registered_model_name
        )
        return run.info.run_id


# -- models of the national target (forecast.targets) ---------------------------------------

TARGET_BACKTEST_EXPERIMENT = "forecast-targets"


def log_target_backtest(
    model_table: pd.DataFrame,
    cases: pd.DataFrame,
    params: dict[str, object],
    *,
    data: pd.DataFrame,
    summary: dict,
    tables: dict[str, pd.DataFrame] | None = None,
    run_name: str | None = None,
) -> str:
    """Log the backtest of the target models (:func:`forecast.targets.backtest_targets`).

    Parameters
    ----------
    model_table : pandas.DataFrame
        :func:`forecast.targets.model_table`, indexed by (horizon, model); each cell becomes
        the metric ``h<horizon>_<column>_<model>`` (``h2_mae_macro``, ``h2_coverage_80_macro``).
    cases : pandas.DataFrame
        The per-case rows, logged as ``cases.csv``.
    params : dict
        Run parameters (``until``, ``horizon``, ``chosen_model``, ...), logged as given with
        the data fingerprint and code version.
    data : pandas.DataFrame
        The published values read (long: series, year, value); its fingerprint is logged.
    summary : dict
        The choice, verdict and tables as written by ``--json``; logged as ``choice.json``.
    tables : dict of str to pandas.DataFrame, optional
        More tables, each logged as ``<name>.csv``.

    Returns
    -------
    str
        The MLflow run id.
    """
    import math

    import mlflow

    experiment_id = experiment(TARGET_BACKTEST_EXPERIMENT)
    fingerprint = data_fingerprint(data)
    metrics = {
        f"h{horizon}_{column}_{model}": float(value)
        for (horizon, model), row in model_table.iterrows()
        for column, value in row.items()
    }
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags(standard_tags() | {"zengshou.data_fingerprint": fingerprint})
        mlflow.log_params(
            {k: str(v) for k, v in params.items()}
            | {
                "data_fingerprint": fingerprint,
                "code_version": code_version(),
                "n_cases": len(cases),
            }
        )
        mlflow.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)})
        mlflow.log_text(model_table.to_csv(), "model_table.csv")
        mlflow.log_text(cases.to_csv(index=False), "cases.csv")
        for name, frame in (tables or {}).items():
            mlflow.log_text(frame.to_csv(), f"{name}.csv")
        mlflow.log_dict(summary, "choice.json")
        return run.info.run_id


# --- Return-to-poverty risk model (forecast.risk) -----------------------------------------
#
# The model is registered as RISK_MODEL_NAME; the first version gets the alias "champion",
# later ones only when promoted (``zengshou risk promote VERSION``). What the service reports
# comes from ``describe_registered_model()``: model-version tags (trained_at, line_version,
# label, kind, evaluation metrics), the run's params and metrics, and the input columns.

RISK_MODEL_NAME = "household-risk"
RISK_EXPERIMENT = "household-risk"
RISK_CHAMPION = "champion"
_RISK_TAGGED_METRICS = ("auc", "average_precision", "brier", "ece", "recall_top5", "recall_top10")


def risk_input_columns() -> list[dict[str, object]]:
    """Panel columns as the risk model sees them: name, type, unit, required, used.

    Every schema column may be sent; ``used`` ones enter the features and ``required`` ones
    must be present and non-missing.
    """
    from forecast.risk.features import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
    from forecast.schema import COLUMNS

    used = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    return [
        {
            "name": c.name,
            "type": c.kind,
            "unit": c.unit,
            "required": c.name in REQUIRED_COLUMNS,
            "used": c.name in used,
        }
        for c in COLUMNS
    ]


# Input columns MLflow cannot type without refusing the panel's own dtypes: a pandas
# categorical is refused for a string column ("cannot safely convert category"), and the
# nullable Int64 / boolean columns fail on a missing value ("cannot convert NA to integer",
# "cannot convert float NaN to bool"). These stay ``Any``; the pyfunc checks them itself and
# names row, field and reason.
_RISK_UNTYPED_KINDS = ("category",)
_RISK_UNTYPED_COLUMNS = ("head_age", "shock_illness", "shock_disaster")


def risk_signature():
    """MLflow signature of the risk pyfunc: panel rows in, one row per household out.

    Strings, integers, floats and non-nullable booleans are typed, so MLflow enforces them;
    categorical and nullable columns are ``Any`` (see ``_RISK_UNTYPED_COLUMNS``). Floats are
    doubles: MLflow refuses integer values for them, so send incomes as floats (the panel's
    own dtype). The full types are in :func:`risk_input_columns`.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import AnyType, Array

    kinds = {"str": DataType.string, "int": DataType.long, "float": DataType.double}
    kinds["bool"] = DataType.boolean
    inputs = []
    for c in risk_input_columns():
        untyped = c["type"] in _RISK_UNTYPED_KINDS or c["name"] in _RISK_UNTYPED_COLUMNS
        kind = AnyType() if untyped else kinds[c["type"]]
        inputs.append(ColSpec(kind, c["name"], required=c["required"]))
    outputs = [
        ColSpec(DataType.string, "household_id"),
        ColSpec(DataType.long, "score_year"),
        ColSpec(DataType.double, "probability"),
        ColSpec(DataType.string, "band"),
        ColSpec(DataType.boolean, "flag"),
        ColSpec(Array(DataType.string), "reasons"),
        ColSpec(DataType.double, "line_yuan"),
        ColSpec(DataType.string, "line_version"),
    ]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def risk_input_example() -> pd.DataFrame:
    """Raw history rows of two synthetic households (last three years): the model's example."""
    from forecast.synthetic import synthesize_panel

    panel = synthesize_panel(2, seed=0, as_of=2022)
    return panel[panel["year"] >= 2020].reset_index(drop=True)


def risk_pip_requirements() -> list[str]:
    """Pinned requirements of the risk pyfunc: this package (it holds the scoring code; no
    ``code_paths``, which would shadow the installed package inside a running service) and the
    packages its scoring imports."""
    from importlib.metadata import version as package_version

    packages = ("zengshou", "mlflow", "numpy", "pandas", "scikit-learn", "joblib", "pyyaml")
    return [f"{p}=={package_version(p)}" for p in packages] + [
        f"threadpoolctl=={package_version('threadpoolctl')}"
    ]


def register_risk_model(
    model,
    metrics: dict,
    *,
    panel: pd.DataFrame | None = None,
    panel_source: str | None = None,
    random_state: int | None = None,
    name: str = RISK_MODEL_NAME,
    experiment_name: str = RISK_EXPERIMENT,
) -> str:
    """Log a trained risk model's run and register it; return the new version (as a string).

    Parameters
    ----------
    model : forecast.risk.RiskModel
        Fitted model (from ``train_risk_model``).
    metrics : dict
        Its evaluation (the second value ``train_risk_model`` returns).
    panel : DataFrame, optional
        Training panel; its fingerprint and size are logged.
    panel_source : str, optional
        Where the panel came from (file path, or "synthesize_panel(n, seed=...)").
    random_state : int, optional
        Seed used in training.

    The run logs hyper-parameters, years, label, monitoring-line version, data fingerprint and
    code version as params; the served model's metrics (and ``challenger_*``) as metrics; the
    evaluation tables as CSV artifacts; and the model as a pyfunc (``model/``) whose only
    artifact is the joblib-dumped :class:`RiskModel`. The registered version carries tags
    ``trained_at``, ``line_version``, ``label``, ``kind``, ``evaluate_year``, ``train_until``,
    ``code_version`` and the main metrics. The first version becomes ``champion``.
    """
    import math
    import tempfile
    from datetime import UTC, datetime

    import joblib
    import mlflow
    from mlflow import MlflowClient

    from forecast.risk.pyfunc import ARTIFACT, RiskPyfunc

    experiment_id = experiment(experiment_name)
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    line = model.line_
    params = {f"model.{k}": v for k, v in model.get_params().items()}
    params |= {
        "kind": model.kind,
        "label": metrics["label"],
        "fit_years": ",".join(map(str, metrics["fit_years"])),
        "train_until": metrics["calibration_year"],
        "evaluate_year": metrics["evaluate_year"],
        "line_version": line.version,
        "policy_version": model.policy_.version,
        **model.policy_.params(),
        "random_state": random_state,
        "panel_source": panel_source or "DataFrame",
        "code_version": code_version(),
        **{f"examples.{k}": v for k, v in metrics["examples"].items()},
    }
    if panel is not None:
        params |= {
            "data_fingerprint": data_fingerprint(panel),
            "panel_households": int(panel["household_id"].nunique()),
            "panel_years": f"{int(panel['year'].min())}-{int(panel['year'].max())}",
        }
    scalars = {k: v for k, v in metrics["scalars"].items() if math.isfinite(v)}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"risk-{model.kind}") as run:
        mlflow.set_tags(
            standard_tags()
            | {
                "zengshou.component": "risk",
                "risk.trained_at": trained_at,
                "risk.line_version": line.version,
                "risk.policy_version": model.policy_.version,
            }
        )
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics(scalars)
        for table in ("summary", "subgroups", "calibration", "capacity", "label_rates"):
            frame = metrics[table]
            text = frame.to_csv(index=table == "summary")
            mlflow.log_text(text, f"evaluation/{table}.csv")
        mlflow.log_text(line.table().to_csv(index=False), "monitoring_line.csv")
        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/risk_model.joblib"
            joblib.dump(model, path)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=RiskPyfunc(),
                artifacts={ARTIFACT: path},
                signature=risk_signature(),
                input_example=risk_input_example(),
                pip_requirements=risk_pip_requirements(),
                metadata={
                    "line_version": line.version,
                    "policy_version": model.policy_.version,
                    "trained_at": trained_at,
                    "label": metrics["label"],
                    "kind": model.kind,
                },
            )
        run_id = run.info.run_id

    client = MlflowClient()
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(
            name,
            description=(
                "Calibrated probability that a household's per-capita net income falls under "
                "next year's monitoring line, with band, visit flag and reasons. Input: panel "
                "rows (forecast.schema) of 1-5 recent years per household. See "
                "forecast.tracking.describe_registered_model."
            ),
        )
    registered = client.create_model_version(name, info.model_uri, run_id=run_id)
    version = str(registered.version)
    tags = {
        "trained_at": trained_at,
        "line_version": line.version,
        "policy_version": model.policy_.version,
        "label": metrics["label"],
        "kind": model.kind,
        "train_until": str(metrics["calibration_year"]),
        "evaluate_year": str(metrics["evaluate_year"]),
        "code_version": code_version(),
        **{f"metric.{k}": f"{scalars[k]:.4f}" for k in _RISK_TAGGED_METRICS if k in scalars},
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    try:
        client.get_model_version_by_alias(name, RISK_CHAMPION)
    except mlflow.exceptions.MlflowException:
        client.set_registered_model_alias(name, RISK_CHAMPION, version)
    return version


def set_risk_alias(version: str | int, alias: str = RISK_CHAMPION, name: str = RISK_MODEL_NAME):
    """Point ``alias`` (default ``champion``) at ``version`` of the risk model.

    Raises
    ------
    ValueError
        If the version does not exist.
    """
    import mlflow
    from mlflow import MlflowClient

    configure()
    client = MlflowClient()
    try:
        client.get_model_version(name, str(version))
    except mlflow.exceptions.MlflowException:
        known = sorted(
            (int(v.version) for v in client.search_model_versions(f"name='{name}'")),
        )
        raise ValueError(
            f"model {name!r} has no version {version!r} (versions: {known or 'none'})"
        ) from None
    client.set_registered_model_alias(name, alias, str(version))


def load_risk_model(alias: str = RISK_CHAMPION, name: str = RISK_MODEL_NAME):
    """Load ``models:/NAME@ALIAS`` as an MLflow pyfunc (``predict(rows)`` scores households).

    ``model.unwrap_python_model().model`` is the :class:`forecast.risk.RiskModel` itself, for
    callers that want ``score`` without MLflow's input checks.
    """
    import mlflow

    configure()
    return mlflow.pyfunc.load_model(f"models:/{name}@{alias}")


def describe_registered_model(
    alias: str | None = RISK_CHAMPION,
    *,
    version: str | int | None = None,
    name: str = RISK_MODEL_NAME,
) -> dict[str, object]:
    """What a registered risk-model version is: for the service's ``/model`` answer.

    Parameters
    ----------
    alias : str, optional
        Alias to describe (default ``champion``); ignored when ``version`` is given.
    version : str or int, optional
        Version to describe.

    Returns
    -------
    dict
        ``name``, ``version``, ``aliases``, ``run_id``, ``model_uri``, ``trained_at``,
        ``line_version``, ``policy_version`` (of ``data/risk_policy.yaml``), ``label``, ``kind``, ``train_until``, ``evaluate_year``,
        ``code_version``, ``metrics`` (dict of the run's metrics), ``params`` (the run's
        params), ``tags`` (the version's tags) and ``input_columns`` (name, type, unit,
        required).
    """
    from mlflow import MlflowClient

    configure()
    client = MlflowClient()
    if version is not None:
        found = client.get_model_version(name, str(version))
    else:
        found = client.get_model_version_by_alias(name, alias)
    run = client.get_run(found.run_id)
    tags = dict(found.tags)
    return {
        "name": name,
        "version": str(found.version),
        "aliases": list(found.aliases),
        "run_id": found.run_id,
        "model_uri": f"models:/{name}/{found.version}",
        "trained_at": tags.get("trained_at"),
        "line_version": tags.get("line_version"),
        "policy_version": tags.get("policy_version"),
        "label": tags.get("label"),
        "kind": tags.get("kind"),
        "train_until": tags.get("train_until"),
        "evaluate_year": tags.get("evaluate_year"),
        "code_version": tags.get("code_version"),
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
        "tags": tags,
        "input_columns": risk_input_columns(),
    }

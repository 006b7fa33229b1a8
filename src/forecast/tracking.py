"""The one module that talks to MLflow.

The store is ``mlruns/`` at the project root (``mlruns/mlflow.db`` for tracking and the
registry, ``mlruns/artifacts/`` for artifacts), whatever the working directory.
``MLFLOW_TRACKING_URI`` overrides it; with a ``sqlite:///.../mlflow.db`` URI the artifacts go
to ``artifacts/`` beside the database, so a temporary store stays self-contained.

What is logged belongs to its owner: the risk model's wrapper, signature, input example,
input columns and requirements come from :mod:`forecast.risk.pyfunc`, the forecasters' from
:mod:`forecast.forecasters.pyfunc`, and code versions and fingerprints from
:mod:`forecast.provenance`. This module only calls MLflow with them.
"""

from __future__ import annotations

import math
import os
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path

import joblib
import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient

from forecast.backtesting import summarize
from forecast.forecasters import pyfunc as forecaster_pyfunc
from forecast.paths import project_root
from forecast.provenance import code_version, data_fingerprint, file_fingerprint
from forecast.risk import pyfunc as risk_pyfunc


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
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):  # SQLite creates the database, not its folder
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def experiment(name: str) -> str:
    """Return the id of experiment ``name``, creating it with an explicit artifact location."""
    uri = configure()
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_root(uri))


def standard_tags() -> dict[str, str]:
    """Tags every zengshou run carries: code version and package version."""
    return {
        "zengshou.code_version": code_version(),
        "zengshou.version": package_version("zengshou"),
    }


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


def log_artifacts(run_id: str, artifacts: list[str | Path]) -> None:
    """Add files to a recorded run (files that must name the run, written after it)."""
    configure()
    client = MlflowClient()
    for path in artifacts:
        client.log_artifact(run_id, str(path))


# -- income forecasting (forecast.forecasters, forecast.backtesting) -----------------------------

FORECAST_BACKTEST_EXPERIMENT = "forecast-backtest"
FORECAST_TRAIN_EXPERIMENT = "forecast-train"


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

    The wrapper, input example (the full history of ``n_example_units`` units) and signature
    (with ``horizon`` as an inference parameter) come from :mod:`forecast.forecasters.pyfunc`.
    """
    example = forecaster_pyfunc.forecaster_input_example(forecaster, panel, n_units=n_example_units)
    signature = forecaster_pyfunc.forecaster_signature(forecaster, example, horizon=horizon)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "forecaster.joblib"
        joblib.dump(forecaster, path)
        mlflow.pyfunc.log_model(
            name=name,
            python_model=forecaster_pyfunc.PanelForecasterModel(),
            artifacts={forecaster_pyfunc.ARTIFACT: str(path)},
            signature=signature,
            input_example=example,
            registered_model_name=registered_model_name,
        )


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
                python_model=risk_pyfunc.RiskPyfunc(),
                artifacts={risk_pyfunc.ARTIFACT: path},
                signature=risk_pyfunc.risk_signature(),
                input_example=risk_pyfunc.risk_input_example(),
                pip_requirements=risk_pyfunc.risk_pip_requirements(),
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


def risk_alias_version(alias: str = RISK_CHAMPION, name: str = RISK_MODEL_NAME) -> str:
    """Return the version ``alias`` points at now (one registry query)."""
    configure()
    return str(MlflowClient().get_model_version_by_alias(name, alias).version)


def load_risk_model(
    alias: str = RISK_CHAMPION, name: str = RISK_MODEL_NAME, *, version: str | int | None = None
):
    """Load ``models:/NAME@ALIAS`` (or ``models:/NAME/VERSION``) as an MLflow pyfunc.

    ``predict(rows)`` scores households. ``model.unwrap_python_model().model`` is the
    :class:`forecast.risk.RiskModel` itself, for callers that want ``score`` without MLflow's
    input checks.
    """
    configure()
    if version is not None:
        return mlflow.pyfunc.load_model(f"models:/{name}/{version}")
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
        ``line_version``, ``policy_version`` (of ``data/risk_policy.yaml``), ``label``,
        ``kind``, ``train_until``, ``evaluate_year``, ``code_version``, ``metrics`` (dict of
        the run's metrics), ``params`` (the run's params), ``tags`` (the version's tags) and
        ``input_columns`` (name, type, unit, required; from :mod:`forecast.risk.pyfunc`).
    """
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
        "input_columns": risk_pyfunc.risk_input_columns(),
    }

"""The one module that talks to MLflow.

The store is ``mlruns/`` at the project root (``mlruns/mlflow.db`` for tracking and the
registry, ``mlruns/artifacts/`` for artifacts), whatever the working directory.
``MLFLOW_TRACKING_URI`` overrides it; with a ``sqlite:///.../mlflow.db`` URI the artifacts go
to ``artifacts/`` beside the database, so a temporary store stays self-contained.

MLflow writes absolute artifact locations into the database, so a store copied or moved with
its project would still write into the original's ``artifacts/``: :func:`configure` refuses
such a store (:class:`StoreLocationError`) until :func:`relocate_store` points it at its own
folder. Every run records the process that owns it (pid, host, start time) and ends
``KILLED`` when interrupted and ``FAILED`` on an error, with the reason as the tag
``zengshou.end_reason`` (:func:`tracked_run`); a run left ``RUNNING`` by a process that died
without closing it (``kill -9``, a power cut) is marked ``KILLED`` by the next process that
opens the store (:func:`sweep_abandoned_runs`).

What is logged belongs to its owner: the risk model's wrapper, signature, input example,
input columns and requirements come from :mod:`forecast.risk.pyfunc`, the forecasters' from
:mod:`forecast.forecasters.pyfunc`, and code versions and fingerprints from
:mod:`forecast.provenance`. This module only calls MLflow with them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import joblib
import mlflow
import mlflow.artifacts
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import ViewType

from forecast.backtesting import summarize
from forecast.forecasters import pyfunc as forecaster_pyfunc
from forecast.interrupts import deferred
from forecast.outputs import process_alive, process_started, write_manifest
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


_opened: set[str] = set()  # stores this process has checked and swept
_log = logging.getLogger(__name__)


def configure(*, sweep: bool = True) -> str:
    """Point MLflow at the project store and return the URI used.

    The first time in a process, refuse a store copied from another project
    (:func:`check_store_location`) and, unless ``sweep`` is false, mark the runs of dead
    processes ``KILLED`` (:func:`sweep_abandoned_runs`).

    Raises
    ------
    StoreLocationError
        The store keeps its artifacts in another project's folder.
    """
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):  # SQLite creates the database, not its folder
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if uri in _opened:
        return uri
    check_store_location(uri)
    if not sweep:
        return uri  # checked, not swept: the next call sweeps
    try:
        sweep_abandoned_runs()
    except (mlflow.exceptions.MlflowException, OSError, sqlite3.Error) as error:
        _log.warning("could not sweep abandoned runs in %s: %s", uri, error)  # read-only store
    _opened.add(uri)
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


# --- Runs that end as they ended, and a store that is where it says --------------------------

PID_TAG, HOST_TAG, STARTED_TAG = "zengshou.pid", "zengshou.host", "zengshou.process_started"
END_REASON_TAG = "zengshou.end_reason"


@contextmanager
def tracked_run(experiment_id: str, run_name: str | None = None) -> Iterator[mlflow.ActiveRun]:
    """``mlflow.start_run`` for one zengshou run, owned by this process and closed as it ends.

    The run is tagged with this process (:data:`PID_TAG`, :data:`HOST_TAG`,
    :data:`STARTED_TAG`), so that :func:`sweep_abandoned_runs` can tell when its process is
    gone. An interruption (``KeyboardInterrupt``: Ctrl-C, or SIGTERM as the CLI raises it)
    ends it ``KILLED``, an exception ``FAILED``, each with :data:`END_REASON_TAG`. The CLI's
    interruptions wait for the block's writes to finish (:func:`forecast.interrupts.deferred`):
    one cut into a store transaction would leave the store locked and the run unclosable.
    """
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags(
            {
                PID_TAG: str(os.getpid()),
                HOST_TAG: socket.gethostname(),
                STARTED_TAG: repr(process_started()),
            }
        )
        try:
            with deferred():
                yield run
        except KeyboardInterrupt as error:
            _end_run("KILLED", f"interrupted by {error or 'SIGINT (Ctrl-C)'}")
            raise
        except Exception as error:
            _end_run("FAILED", f"{type(error).__name__}: {error}"[:500])
            raise


def _end_run(status: str, reason: str) -> None:
    try:
        mlflow.set_tag(END_REASON_TAG, reason)
    finally:
        mlflow.end_run(status)


def sweep_abandoned_runs() -> list[str]:
    """Mark ``KILLED`` the runs left ``RUNNING`` by processes of this machine that are gone.

    A run whose owner still runs, runs on another machine, or does not say who owns it (a
    run made by other tools) is left alone. Each run swept gets :data:`END_REASON_TAG`.

    Returns
    -------
    list of str
        The ids of the runs swept.
    """
    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    if not experiments:
        return []
    host, swept = socket.gethostname(), []
    running = client.search_runs(
        experiments, "attributes.status = 'RUNNING'", run_view_type=ViewType.ALL
    )
    for run in running:
        tags = run.data.tags
        if tags.get(HOST_TAG) != host or not tags.get(PID_TAG, "").isdigit():
            continue
        pid, started = int(tags[PID_TAG]), float(tags.get(STARTED_TAG) or 0) or None
        if process_alive(pid, started):
            continue
        now = datetime.now(UTC).isoformat(timespec="seconds")
        client.set_tag(
            run.info.run_id,
            END_REASON_TAG,
            f"process {pid} on {host} ended without closing the run (killed, e.g. kill -9, "
            f"or the machine stopped); marked KILLED at {now} by process {os.getpid()}",
        )
        client.set_terminated(run.info.run_id, "KILLED")
        swept.append(run.info.run_id)
    if swept:
        _log.warning("marked %d run(s) of ended processes KILLED: %s", len(swept), swept)
    return swept


class StoreLocationError(ValueError):
    """The MLflow store keeps artifacts outside its own folder: it was copied or moved."""


def _local_path(location: str) -> Path | None:
    """The folder of a local artifact location (``file://`` URI or path); None if remote."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and location:
        return Path(location)
    return None


def _foreign_locations(database: Path) -> dict[str, Path]:
    """Experiments (by name) whose artifacts are local but not under the store's folder.

    MLflow's own ``Default`` experiment is left out: its location is wherever the first
    process that opened the store was working, and zengshou never logs into it.
    """
    own = database.parent.resolve()
    read_only = f"{database.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(read_only, uri=True)) as connection:
        rows = connection.execute(
            "SELECT name, artifact_location FROM experiments WHERE experiment_id != 0"
        ).fetchall()
    foreign = {}
    for name, location in rows:
        path = _local_path(location or "")
        if path is not None and not path.resolve().is_relative_to(own):
            foreign[name] = path
    return foreign


def _sqlite_database(uri: str) -> Path | None:
    if not uri.startswith("sqlite:///"):
        return None
    database = Path(uri.removeprefix("sqlite:///"))
    return database if database.is_file() else None


def check_store_location(uri: str | None = None) -> None:
    """Refuse a SQLite store whose experiments keep their artifacts in another folder.

    Raises
    ------
    StoreLocationError
        Naming the store, the folder it writes into and what to do.
    """
    database = _sqlite_database(uri or tracking_uri())
    if database is None:
        return  # a new store, or a server's: nothing written here yet
    try:
        foreign = _foreign_locations(database)
    except sqlite3.Error:
        return  # no experiments table yet: MLflow creates it
    if foreign:
        name, path = next(iter(foreign.items()))
        raise StoreLocationError(
            f"{database}: this MLflow store keeps artifacts in {path} (experiment {name!r}), "
            f"outside its own folder {database.parent}: it was copied or moved from another "
            "project, and its runs would write into that project. Run 'zengshou store "
            f"relocate' to point it at {database.parent / 'artifacts'}, or set "
            "MLFLOW_TRACKING_URI to the store it came from."
        )


# Columns where MLflow's SQL store keeps absolute artifact locations (MLflow 3).
_LOCATION_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "source"),
    ("model_versions", "storage_location"),
)


def relocate_store(uri: str | None = None) -> dict[str, object]:
    """Point a copied or moved SQLite store at the ``artifacts/`` folder beside it.

    Every artifact location under another store's ``artifacts/`` folder (what
    :func:`check_store_location` refuses) is rewritten to the same place under this store's
    ``artifacts/``, in one transaction.

    Returns
    -------
    dict
        ``store`` (the database), ``moved_from`` (the folders replaced), ``rows`` (locations
        rewritten) and ``missing`` (runs whose artifact folder is not in the new place, e.g.
        the database was copied without its artifacts).

    Raises
    ------
    StoreLocationError
        The store is not a SQLite file, or keeps artifacts somewhere not of that shape.
    """
    uri = uri or tracking_uri()
    database = _sqlite_database(uri)
    if database is None:
        raise StoreLocationError(f"{uri}: relocate works on an existing SQLite store only")
    target = (database.parent / "artifacts").resolve()
    foreign = _foreign_locations(database)
    sources = sorted({p.resolve() for p in foreign.values()})
    odd = [p for p in sources if p.name != "artifacts"]
    if odd:
        raise StoreLocationError(
            f"{database}: artifacts in {odd[0]}, not an 'artifacts' folder beside a store: "
            "relocate it by hand"
        )
    rows = 0
    with closing(sqlite3.connect(database)) as connection, connection:  # one transaction
        for source in sources:
            for old in (source.as_uri(), str(source)):
                new = target.as_uri() if old.startswith("file:") else str(target)
                for table, column in _LOCATION_COLUMNS:  # the folder itself, or inside it
                    rows += connection.execute(
                        f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                        f"WHERE {column} = ? OR substr({column}, 1, ?) = ?",
                        (new, len(old) + 1, old, len(old) + 1, old + "/"),
                    ).rowcount
        runs = connection.execute("SELECT artifact_uri FROM runs").fetchall()
    missing = sum(
        1 for (location,) in runs if (p := _local_path(location or "")) and not p.exists()
    )
    _opened.discard(uri)
    return {"store": database, "moved_from": sources, "rows": rows, "missing": missing}


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
    manifest_dir: str | Path | None = None,
) -> str:
    """Record one simulation run so that every reported figure can be traced back.

    Logs each scenario file (as an artifact under ``scenario/``, with its SHA-256 as a param),
    the parameters, the replication seeds (``seeds.json``), the data fingerprint and code
    version (params and tags), the metrics, and the given artifact files (plots,
    ``summary.json``). With ``manifest_dir``, writes there the folder's ``manifest.json``
    (:func:`forecast.outputs.write_manifest`: the run id, scenario hashes, seed, code version
    and every file's hash) and logs it too.

    Returns
    -------
    str
        The MLflow run id.
    """
    experiment_id = experiment(experiment_name)
    fingerprints = {Path(f).name: file_fingerprint(f) for f in scenario_files}
    with tracked_run(experiment_id, run_name) as run:
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
        if manifest_dir is not None:
            manifest = write_manifest(
                manifest_dir,
                run_id=run.info.run_id,
                experiment=experiment_name,
                tracking_uri=tracking_uri(),
                scenario_sha256=fingerprints,
                seed=params.get("seed"),
                replications=len(seeds),
                data_fingerprint=data_fingerprint,
                code_version=code_version(),
            )
            mlflow.log_artifact(str(manifest))
        return run.info.run_id


def list_runs(experiment_names: list[str], max_results: int = 200) -> pd.DataFrame:
    """The runs of the named experiments, newest first (``mlflow.search_runs``' frame, with an
    ``experiment`` column); empty when none of them exists yet."""
    configure(sweep=False)
    found = [mlflow.get_experiment_by_name(name) for name in experiment_names]
    names = {e.experiment_id: e.name for e in found if e is not None}
    if not names:
        return pd.DataFrame()
    runs = mlflow.search_runs(
        experiment_ids=list(names),
        max_results=max_results,
        order_by=["attributes.start_time DESC"],
    )
    return runs.assign(experiment=runs["experiment_id"].map(names)) if len(runs) else runs


def add_run_files(run_id: str, contents: dict[Path, object]) -> list[Path]:
    """Write files that name the run (written after it exists) and add them to it.

    ``contents`` maps each path to its text, or to an object written as indented JSON; all
    are UTF-8. Returns the paths, in order.
    """
    for path, content in contents.items():
        text = (
            content
            if isinstance(content, str)
            else json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        )
        path.write_text(text, encoding="utf-8")
    configure()
    client = MlflowClient()
    for path in contents:
        client.log_artifact(run_id, str(path))
    return list(contents)


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
            python_model=forecaster_pyfunc.MODEL_CODE,
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
    with tracked_run(experiment_id, run_name) as run:
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
    with tracked_run(experiment_id, run_name) as run:
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
    with tracked_run(experiment_id, run_name) as run:
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
# A version is complete when it has these tags, these files, and last of all the tag
# ``validated``, set by registration once it has checked the rest: a registration killed
# half-way leaves a version without it, which neither ``promote`` nor the service accepts.
RISK_VALIDATED_TAG = "validated"
RISK_REQUIRED_TAGS = (
    "trained_at",
    "line_version",
    "policy_version",
    "label",
    "kind",
    "train_until",
    "evaluate_year",
    "code_version",
)
RISK_MODEL_FILES = ("MLmodel", "logged_model.py", "artifacts/risk_model.joblib")


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
    with tracked_run(experiment_id, f"risk-{model.kind}") as run:
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
                python_model=risk_pyfunc.MODEL_CODE,
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
    if problems := _incomplete(client, name, version):
        raise RuntimeError(f"model {name!r} version {version} is incomplete: {'; '.join(problems)}")
    validated_at = datetime.now(UTC).isoformat(timespec="seconds")
    client.set_model_version_tag(name, version, RISK_VALIDATED_TAG, validated_at)
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
    if problems := risk_version_problems(version, name=name):
        raise ValueError(
            f"model {name!r} version {version} cannot be promoted: {'; '.join(problems)}"
        )
    client.set_registered_model_alias(name, alias, str(version))


def risk_version_problems(version: str | int, name: str = RISK_MODEL_NAME) -> list[str]:
    """Return what keeps a registered risk-model version from serving (empty: nothing).

    A version serves when it has every tag of ``RISK_REQUIRED_TAGS``, its model files
    (``RISK_MODEL_FILES``) are where the registry says, and it carries ``validated`` (set
    last by :func:`register_risk_model`). Checked by ``risk promote`` and by the service
    before it loads a version.

    Raises
    ------
    mlflow.exceptions.MlflowException
        If the version does not exist.
    """
    configure()
    client = MlflowClient()
    problems = _incomplete(client, name, version)
    validated = client.get_model_version(name, str(version)).tags.get(RISK_VALIDATED_TAG)
    if not problems and not validated:
        problems.append("its registration did not finish (no 'validated' tag)")
    return problems


def _incomplete(client: MlflowClient, name: str, version: str | int) -> list[str]:
    """The required tags and model files a version lacks, in words."""
    found = client.get_model_version(name, str(version))
    problems = []
    if missing := [tag for tag in RISK_REQUIRED_TAGS if not found.tags.get(tag)]:
        problems.append(f"tags missing: {', '.join(missing)}")
    if absent := _absent_model_files(client.get_model_version_download_uri(name, str(version))):
        problems.append(f"model files missing: {', '.join(absent)}")
    return problems


def _absent_model_files(uri: str) -> list[str]:
    """The files of ``RISK_MODEL_FILES`` missing under the model's artifact ``uri``."""
    present = set()
    for folder in {str(PurePosixPath(f).parent) for f in RISK_MODEL_FILES}:
        location = uri.rstrip("/") + ("" if folder == "." else f"/{folder}")
        try:
            listed = mlflow.artifacts.list_artifacts(artifact_uri=location)
        except (mlflow.exceptions.MlflowException, OSError):
            listed = []
        present |= {
            str(PurePosixPath(folder) / PurePosixPath(entry.path).name)
            for entry in listed
            if not entry.is_dir
        }
    return [f for f in RISK_MODEL_FILES if f not in present]


def reopen_store() -> None:
    """Forget MLflow's open database connections and cached stores.

    MLflow keeps one engine (with its pooled connections) per database URI for the life of
    the process, so a long-running process keeps reading a store file that was moved or
    replaced since (a restored backup) through the connections it opened first. After this,
    the next call opens the store at its path again.
    """
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore
    from mlflow.tracking._model_registry.registry import ModelRegistryStoreRegistry
    from mlflow.tracking._tracking_service.registry import TrackingStoreRegistry

    for store in (TrackingStore, RegistryStore):
        with store._engine_map_lock:
            engines = list(store._engine_map.values())
            store._engine_map.clear()
        for engine in engines:
            engine.dispose()
    TrackingStoreRegistry._get_store_with_resolved_uri.cache_clear()
    ModelRegistryStoreRegistry._get_store_with_resolved_uri.cache_clear()


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
        ``kind``, ``train_until``, ``evaluate_year``, ``code_version``, ``validated`` (when
        registration finished, None if it did not), ``metrics`` (dict of
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
        "validated": tags.get(RISK_VALIDATED_TAG),
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
        "tags": tags,
        "input_columns": risk_pyfunc.risk_input_columns(),
    }

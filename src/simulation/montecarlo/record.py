"""A target test's run record: ``summary.json``, ``experiments.parquet`` and the plots written,
the run logged to MLflow.

The one Monte Carlo module that talks to the tracking layer (:mod:`forecast.tracking`); what a
target test logs (its parameters, metrics, tags and files) is decided here, how MLflow stores
it there. Nothing in :mod:`simulation.montecarlo` imports this module back.

An output folder appears whole, with its ``manifest.json``, once the run is recorded, or not
at all (:func:`forecast.outputs.output_folder`): never half-written, never mixed with the
files of a previous run, never without its MLflow run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from forecast import tracking
from forecast.outputs import MANIFEST, output_folder
from simulation.montecarlo.plots import save_plots
from simulation.montecarlo.summary import validation_summary, write_experiments, write_summary
from simulation.montecarlo.target import TargetTestResult
from simulation.montecarlo.validation import Validation, series_scores

# What output folders held before they had a manifest: such a folder may be replaced.
TARGET_TEST_FILES = (
    "summary.json",
    *(f"{name}.png" for name in ("fan_chart", "composition", "attribution", "cost")),
)
VALIDATION_FILES = ("validation.json",)


def run_metrics(result: TargetTestResult) -> dict[str, float]:
    """The figures of a target test recorded as MLflow metrics."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    metrics = {
        "p_target_met": result.p_target_met,
        "p_target_met_std_error": result.p_target_met_std_error,
        **{f"gap_{k}": float(v) for k, v in gap.items()},
        f"yunnan_{year}_mean": float(result.paths["yunnan"].loc[year, "mean"]),
        f"national_{year}_mean": float(result.paths["national"].loc[year, "mean"]),
        **{f"ratio_{y}_mean": float(v) for y, v in result.paths["ratio"]["mean"].items()},
        **{
            f"ratio_{year}_{k}": float(v)
            for k, v in result.paths["ratio"].loc[year].items()
            if k != "mean"
        },
        "shared_shock_correlation": result.shared_shock_correlation,
        "total_cost_yuan": result.total_cost,
        f"share_under_line_{year}": float(
            result.monitoring.loc[year, "share_people_under_line_mean"]
        ),
        "gain_per_yuan": result.gain_per_yuan,
        "crossing_never_share": float(result.crossing["never"]),
        "elapsed_seconds": result.elapsed_seconds,
    }
    for name, row in result.by_assumption.iterrows():
        metrics[f"p_target_met_{name}"] = float(row["p_target_met"])
        metrics[f"gap_mean_{name}"] = float(row["gap_mean"])
    if result.attribution is not None:
        metrics.update({f"shapley_{m}": float(v) for m, v in result.attribution["mean"].items()})
    return metrics


def record_target_test(
    result: TargetTestResult,
    out_dir: str | Path,
    data_fingerprint: str | None = None,
    experiment: str = "simulation-target-test",
    params: dict[str, object] | None = None,
) -> tuple[list[Path], str]:
    """Write ``summary.json``, ``experiments.parquet``, the plots and ``manifest.json`` into
    ``out_dir`` as a whole, and
    record the run in MLflow.

    Returns
    -------
    (list of Path, str)
        The files written and the MLflow run id.
    """
    out_dir = Path(out_dir)
    scenario_file = result.scenario_path or getattr(result.scenario, "path", None)
    with output_folder(out_dir, legacy=TARGET_TEST_FILES) as staging:
        files = [
            write_summary(result, staging),
            write_experiments(result, staging),
            *save_plots(result, staging),
        ]
        run_id = tracking.log_simulation_run(
            experiment_name=experiment,
            run_name=f"{result.name}-R{result.replications}-s{result.seed}",
            scenario_files=[scenario_file] if scenario_file else [],
            params={
                "scenario": result.name,
                "seed": result.seed,
                "households": result.households,
                "as_of": result.as_of,
                "target_year": result.target_year,
                "attribution_replications": result.attribution_replications,
                "ran_on": result.ran_on,
                **(params or {}),
            },
            seeds=result.seeds,
            data_fingerprint=data_fingerprint,
            metrics=run_metrics(result),
            artifacts=files,
            tags={"zengshou.kind": "target-test", "zengshou.scenario": result.name},
            manifest_dir=staging,
        )
    return [out_dir / f.name for f in (*files, staging / MANIFEST)], run_id


__all__ = ["record_target_test", "run_metrics"]


def validation_metrics(validation: Validation) -> dict[str, float]:
    """The figures of a validation recorded as MLflow metrics."""
    metrics = {}
    for row in validation.simulation.itertuples():
        key = f"{row.scenario}.{row.side}.{row.year}"
        metrics[f"{key}.error"] = row.error
        metrics[f"{key}.in_80"] = float(row.in_80)
    for horizon, row in series_scores(validation.series).iterrows():
        metrics[f"series.h{horizon}.mape"] = row["mape"]
        metrics[f"series.h{horizon}.coverage_80"] = row["coverage_80"]
        metrics[f"series.h{horizon}.coverage_95"] = row["coverage_95"]
    return metrics


def record_validation(
    validation: Validation,
    out_dir: str | Path,
    scenario_files: Sequence[str | Path],
    params: dict[str, object],
    data_fingerprint: str | None = None,
) -> tuple[Path, str]:
    """Write ``validation.json`` into ``out_dir`` and record the run in MLflow (experiment
    ``simulation-validation``).

    Returns
    -------
    (Path, str)
        The file written and the MLflow run id.
    """
    out_dir = Path(out_dir)
    with output_folder(out_dir, legacy=VALIDATION_FILES) as staging:
        path = staging / "validation.json"
        path.write_text(json.dumps(validation_summary(validation), indent=2), encoding="utf-8")
        run_id = tracking.log_simulation_run(
            experiment_name="simulation-validation",
            run_name=f"validate-{params.get('origin')}-R{validation.replications}"
            f"-s{validation.seed}",
            scenario_files=[str(p) for p in scenario_files],
            params={**params, "seed": validation.seed, "households": validation.households},
            seeds=[validation.seed],
            data_fingerprint=data_fingerprint,
            metrics=validation_metrics(validation),
            artifacts=[path],
            tags={"zengshou.kind": "validation"},
            manifest_dir=staging,
        )
    return out_dir / path.name, run_id

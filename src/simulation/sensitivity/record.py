"""Run records of a sensitivity run and of a discovery: files written, runs logged to MLflow.

What is logged is decided here, how MLflow stores it in :mod:`forecast.tracking`. The JSON
files name their MLflow run, so they are written once the run exists and added to it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast import tracking
from simulation.sensitivity.analysis import Sensitivity
from simulation.sensitivity.discovery import Discovery
from simulation.sensitivity.report import (
    boxes_dict,
    discovery_report,
    peeling_chart,
    sensitivity_chart,
    sensitivity_dict,
    sensitivity_report,
)

SENSITIVITY_EXPERIMENT = "simulation-sensitivity"
DISCOVERY_EXPERIMENT = "simulation-discovery"


def sensitivity_metrics(sensitivity: Sensitivity) -> dict[str, float]:
    """Each input's indices per outcome, as MLflow metrics (``<outcome>.<index>.<input>``)."""
    metrics = {"evaluations": float(sensitivity.evaluations)}
    metrics["elapsed_seconds"] = sensitivity.elapsed_seconds
    for outcome in sensitivity.outcomes:
        table = sensitivity.table(outcome)
        for column in ("mu_star", "ST", "S1"):
            for name, value in table[column].dropna().items():
                metrics[f"{outcome}.{column}.{name}"] = float(value)
    return metrics


def record_sensitivity(
    sensitivity: Sensitivity,
    out_dir: str | Path,
    data_fingerprint: str | None = None,
    params: dict[str, object] | None = None,
) -> tuple[list[Path], str]:
    """Write ``sensitivity.csv`` and ``sensitivity.png`` into ``out_dir``, record the run in
    MLflow (experiment ``simulation-sensitivity``), then write ``sensitivity.json`` and
    ``report.txt`` naming the run and add them to it.

    Returns
    -------
    (list of Path, str)
        The files written and the MLflow run id.
    """
    s = sensitivity
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = pd.concat({o: s.table(o) for o in s.outcomes}, names=["outcome"])
    files = [out / "sensitivity.csv", out / "sensitivity.png"]
    table.to_csv(files[0])
    sensitivity_chart(s).savefig(files[1], dpi=110, bbox_inches="tight")
    run_id = tracking.log_simulation_run(
        experiment_name=SENSITIVITY_EXPERIMENT,
        run_name=f"sensitivity-{s.scenario.name}-{s.method}-s{s.seed}",
        scenario_files=[s.scenario.path],
        params={
            "scenario": s.scenario.name,
            "method": s.method,
            "seed": s.seed,
            "households": s.households,
            "inputs": len(s.inputs),
            "trajectories": s.trajectories,
            "top": len(s.top),
            "sobol_samples": s.samples,
            "replications_per_sample": s.replications,
            "ran_on": s.ran_on,
            **(params or {}),
        },
        seeds=s.seeds,
        data_fingerprint=data_fingerprint,
        metrics=sensitivity_metrics(s),
        artifacts=files,
        tags={"zengshou.kind": "sensitivity", "zengshou.scenario": s.scenario.name},
    )
    late = tracking.add_run_files(
        run_id,
        {
            out / "sensitivity.json": sensitivity_dict(s, run_id),
            out / "report.txt": sensitivity_report(s, run_id) + "\n",
        },
    )
    return [*files, *late], run_id


def record_discovery(
    discovery: Discovery,
    out_dir: str | Path,
    scenario_file: str | Path,
    experiments: pd.DataFrame | None = None,
    seeds: list[int] | None = None,
    data_fingerprint: str | None = None,
    params: dict[str, object] | None = None,
) -> tuple[list[Path], str]:
    """Write ``peeling.png`` (and ``experiments.parquet`` when the discovery ran its own
    sample) into ``out_dir``, record the run in MLflow (experiment ``simulation-discovery``),
    then write ``boxes.json`` and ``report.txt`` naming the run and add them to it.

    Returns
    -------
    (list of Path, str)
        The files written and the MLflow run id.
    """
    d = discovery
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "peeling.png"]
    peeling_chart(d).savefig(files[0], dpi=110, bbox_inches="tight")
    if experiments is not None:
        files.append(out / "experiments.parquet")
        experiments.to_parquet(files[-1], index=False)
    metrics = {"futures": float(d.futures), "share_met": d.share_met, "boxes": float(len(d.boxes))}
    for k, box in enumerate(d.boxes, start=1):
        metrics |= {f"box{k}.coverage": box.coverage, f"box{k}.density": box.density}
        metrics[f"box{k}.mass"] = box.mass
    run_id = tracking.log_simulation_run(
        experiment_name=DISCOVERY_EXPERIMENT,
        run_name=f"discover-{d.scenario}-F{d.futures}",
        scenario_files=[scenario_file],
        params={
            "scenario": d.scenario,
            "seed": d.seed,
            "households": d.households,
            "min_density": d.min_density,
            "experiments": d.experiments_source,
            **(params or {}),
        },
        seeds=seeds or [],
        data_fingerprint=data_fingerprint,
        metrics=metrics,
        artifacts=files,
        tags={"zengshou.kind": "discovery", "zengshou.scenario": d.scenario},
    )
    late = tracking.add_run_files(
        run_id,
        {
            out / "boxes.json": boxes_dict(d, run_id),
            out / "report.txt": discovery_report(d, run_id) + "\n",
        },
    )
    return [*files, *late], run_id


__all__ = [
    "DISCOVERY_EXPERIMENT",
    "SENSITIVITY_EXPERIMENT",
    "record_discovery",
    "record_sensitivity",
    "sensitivity_metrics",
]

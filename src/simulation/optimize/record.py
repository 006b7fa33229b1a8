"""A search's run record: its files written and the run logged to MLflow.

Writes ``frontier.csv``, ``frontier.parquet``, ``trials.csv``, ``frontier.json``,
``frontier.png`` and ``report.txt``, records the run in MLflow (experiment
``simulation-optimize``), then writes the recommended mix as ``recommended.yaml`` (each chosen
value noted as chosen by that run) and adds it to the run. What is logged is decided here,
how MLflow stores it in :mod:`forecast.tracking`.
"""

from __future__ import annotations

from pathlib import Path

from forecast import tracking
from simulation.optimize.plots import frontier_chart
from simulation.optimize.report import (
    frontier_dict,
    frontier_table,
    mix_yaml,
    optimization_report,
)
from simulation.optimize.search import Optimization

EXPERIMENT = "simulation-optimize"
RECOMMENDED_FILE = "recommended.yaml"


def optimization_metrics(opt: Optimization) -> dict[str, float]:
    """The figures of a search recorded as MLflow metrics."""
    ref = opt.reference
    metrics = {
        "evaluated_mixes": float(opt.evaluated_mixes),
        "replications_run": float(opt.replications_run),
        "elapsed_seconds": opt.elapsed_seconds,
        "frontier_size": float(len(opt.frontier)),
        "reference_cost_yuan": float(ref["cost_yuan"]),
        "reference_p_target_met": float(ref["p_target_met"]),
        "reference_p_std_error": float(ref["p_std_error"]),
        "mix_found": float(opt.recommended is not None),
    }
    if opt.recommended is not None:
        row = opt.finalists.loc[opt.recommended]
        metrics |= {
            "recommended_cost_yuan": float(row["cost_yuan"]),
            "recommended_p_target_met": float(row["p_target_met"]),
            "recommended_p_std_error": float(row["p_std_error"]),
            "recommended_claimed_p_target_met": float(row["claimed_p_target_met"]),
            "recommended_share_under_line": float(row["share_under_line"]),
        }
    return metrics


def record_optimization(
    opt: Optimization,
    out_dir: str | Path,
    data_fingerprint: str | None = None,
    params: dict[str, object] | None = None,
) -> tuple[list[Path], str]:
    """Write the search's files into ``out_dir``, record the run in MLflow and write the
    recommended mix's scenario file (if a mix meets the constraints).

    Returns
    -------
    (list of Path, str)
        The files written and the MLflow run id.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = frontier_table(opt)
    files = [out / "frontier.csv", out / "frontier.parquet", out / "trials.csv"]
    table.to_csv(files[0])
    table.astype({c: str for c in table.columns if table[c].dtype == object}).to_parquet(files[1])
    opt.trials.to_csv(files[2])
    chart = out / "frontier.png"
    frontier_chart(opt).savefig(chart, dpi=110, bbox_inches="tight")
    files.append(chart)
    s, c = opt.settings, opt.constraints
    run_id = tracking.log_simulation_run(
        experiment_name=EXPERIMENT,
        run_name=f"optimize-{opt.scenario.name}-N{opt.evaluated_mixes}-s{opt.seed}",
        scenario_files=[opt.scenario.path],
        params={
            "scenario": opt.scenario.name,
            "seed": opt.seed,
            "households": opt.households,
            "as_of": opt.as_of,
            "min_probability": c.min_probability,
            "budget_yuan": c.budget,
            "max_under_line": c.max_under_line,
            **{f"search.{k}": getattr(s, k) for k in s.__dataclass_fields__},
            "decisions": len(opt.space.decisions),
            "storage": opt.storage,
            "ran_on": opt.ran_on,
            **(params or {}),
        },
        seeds=[*opt.search_seeds, *opt.fresh_seeds],
        data_fingerprint=data_fingerprint,
        metrics=optimization_metrics(opt),
        artifacts=files,
        tags={"zengshou.kind": "optimize", "zengshou.scenario": opt.scenario.name},
    )
    late = {
        out / "frontier.json": frontier_dict(opt, run_id),
        out / "report.txt": optimization_report(opt, run_id) + "\n",
    }
    recommended = out / RECOMMENDED_FILE
    recommended.unlink(missing_ok=True)  # a resumed search may no longer find one
    if opt.recommended is not None:
        late[recommended] = mix_yaml(opt, opt.recommended, recommended, run_id)
    return [*files, *tracking.add_run_files(run_id, late)], run_id


__all__ = ["EXPERIMENT", "RECOMMENDED_FILE", "optimization_metrics", "record_optimization"]

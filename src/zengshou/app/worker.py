"""The background worker: ``python -m zengshou.app.worker FOLDER`` runs the job in FOLDER.

``job.json`` says what: ``{"kind": "target", "scenario": path, "size": {...}}`` runs the
Monte Carlo target test and records it (``record/``: summary.json and plots, an MLflow run),
keeps the result for comparisons (``result.pickle``) and draws the plots in each language
(``plots/<lang>/``); ``{"kind": "optimize", ...}`` searches the cheapest mix
(:func:`simulation.optimize.optimize`) and records it (``record/``, the recommended mix).
Progress goes to ``progress.json``; ``run.json``, written last, says the job finished.
SIGTERM (the app's cancel) ends it as cancelled.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import traceback
from pathlib import Path
from typing import Any

from zengshou.app.jobs import CANCELLED, FAILED, FINISHED, RECORD, RESULT, RUNNING
from zengshou.app.jobs import _write_progress as write_progress
from zengshou.app.settings import AppSettings


def main(folder: Path) -> int:
    """Run the job in ``folder``; 0 when it finished, 1 when it failed or was cancelled."""
    from zengshou import errors

    spec = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    report = _Reporter(folder)
    try:
        with errors.signals_as_interrupts():
            finished = (run_target if spec["kind"] == "target" else run_optimize)(spec, report)
    except KeyboardInterrupt:
        report(state=CANCELLED)
        return 1
    except Exception as error:  # the page shows it; the traceback goes to worker.log
        traceback.print_exc()
        report(state=FAILED, error=f"{type(error).__name__}: {error}")
        return 1
    partial = folder / f".{FINISHED}.partial"
    partial.write_text(json.dumps(finished, indent=2, default=str), encoding="utf-8")
    partial.replace(folder / FINISHED)
    return 0


class _Reporter:
    """Writes ``progress.json``: the last state, steps done and total, stage."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.status: dict[str, Any] = {"state": RUNNING, "done": 0, "total": 0, "pid": os.getpid()}

    def __call__(self, **status: Any) -> None:
        self.status.update(status)
        write_progress(self.folder, **self.status)

    def steps(self, done: int, total: int) -> None:
        """The replications' callback (``ReplicationRunner(on_progress=...)``)."""
        self(done=done, total=total)


def _population(size: dict[str, Any]):
    from zengshou.commands.simulate import load_population

    return load_population(size["households"], None, size["panel_seed"], size["as_of"])


def run_target(spec: dict[str, Any], report: _Reporter) -> dict[str, Any]:
    """Run, record and keep the target test of ``spec["scenario"]``."""
    from forecast.i18n import LANGUAGES, current_language, use_language
    from forecast.provenance import code_version, population_fingerprint
    from simulation import load_scenario
    from simulation.montecarlo import TargetTest
    from simulation.montecarlo.plots import save_plots
    from simulation.montecarlo.record import record_target_test
    from simulation.montecarlo.replications import ReplicationRunner
    from zengshou.app.jobs import scenario_hash

    folder, size = report.folder, spec["size"]
    scenario = load_scenario(spec["scenario"])
    report(stage="population")
    population = _population(size)
    test = TargetTest(
        scenario,
        replications=size["replications"],
        seed=size["seed"],
        attribution_replications=size["attribution_replications"],
        scenario_path=spec["scenario"],
    )
    report(stage="replications")
    workers = AppSettings.from_environment().workers
    with ReplicationRunner(population, workers, on_progress=report.steps) as runner:
        result = test.run(population, runner=runner)
    report(stage="record")
    digest = scenario_hash(scenario)
    _, run_id = record_target_test(
        result,
        folder / RECORD,
        data_fingerprint=population_fingerprint(population),
        params={"scenario_hash": digest, "source": "app", "workers": workers},
    )
    # The record's plots are in the language in force; draw them again in the others.
    shown = current_language()
    for lang in LANGUAGES:
        target = folder / "plots" / lang
        if lang == shown:
            target.mkdir(parents=True, exist_ok=True)
            for png in (folder / RECORD).glob("*.png"):
                shutil.copy2(png, target / png.name)
            continue
        with use_language(lang):
            save_plots(result, target)
    with (folder / f".{RESULT}.partial").open("wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    (folder / f".{RESULT}.partial").replace(folder / RESULT)
    return {
        "kind": "target",
        "scenario": scenario.name,
        "scenario_file": spec["scenario"],
        "scenario_hash": digest,
        "run_id": run_id,
        "code_version": code_version(),
        **size,
    }


def run_optimize(spec: dict[str, Any], report: _Reporter) -> dict[str, Any]:
    """Search the cheapest mix around ``spec["scenario"]`` and record it."""
    from forecast.provenance import code_version, population_fingerprint
    from simulation import load_scenario
    from simulation.optimize import Constraints, Settings, optimize
    from simulation.optimize.record import RECOMMENDED_FILE, record_optimization
    from zengshou.app.jobs import scenario_hash

    folder, size = report.folder, spec["size"]
    scenario = load_scenario(spec["scenario"])
    report(stage="population")
    population = _population(size)
    settings = Settings(**spec["settings"])
    constraints = Constraints(**spec["constraints"])
    report(stage="search")  # the page counts the mixes screened from the study itself
    workers = AppSettings.from_environment().workers
    opt = optimize(
        scenario,
        population,
        folder / "study.sqlite3",
        constraints=constraints,
        settings=settings,
        seed=size["seed"],
        workers=workers,
    )
    report(stage="record")
    digest = scenario_hash(scenario)
    _, run_id = record_optimization(
        opt,
        folder / RECORD,
        data_fingerprint=population_fingerprint(population),
        params={"scenario_hash": digest, "source": "app"},
    )
    recommended = folder / RECORD / RECOMMENDED_FILE
    return {
        "kind": "optimize",
        "scenario": scenario.name,
        "scenario_file": spec["scenario"],
        "scenario_hash": digest,
        "run_id": run_id,
        "recommended": str(recommended) if recommended.exists() else None,
        "code_version": code_version(),
        **size,
    }


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

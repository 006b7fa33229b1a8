"""The cheapest-mix search as the app runs it: a background :func:`simulation.optimize.optimize`
sized by the app's settings, its growing frontier read from the search's own storage, and its
recommended mix saved among the app's mixes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from zengshou.app import jobs
from zengshou.app.mixes import save_mix
from zengshou.app.settings import AppSettings

STUDY = "study.sqlite3"


def search_settings(settings: AppSettings) -> dict[str, Any]:
    """The search's effort from the app's run size: ``trials`` mixes screened on a few
    replications, finalists re-run on the app's ``replications`` fresh ones."""
    return {
        "trials": settings.trials,
        "batch": min(8, settings.trials),
        "screen_replications": max(2, min(8, settings.replications // 8)),
        "rungs": 1,
        "final_replications": settings.replications,
        "finalists": 4,
        "refine_rounds": 1,
        "refine_points": 2,
    }


def search_job(
    mix: Path, min_probability: float, budget: float | None, settings: AppSettings
) -> jobs.Job:
    """The folder of this search (same mix, constraints and size: the same folder)."""
    spec = _spec(mix, min_probability, budget, settings)
    key = hashlib.sha256(
        json.dumps({**spec, "code": jobs.simulation_fingerprint()}, sort_keys=True).encode()
    ).hexdigest()[:16]
    return jobs.Job(settings.folder("searches") / f"{Path(mix).stem}-{key}")


def start_search(
    mix: Path, min_probability: float, budget: float | None, settings: AppSettings
) -> jobs.Job:
    """Start the search in the background (unless it runs or finished already)."""
    job = search_job(mix, min_probability, budget, settings)
    return jobs.start(job.folder, _spec(mix, min_probability, budget, settings), settings)


def _spec(mix: Path, min_probability: float, budget: float | None, settings: AppSettings) -> dict:
    return {
        "kind": "optimize",
        "scenario": str(Path(mix).resolve()),
        "size": asdict(jobs.RunSize.of(settings)),
        "settings": search_settings(settings),
        "constraints": {"min_probability": float(min_probability), "budget": budget},
    }


def trials_so_far(job: jobs.Job) -> pd.DataFrame:
    """The mixes screened so far: cost (yuan) and mean gap (yuan per person, the search's
    stand-in for P), from the search's Optuna storage (empty before the first)."""
    path = job.folder / STUDY
    if not path.exists():
        return pd.DataFrame(columns=["cost_yuan", "gap_mean"])
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name="optimize", storage=f"sqlite:///{path}")
    except (KeyError, ValueError):  # the study is being created
        return pd.DataFrame(columns=["cost_yuan", "gap_mean"])
    done = [
        t
        for t in study.get_trials(deepcopy=False)
        if t.state == optuna.trial.TrialState.COMPLETE and t.values
    ]
    return pd.DataFrame(
        {"cost_yuan": [t.values[0] for t in done], "gap_mean": [t.values[1] for t in done]},
        index=pd.Index([t.number for t in done], name="trial"),
    )


def frontier(job: jobs.Job) -> pd.DataFrame:
    """The finished search's frontier (``record/frontier.csv``)."""
    return pd.read_csv(job.folder / jobs.RECORD / "frontier.csv")


def keep_recommended(job: jobs.Job, folder: Path) -> Path | None:
    """Save the recommended mix among the app's mixes (its base made absolute, so it loads
    from there); None when no mix met the constraints."""
    finished = job.finished or {}
    written = finished.get("recommended")
    if not written:
        return None
    content = yaml.safe_load(Path(written).read_text(encoding="utf-8"))
    content["base"] = str((Path(written).parent / content["base"]).resolve())
    content["name"] = f"{content['name']}_{job.key[-6:]}"
    path, _ = save_mix(content, folder)
    return path


__all__ = [
    "frontier",
    "keep_recommended",
    "search_job",
    "search_settings",
    "start_search",
    "trials_so_far",
]

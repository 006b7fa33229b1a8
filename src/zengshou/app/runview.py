"""A mix's run as a page shows it: finished (cached), running (progress, cancel), failed or
not yet started (a button to start it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import solara

from zengshou.app import jobs, outputs
from zengshou.app.state import settings, t
from zengshou.app.widgets import JobProgress


@solara.component
def MixRun(mix: Path, show: Callable[[jobs.Job], None]):
    """Show ``mix``'s finished run with ``show(job)``, or its progress, or a start button."""
    job = solara.use_memo(lambda: outputs.run_job(mix, settings()), [str(mix)])
    status, set_status = solara.use_state(job.status(), key=str(mix))
    state = status["state"]

    def begin() -> None:
        outputs.start_run(mix, settings())
        set_status(job.status())

    if state == jobs.DONE:
        show(job)
        return
    if state == jobs.RUNNING:
        JobProgress(job, on_end=set_status)
        return
    size = settings()
    if state == jobs.FAILED:
        solara.Error(t("app.run.failed", error=status.get("error", "")))
    elif state == jobs.CANCELLED:
        solara.Warning(t("app.run.cancelled"))
    else:
        solara.Info(t("app.run.none"))
    solara.Button(
        t(
            "app.run.start",
            replications=size.replications,
            households=f"{size.households:,}",
            seed=size.seed,
        ),
        on_click=begin,
        color="primary",
        classes=["zs-run"],
    )


__all__ = ["MixRun"]

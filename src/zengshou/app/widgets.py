"""Pieces several pages use: a background job's progress bar with its cancel button, a mix
picker, figures in numbers a planner reads."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path

import solara

from zengshou.app import jobs
from zengshou.app.state import t

POLL_SECONDS = 0.5


@solara.component
def JobProgress(job: jobs.Job, on_end: Callable[[dict], None]):
    """A running job's progress bar, stage and cancel button; ``on_end(status)`` once it
    stops (done, failed or cancelled)."""
    status, set_status = solara.use_state(job.status())

    def poll(cancel: threading.Event) -> None:
        while not cancel.is_set():
            now = job.status()
            set_status(now)
            if now["state"] != jobs.RUNNING:
                on_end(now)
                return
            cancel.wait(POLL_SECONDS)

    solara.use_thread(poll, dependencies=[str(job.folder)])
    done, total = status.get("done", 0), status.get("total", 0)
    stage = status.get("stage") or "starting"
    with solara.Column(classes=["zs-progress"]):
        solara.ProgressLinear(100 * done / total if total else True)
        solara.Text(t(f"app.stage.{stage}", done=done, total=total))
        solara.Button(t("app.cancel"), on_click=job.cancel, color="warning", outlined=True)


def MixSelect(label: str, mixes: dict[str, Path], value: str, on_value: Callable[[str], None]):
    """A drop-down of the mixes by name."""
    return solara.Select(label=label, values=list(mixes), value=value, on_value=on_value)


def percent(share: float, digits: int = 0) -> str:
    """``0.523`` -> ``52 %`` (a dash for a missing figure)."""
    return "–" if share is None or not math.isfinite(share) else f"{100 * share:.{digits}f} %"


def yuan(amount: float) -> str:
    """An amount in yuan, in 亿 (1e8) for Chinese readers and billions for English ones."""
    from zengshou.app.state import language

    if amount is None or not math.isfinite(amount):
        return "–"
    if language.value == "zh":
        return f"{amount / 1e8:,.1f} 亿元"
    return f"{amount / 1e9:,.2f} bn yuan"


def number(value: float, digits: int = 0) -> str:
    """A plain number with thousands separators (a dash when missing)."""
    return "–" if value is None or not math.isfinite(value) else f"{value:,.{digits}f}"


__all__ = ["JobProgress", "MixSelect", "number", "percent", "yuan"]

"""Households: upload a monitoring-system export, see every problem, score it with the
registered risk model, download the scores with their reasons. Nothing leaves this machine."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import solara

from zengshou.app import scoring
from zengshou.app.state import language, settings, t
from zengshou.app.widgets import percent

SHOWN_PROBLEMS = 200


@solara.component_vue(str(Path(__file__).with_name("upload.vue")))
def Upload(limit_bytes: int, message: str = "", event_upload: Callable[[dict], None] | None = None):
    """A file input that sends the chosen file (base64) to ``event_upload``."""


@solara.component
def Page():
    limit = settings().upload_limit_mb
    outcome, set_outcome = solara.use_state(None)

    def received(upload: dict) -> None:
        set_outcome(_process(upload, limit))

    solara.Markdown(f"## {t('app.households.title')}")
    solara.Markdown(t("app.households.intro", limit=f"{limit:g}"))
    Upload(limit_bytes=int(limit * 1e6), event_upload=received)
    if outcome is None:
        return
    kind, content = outcome
    if kind == "refused":
        solara.Error(content)
    elif kind == "problems":
        Problems(*content)
    elif kind == "unscored":
        solara.Error(t("app.households.no_model", error=content))
    else:
        Scores(*content)


def _process(upload: dict, limit_mb: float) -> tuple[str, object]:
    """Check, validate and score an upload; returns what the page shows."""
    name, size = str(upload.get("name", "")), int(upload.get("size", 0))
    try:
        suffix = scoring.check_upload(name, size, limit_mb)
        if upload.get("data") is None:
            raise scoring.UploadRefused(f"{name}: no content received")
        data = base64.b64decode(upload["data"], validate=True)
        scoring.check_upload(name, len(data), limit_mb)  # the size the browser claimed is checked
    except (scoring.UploadRefused, ValueError) as error:
        return "refused", t("app.households.refused", reason=str(error))
    with scoring.stored(data, suffix, settings().folder("uploads")) as path:
        panel, problems = scoring.check_panel(path, name)
    if problems:
        return "problems", (name, problems)
    try:
        scores = scoring.score(panel, language.value)
    except Exception as error:  # no store, no registered model: said on the page
        return "unscored", f"{type(error).__name__}: {error}"
    return "scored", (name, scores)


@solara.component
def Problems(name: str, problems: list):
    solara.Error(t("app.households.problems", name=name, n=len(problems)))
    header = [
        t("app.households.row"),
        t("app.households.column"),
        t("app.households.value"),
        t("app.households.reason"),
    ]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    for p in problems[:SHOWN_PROBLEMS]:
        value = "" if p.value is None else str(p.value).replace("|", "/")
        lines.append(
            f"| {p.row or '–'} | {p.field or '–'} | {value} | {p.reason.replace('|', '/')} |"
        )
    solara.Markdown("\n".join(lines))
    if len(problems) > SHOWN_PROBLEMS:
        solara.Text(t("app.households.more", n=len(problems) - SHOWN_PROBLEMS))


@solara.component
def Scores(name: str, scores):
    flagged = int(scores["flag"].sum())
    solara.Success(
        t(
            "app.households.scored",
            name=name,
            n=len(scores),
            flagged=flagged,
            share=percent(flagged / max(len(scores), 1)),
        )
    )
    solara.FileDownload(
        scoring.scores_csv(scores),
        filename="household_scores.csv",
        label=t("app.households.download"),
        mime_type="text/csv",
    )
    top = scores.nlargest(20, "probability")
    header = [
        t("app.households.household"),
        t("app.households.probability"),
        t("app.households.band"),
        t("app.households.reasons"),
    ]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    for row in top.itertuples():
        lines.append(
            f"| {row.household_id} | {row.probability:.2f} | {row.band} | {'; '.join(row.reasons)} |"
        )
    solara.Markdown("\n".join(lines))

"""Edit a mix: every lever's settings within the catalogue's bounds, with its source or
assumption; save it as a scenario file (checked by the scenario loader) and run it."""

from __future__ import annotations

from pathlib import Path

import solara

from simulation import ScenarioError, load_scenario
from zengshou.app.mixes import (
    EFFECT_FACTOR,
    LeverEdit,
    available_mixes,
    lever_controls,
    mix_content,
    save_mix,
)
from zengshou.app.runview import MixRun
from zengshou.app.state import editing, measure_name, settings, t
from zengshou.app.widgets import MixSelect, number


@solara.component
def Page():
    folder = settings().folder("mixes")
    mixes = available_mixes(folder)
    opened = Path(editing.value).stem if editing.value else "action_plan"
    base, set_base = solara.use_state(opened if opened in mixes else next(iter(mixes)))
    solara.Markdown(f"## {t('app.edit.title')}")
    solara.Markdown(t("app.edit.intro"))
    MixSelect(t("app.edit.base"), mixes, base, set_base)
    Editor(mixes[base], folder).key(str(mixes[base]))  # a new base starts a fresh editor


@solara.component
def Editor(path: Path, folder: Path):
    base = path.stem
    scenario = solara.use_memo(lambda: load_scenario(path), [str(path)])
    controls = solara.use_memo(lambda: lever_controls(scenario, settings_as_of() + 1), [str(path)])
    edits, set_edits = solara.use_state(_initial(controls))
    name, set_name = solara.use_state(f"{base}_edited")
    saved, set_saved = solara.use_state(None)
    problem, set_problem = solara.use_state("")

    def edit(lever: str, **change) -> None:
        def changed(old: dict[str, LeverEdit]) -> dict[str, LeverEdit]:
            current = old[lever].__dict__
            if "scale" in change:  # one year's value: the other years keep theirs
                change["scale"] = {**current["scale"], **change["scale"]}
            return {**old, lever: LeverEdit(**{**current, **change})}

        set_edits(changed)

    def save() -> None:
        try:
            content = mix_content(name, path, scenario, edits)
            written, _ = save_mix(content, folder)
        except (ScenarioError, ValueError) as error:
            set_problem(str(error))
            return
        set_problem("")
        set_saved(str(written))

    for lever, control in controls.items():
        Lever(lever, control, edits[lever], edit)
    with solara.Row(classes=["zs-save"]):
        solara.InputText(t("app.edit.name"), value=name, on_value=set_name, continuous_update=True)
        solara.Button(
            t("app.edit.save"), on_click=save, color="primary", classes=["zs-save-button"]
        )
    if problem:
        solara.Error(t("app.edit.invalid", problem=problem))
    if saved:
        solara.Success(t("app.edit.saved", path=saved))
        MixRun(Path(saved), show=lambda job: _finished(job))


def settings_as_of() -> int:
    """The last observed year of the app's runs (the first edited year is the next)."""
    from zengshou.app.jobs import RunSize

    return RunSize.of(settings()).as_of


def _finished(job) -> None:
    from zengshou.app.pages.answer import Answer

    Answer(job)


def _initial(controls: dict) -> dict[str, LeverEdit]:
    return {
        lever: LeverEdit(
            active=c["active"], scale=dict(c["scale"]), priority=c["priority"], effect_factor=1.0
        )
        for lever, c in controls.items()
    }


@solara.component
def Lever(lever: str, control: dict, state: LeverEdit, edit):
    title = f"{measure_name(lever)} ({lever})"
    with solara.Details(title, expand=False):
        with solara.Column(classes=[f"zs-lever-{lever}"]):
            solara.Checkbox(
                label=t("app.edit.active"),
                value=state.active,
                on_value=lambda v: edit(lever, active=v),
            )
            bounds = control["bounds"]
            if bounds is None:
                values = ", ".join(f"{y}: {number(v)}" for y, v in control["scale"].items())
                solara.Text(t("app.edit.fixed_scale", values=values, unit=control["unit"]))
            else:
                for year in control["years"]:
                    Slider = solara.SliderInt if bounds["integer"] else solara.SliderFloat
                    low, high = bounds["low"], bounds["high"]
                    step = max((high - low) / 100, 1) if bounds["integer"] else (high - low) / 100
                    value = min(max(state.scale.get(year, low), low), high)
                    Slider(
                        label=f"{year} ({control['unit']})",
                        value=int(value) if bounds["integer"] else value,
                        min=int(low) if bounds["integer"] else low,
                        max=int(high) if bounds["integer"] else high,
                        step=int(step) if bounds["integer"] else step,
                        on_value=lambda v, y=year: edit(lever, scale={y: v}),
                    )
                solara.Text(
                    t(
                        "app.edit.bounds",
                        low=number(bounds["low"]),
                        high=number(bounds["high"]),
                        unit=control["unit"],
                    )
                )
                solara.Text(
                    f"{bounds['low_basis']} | {bounds['high_basis']}",
                    style={"font-size": "12px", "color": "#555"},
                )
            solara.Text(
                t("app.edit.basis", basis=control["basis"]),
                style={"font-size": "12px", "color": "#555"},
            )
            if len(control["options"]) > 1:
                solara.Select(
                    label=t("app.edit.priority"),
                    values=control["options"],
                    value=state.priority,
                    on_value=lambda v: edit(lever, priority=v),
                )
            if control["effects"]:
                with solara.Column(classes=[f"zs-effect-{lever}"]):
                    solara.SliderFloat(
                        label=t("app.edit.effect"),
                        value=state.effect_factor,
                        min=EFFECT_FACTOR[0],
                        max=EFFECT_FACTOR[1],
                        step=0.1,
                        on_value=lambda v: edit(lever, effect_factor=round(v, 2)),
                    )
                for source, effect in control["effects"].items():
                    solara.Text(
                        t(
                            "app.edit.effect_range",
                            source=t(f"source.{source}_income"),
                            central=number(effect["central"] * state.effect_factor),
                            low=number(effect["low"] * state.effect_factor),
                            high=number(effect["high"] * state.effect_factor),
                            unit=effect["unit"],
                        ),
                        style={"font-size": "12px", "color": "#555"},
                    )

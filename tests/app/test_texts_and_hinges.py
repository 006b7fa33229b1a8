"""Every text the app shows is in the catalogue in both languages; the hinges page reads the
sensitivity and discovery files it is given, and finds the newest when none is given."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from forecast.i18n import LANGUAGES, catalogue
from zengshou.app import outputs
from zengshou.app.pages.hinges import OUTCOMES
from zengshou.app.settings import AppSettings

APP = Path(outputs.__file__).parent
KEY = re.compile(r"""\bt\(\s*(f?)["'](app\.[^"']+)["']""")
LITERAL = re.compile(r"""["'](app\.[a-z_]+\.[a-z_.]+)["']""")  # keys named in tables
DYNAMIC = {  # the f-string keys, with every value they take
    "app.page.{name}": ["answer", "compare", "edit", "hinges", "cheapest", "households", "runs"],
    "app.stage.{stage}": ["starting", "population", "replications", "search", "record"],
    "app.hinges.outcome.{outcome}": list(OUTCOMES),
}


def used_keys() -> set[str]:
    keys = set()
    for path in APP.rglob("*.py"):
        code = path.read_text(encoding="utf-8")
        keys |= {k for k in LITERAL.findall(code) if "{" not in k}
        for is_f, key in KEY.findall(code):
            if is_f:
                field = key[key.index("{") :]
                keys |= {key.replace(field, value) for value in DYNAMIC[key]}
            else:
                keys.add(key)
    return keys


def test_every_app_text_is_in_the_catalogue_in_both_languages():
    texts = catalogue()
    used = used_keys()
    assert len(used) > 80
    missing = sorted(k for k in used if k not in texts)
    assert missing == []
    assert all(set(texts[k]) == set(LANGUAGES) for k in used)
    unused = sorted(k for k in texts if k.startswith("app.") and k not in used)
    assert unused == [], "texts nobody shows"


def test_the_hinges_are_read_and_ranked(tmp_path):
    sensitivity = {
        "scenario": "action_plan",
        "method": "sobol",
        "outcomes": {
            "p_target_met": [
                {"input": "a", "unit": "u", "basis": "b", "mu_star": None, "S1": 0.1, "ST": 0.2},
                {"input": "b", "unit": "u", "basis": "b", "mu_star": None, "S1": 0.5, "ST": 0.7},
            ]
        },
    }
    (tmp_path / "sensitivity.json").write_text(json.dumps(sensitivity))
    found = outputs.hinges(tmp_path)
    assert found["boxes.json"] is None
    table = outputs.sensitivity_table(found["sensitivity.json"], "p_target_met")
    assert list(table["input"]) == ["b", "a"]  # by total index, largest first
    assert outputs.sensitivity_table(found["sensitivity.json"], "gap_2024").empty


def test_the_newest_hinges_folder_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "generated_dir", lambda: tmp_path / "generated")
    settings = AppSettings(home=tmp_path)
    assert outputs.latest_hinges_folder(settings) is None
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        (folder / "boxes.json").write_text('{"boxes": []}')
    past = time.time() - 3600
    os.utime(old / "boxes.json", (past, past))
    assert outputs.latest_hinges_folder(settings) == new

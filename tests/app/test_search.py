"""The cheapest-mix search as the app runs it: sized by the app's settings, its recommended
mix saved among the app's mixes so that it loads from there."""

from __future__ import annotations

import json

import yaml

from forecast.paths import project_root
from zengshou.app import jobs, search
from zengshou.app.settings import AppSettings

PLAN = project_root() / "scenarios" / "action_plan.yaml"


def test_the_search_is_sized_by_the_apps_settings(tmp_path):
    settings = AppSettings(home=tmp_path, replications=40, trials=12)
    sized = search.search_settings(settings)
    assert sized["trials"] == 12 and sized["final_replications"] == 40
    assert 2 <= sized["screen_replications"] <= 8
    one = search.search_job(PLAN, 0.5, None, settings)
    assert one.folder == search.search_job(PLAN, 0.5, None, settings).folder
    assert one.folder != search.search_job(PLAN, 0.6, None, settings).folder
    assert one.folder != search.search_job(PLAN, 0.5, 3e10, settings).folder


def test_the_recommended_mix_is_kept_with_its_base_made_absolute(tmp_path):
    record = tmp_path / "search" / jobs.RECORD
    record.mkdir(parents=True)
    relative = str(PLAN.relative_to(record, walk_up=True))
    mix = {
        "name": "action_plan_cheapest",
        "description": "found by a search",
        "base": relative,
        "changes": {
            "measures": {
                "skills_training": {
                    "scale": {"values": {2023: 700000}, "assumption": "chosen by optimize run x"}
                }
            }
        },
    }
    (record / "recommended.yaml").write_text(yaml.safe_dump(mix), encoding="utf-8")
    job = jobs.Job(tmp_path / "search")
    (job.folder / jobs.FINISHED).write_text(
        json.dumps({"recommended": str(record / "recommended.yaml")})
    )
    kept = search.keep_recommended(job, tmp_path / "mixes")
    content = yaml.safe_load(kept.read_text(encoding="utf-8"))
    assert content["base"] == str(PLAN.resolve())
    assert kept.parent == tmp_path / "mixes" and kept.stem.startswith("action_plan_cheapest_")


def test_no_recommendation_keeps_nothing(tmp_path):
    job = jobs.Job(tmp_path)
    (tmp_path / jobs.FINISHED).write_text(json.dumps({"recommended": None}))
    assert search.keep_recommended(job, tmp_path / "mixes") is None

"""The README's service section says what the service does: its example request scores, its
example answer has the live answer's shape, and its codes, settings and limits are the real ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from api_fakes import AUTH, settings_for_tests, wait_ready
from fastapi.testclient import TestClient

from api.errors import CODES
from api.main import create_app
from api.model import ServedModel
from api.settings import Settings
from forecast.risk import train_risk_model
from forecast.risk.policy import risk_policy
from forecast.synthetic import synthesize_panel

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## The risk-score service")
    return text[start : text.index("\n## ", start + 1)]


@pytest.fixture(scope="module")
def real_client(tmp_path_factory):
    model, _ = train_risk_model(synthesize_panel(300, seed=3, as_of=2022), compare=False)
    served = ServedModel(
        name="household-risk",
        version="1",
        alias="champion",
        predict=model.score,
        line_version=model.line_.version,
    )
    settings = settings_for_tests(tmp_path_factory.mktemp("readme"))
    with TestClient(create_app(lambda s: served, settings), raise_server_exceptions=False) as c:
        wait_ready(c, timeout=30)
        yield c


def test_the_example_request_scores_and_the_answer_has_the_documented_shape(section, real_client):
    request = json.loads(re.search(r"-d '(\{.*?\})'\n```", section, re.S).group(1))
    documented = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    response = real_client.post("/v1/risk-scores", json=request, headers=AUTH)
    assert response.status_code == 200, response.text
    live = response.json()
    assert live.keys() == documented.keys()
    assert live["model"].keys() == documented["model"].keys()
    assert [s.keys() for s in live["scores"]] == [s.keys() for s in documented["scores"]]
    assert live["line_version"] == documented["line_version"]
    (score,) = documented["scores"]
    assert score["band"] == "high" and score["flag"] is True and score["probability"] >= 0.30


def test_band_and_flag_thresholds_are_the_policys(section):
    policy = risk_policy()
    medium, high = policy.band_edges
    assert f"`low` below\na probability of {medium:.2f}" in section
    assert f"`medium` from {medium:.2f} and `high` from {high:.2f}" in section
    assert f"true from {policy.flag_probability:.2f}" in section


def test_the_error_table_names_the_codes_the_service_answers(section):
    rows = re.findall(r"^\| (\d{3}) \| `(\w+)` \|", section, re.M)
    assert len(rows) >= 12
    for status, code in rows:
        assert CODES[int(status)] == code
    for kind in ("year_outside_model_range", "model_rejected_input", "year_gap", "duplicate_key"):
        assert f"`{kind}`" in section


def test_every_setting_is_documented_and_the_limits_table_gives_the_defaults(section):
    for name in Settings.model_fields:
        assert f"`{name.upper()}" in section, name
    table = section[section.index("### Security and operations limits") :]
    rows = re.findall(r"^\| [^|]+ \| `([A-Z_]+)`[^|]* \| ([^|]+) \|$", table, re.M)
    assert len(rows) >= 12
    for name, default in rows:
        expected = Settings.model_fields[name.lower()].default
        text = default.strip().replace(",", "")
        if text.endswith(" MiB"):
            assert expected == float(text.removesuffix(" MiB")) * 1024 * 1024, name
        elif text == "none":
            assert expected == "", name
        else:
            assert float(text.split()[0]) == expected, name

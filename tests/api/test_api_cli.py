"""``zengshou api-key`` and ``zengshou serve`` as a user types them."""

from __future__ import annotations

import json

import pandas as pd
from api_fakes import settings_for_tests
from click.testing import CliRunner

from api.model import FRAME_DTYPES, build_frame
from api.schemas import ROW_FIELDS, Household
from api.security import hash_key
from api.server import ConnectionLimits, uvicorn_options
from forecast.synthetic import synthesize_panel
from zengshou.cli import main


def test_api_key_create_prints_the_key_once_and_stores_only_its_hash(tmp_path):
    path = tmp_path / "keys.json"
    runner = CliRunner()
    env = {"ZENGSHOU_API_KEYS_FILE": str(path)}
    created = runner.invoke(
        main, ["api-key", "create", "--scope", "admin", "--label", "ops"], env=env
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("zs_") and len(key) > 40
    stored = json.loads(path.read_text())["keys"]
    assert stored[0]["sha256"] == hash_key(key) and stored[0]["scope"] == "admin"
    assert key not in path.read_text()

    second = runner.invoke(main, ["api-key", "create", "--scope", "score"], env=env)
    listed = runner.invoke(main, ["api-key", "list"], env=env)
    assert listed.exit_code == 0 and key not in listed.stdout
    assert len(listed.stdout.strip().splitlines()) == 2

    revoked = runner.invoke(main, ["api-key", "revoke", hash_key(key)[:8]], env=env)
    assert revoked.exit_code == 0, revoked.output
    remaining = json.loads(path.read_text())["keys"]
    assert [r["sha256"] for r in remaining] == [hash_key(second.stdout.strip())]
    unknown = runner.invoke(main, ["api-key", "revoke", "ffffffff"], env=env)
    assert unknown.exit_code != 0 and "0 keys match" in unknown.output


def test_api_key_create_refuses_an_unknown_scope(tmp_path):
    env = {"ZENGSHOU_API_KEYS_FILE": str(tmp_path / "keys.json")}
    result = CliRunner().invoke(main, ["api-key", "create", "--scope", "root"], env=env)
    assert result.exit_code == 2 and not (tmp_path / "keys.json").exists()


def test_serve_takes_host_and_port():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
    assert "--forwarded-allow-ips" in result.output


def test_uvicorn_gets_the_limits_from_the_settings(tmp_path):
    settings = settings_for_tests(
        tmp_path,
        max_header_bytes=4096,
        max_headers=20,
        read_timeout_seconds=3.0,
        keep_alive_seconds=2,
        max_connections=64,
        forwarded_allow_ips="10.0.0.1",
    )
    options = uvicorn_options(settings)
    assert options["http"].keywords["limits"] == ConnectionLimits(4096, 20, 3.0)
    assert options["timeout_keep_alive"] == 2 and options["limit_concurrency"] == 64
    assert options["proxy_headers"] and options["forwarded_allow_ips"] == "10.0.0.1"
    untrusting = uvicorn_options(settings, forwarded_allow_ips="")
    assert untrusting["proxy_headers"] is False and untrusting["forwarded_allow_ips"] is None


def test_model_input_has_the_dtypes_load_panel_gives():
    panel = synthesize_panel(12, seed=2, as_of=2022)
    rows = panel[panel["year"] >= 2020].reset_index(drop=True)
    households = [
        Household.model_validate(
            {
                "household_id": hid,
                "history": json.loads(group[list(ROW_FIELDS)].to_json(orient="records")),
            }
        )
        for hid, group in rows.groupby("household_id", sort=False)
    ]
    frame = build_frame([households])
    expected = rows[["household_id", *ROW_FIELDS]].assign(
        household_id=pd.array([str(i // 3) for i in range(len(rows))], dtype="str")
    )
    assert dict(frame.dtypes) == FRAME_DTYPES
    pd.testing.assert_frame_equal(frame, expected, check_exact=False, rtol=1e-12)

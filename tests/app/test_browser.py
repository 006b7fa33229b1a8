"""The app in a real browser: Playwright drives Debian's headless chromium against the app
started as a subprocess under uvicorn (issue 16, item 4).

One session walks through what a planner does: every page opens; a lever is edited, the mix
saved and run to completion (a tiny run: 300 households, 3 replications) and its fan chart
shown; a run is started and cancelled; the language switches and the pages read in Chinese and
English; the sample export is uploaded, scored with the registered model and the scores
downloaded; the export with mistakes shows each. Screenshots of every page in both languages go
to ``test-artifacts/app-screenshots/`` (ignored by git), printed at the end.
"""

from __future__ import annotations

import csv
import os
import threading
from pathlib import Path

import pytest

from forecast.paths import project_root
from zengshou.app.launch import start_app

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLES = project_root() / "data" / "examples"
SCREENSHOTS = project_root() / "test-artifacts" / "app-screenshots"
PAGES = ("answer", "compare", "edit", "hinges", "cheapest", "households", "runs")
TIMEOUT_MS = 20_000

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium: `make test` installs it as root (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app under uvicorn with tiny runs, and a registered risk model in its store."""
    work = tmp_path_factory.mktemp("app")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    env = os.environ | {
        "MLFLOW_TRACKING_URI": uri,
        "ZENGSHOU_APP_HOME": str(work / "home"),
        "ZENGSHOU_APP_HOUSEHOLDS": "300",
        "ZENGSHOU_APP_REPLICATIONS": "3",
        "ZENGSHOU_APP_ATTRIBUTION_REPLICATIONS": "0",
        "ZENGSHOU_APP_UPLOAD_LIMIT_MB": "1",
        "ZENGSHOU_PROGRESS": "0",
        "ZENGSHOU_LANG": "zh",
    }
    registered = threading.Thread(target=_register_model, args=(uri,))
    registered.start()  # while the server starts
    log = (work / "app.log").open("wb")
    server, port = start_app(env, output=log, seconds=60)
    try:
        yield {
            "url": f"http://127.0.0.1:{port}",
            "log": work / "app.log",
            "home": work / "home",
            "registered": registered,  # joined by the one test that scores
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _register_model(uri: str) -> None:
    os.environ["MLFLOW_TRACKING_URI"] = uri
    from forecast.synthetic import synthesize_panel
    from zengshou.workflows import train_and_register

    train_and_register(synthesize_panel(400, seed=5, as_of=2022), random_state=0)


@pytest.fixture(scope="module")
def page(app):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": 1200, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app["url"])
        page.wait_for_selector(".zs-nav")
        yield page
        browser.close()


def open_page(page, name: str) -> None:
    page.click(f".zs-page-{name}")
    page.wait_for_url(f"**/{'' if name == 'answer' else name}")
    page.locator(f".zs-on-{name}").wait_for()
    page.wait_for_load_state("networkidle")


def test_every_page_in_both_languages(page, app):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for lang, nav, heading in (
        ("zh", "结论", "2024年目标能否实现"),
        ("en", "Answer", "Is the 2024 target reachable"),
    ):
        page.click(f".zs-lang-{lang}")
        page.wait_for_selector(f".zs-page-answer:has-text('{nav}')")
        for name in PAGES:
            open_page(page, name)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
        open_page(page, "answer")
        page.get_by_text(heading).wait_for()
    page.click(".zs-lang-zh")
    page.wait_for_selector(".zs-page-answer:has-text('结论')")
    print(f"\nscreenshots of every page in both languages: {SCREENSHOTS}")


def test_edit_a_lever_save_and_run_to_completion(page, app):
    open_page(page, "edit")
    page.get_by_text("技能培训 (skills_training)").click()
    lever = page.locator(".zs-effect-skills_training [role=slider]")
    lever.focus()
    for _ in range(5):  # 1.0 -> 0.5: skills training works half as well
        page.keyboard.press("ArrowLeft")
    page.locator(".zs-save input").fill("skills_half")
    page.click(".zs-save-button")
    saved = page.get_by_text("已保存为")
    saved.wait_for()
    text = (app["home"] / "mixes" / "skills_half.yaml").read_text(encoding="utf-8")
    assert "central: 3000.0" in text  # the catalogue's 6,000 yuan, halved
    page.click(".zs-run")
    page.locator(".zs-progress").wait_for()  # the run shows its progress
    page.locator(".zs-answer").wait_for(timeout=150_000)
    chart = page.locator("img.zs-chart, .zs-chart img").first
    chart.wait_for()
    assert chart.evaluate("img => img.naturalWidth") > 300  # a drawn chart, not a broken image
    assert "实现目标的概率" in page.locator(".zs-answer").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "edit-run-finished-zh.png"), full_page=True)


def test_a_run_can_be_cancelled(page):
    open_page(page, "answer")
    page.click(".zs-run")
    page.locator(".zs-progress").wait_for()
    page.get_by_role("button", name="取消").click()
    page.get_by_text("运行已取消").wait_for(timeout=30_000)


def test_upload_validate_score_and_download(page, app, tmp_path):
    app["registered"].join()
    open_page(page, "households")
    page.set_input_files(
        ".zs-upload input[type=file]", EXAMPLES / "monitoring_export_zh_with_errors.csv"
    )
    page.get_by_text("个问题，未评分").wait_for(timeout=60_000)
    page.set_input_files(".zs-upload input[type=file]", EXAMPLES / "monitoring_export_zh.csv")
    page.get_by_text("已评分").wait_for(timeout=60_000)
    with page.expect_download() as download:
        page.get_by_text("下载评分及原因").click()
    path = tmp_path / "scores.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    ids = {
        row["户编号"]
        for row in csv.DictReader((EXAMPLES / "monitoring_export_zh.csv").open(encoding="utf-8"))
    }
    assert {row["household_id"] for row in rows} == ids
    assert all(0 <= float(row["probability"]) <= 1 and "reasons" in row for row in rows)
    page.screenshot(path=str(SCREENSHOTS / "households-scored-zh.png"), full_page=True)
    log = app["log"].read_text(encoding="utf-8", errors="replace")
    assert not any(household in log for household in ids), "a household id reached the app's log"

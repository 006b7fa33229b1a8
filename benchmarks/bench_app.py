"""The web app's speed: how long each page takes to load with cached results, and a full-size
run (100 replications of 20,000 households) watched to the end through the app's progress.

Page loads: the app runs under uvicorn on loopback with its runs kept in a temporary folder;
the action plan and the baseline are run first at the benchmark's size (cached), then Debian's
headless chromium (``/usr/bin/chromium``) opens each page ``--repeat`` times through the
navigation bar; a page counts as loaded when its content is shown and the browser has no
request left. The figure printed is the median and the slowest per page (the bar: 2 s).

    python benchmarks/bench_app.py                          # page loads (cached runs at 2,000 households)
    python benchmarks/bench_app.py --full-run               # also: 100 x 20,000, with progress
    python benchmarks/bench_app.py --full-run --workers 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("answer", "compare", "edit", "hinges", "cheapest", "households", "runs")
READY = {  # what shows that a page has its content (with cached results)
    "answer": ".zs-answer",
    "compare": ".zs-chart",
    "edit": ".zs-save-button",
    "hinges": ".v-alert, table",
    "cheapest": ".zs-run",
    "households": ".zs-upload",
    "runs": "table, .v-alert",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=2_000)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--full-run", action="store_true", help="Also run 100 x 20,000.")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="Keep runs and store here (reused next time).")
    args = parser.parse_args()
    os.environ.setdefault("ZENGSHOU_PROGRESS", "0")
    with tempfile.TemporaryDirectory(prefix="bench-app-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
        from zengshou.app.settings import AppSettings

        settings = AppSettings(
            home=work / "home",
            households=args.households,
            replications=args.replications,
            attribution_replications=min(args.replications, 5),
            workers=args.workers,
        )
        cache_runs(settings)
        page_loads(settings, args.repeat)
        if args.full_run:
            full_run(
                replace(settings, households=20_000, replications=100, attribution_replications=20)
            )


def cache_runs(settings) -> None:
    """Run the action plan and the baseline at the benchmark's size (the pages' cache)."""
    from zengshou.app import jobs, outputs
    from zengshou.app.mixes import available_mixes

    os.environ.update(settings.to_environment())
    mixes = available_mixes(settings.folder("mixes"))
    started = time.perf_counter()
    for name in ("baseline", "action_plan"):
        job = outputs.start_run(mixes[name], settings)
        status = jobs.wait(job, timeout=3600)
        if status["state"] != jobs.DONE:
            sys.exit(f"{name}: the run did not finish: {status}")
    print(
        f"cached runs: baseline and action_plan, {settings.replications} replications of "
        f"{settings.households:,} households, in {time.perf_counter() - started:.0f} s"
    )


def page_loads(settings, repeat: int) -> None:
    """Open every page ``repeat`` times in chromium and print the load times."""
    from playwright.sync_api import sync_playwright

    from zengshou.app.launch import start_app

    server, port = start_app(os.environ | settings.to_environment())
    try:
        times: dict[str, list[float]] = {name: [] for name in PAGES}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector(".zs-nav")
            for name in PAGES:  # a first visit of each page (imports, first reads) uncounted
                _open(page, name)
            for _ in range(repeat):
                for name in PAGES:
                    times[name].append(_open(page, name))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"page load with cached results, {repeat} loads each (median / slowest, seconds):")
    for name, seconds in times.items():
        print(f"  {name:<11} {statistics.median(seconds):5.2f} / {max(seconds):5.2f}")
    worst = max(max(s) for s in times.values())
    print(f"slowest page load: {worst:.2f} s ({'under' if worst < 2 else 'ABOVE'} the 2 s bar)")


def _open(page, name: str) -> float:
    started = time.perf_counter()
    page.click(f".zs-page-{name}")
    page.wait_for_url(f"**/{'' if name == 'answer' else name}")
    page.locator(f".zs-on-{name}").wait_for()
    page.locator(f".zs-on-{name}").locator(READY[name]).first.wait_for()
    page.wait_for_load_state("networkidle")
    return time.perf_counter() - started


def full_run(settings) -> None:
    """A full-size run of the action plan through the app's background job, its progress
    printed as the page shows it."""
    from zengshou.app import jobs, outputs
    from zengshou.app.mixes import available_mixes

    os.environ.update(settings.to_environment())
    mix = available_mixes(settings.folder("mixes"))["action_plan"]
    started = time.perf_counter()
    job = outputs.start_run(mix, settings)
    shown = None
    while (status := job.status())["state"] == jobs.RUNNING:
        now = (status.get("stage"), status.get("done"), status.get("total"))
        if now != shown:
            print(
                f"  {time.perf_counter() - started:7.0f} s  {now[0]}  {now[1]}/{now[2]}", flush=True
            )
            shown = now
        time.sleep(1)
    elapsed = time.perf_counter() - started
    print(
        f"full run: {settings.replications} replications of {settings.households:,} households "
        f"({settings.workers} worker(s)): {status['state']} in {elapsed:.0f} s"
    )


if __name__ == "__main__":
    main()

"""The planner's loop at full scale: the whole ``zengshou simulate run --full`` command (start-up,
panel and population, the measures in force, one 24-month replication of about 2.1 million
households, the report), cold (building the population and storing it in the cache) and warm
(reading it back), each in a fresh process, with wall time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_full_province.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [
    str(Path(sys.executable).with_name("zengshou")),
    "simulate",
    "run",
    str(ROOT / "scenarios" / "action_plan.yaml"),
    "--full",
    "--seed",
    "1",
]


def run_once(env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (GiB) of the command's own process, and its last output line."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(COMMAND, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own resource usage
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if process.returncode:
        raise SystemExit(f"{' '.join(COMMAND)} failed:\n{text}")
    return seconds, usage.ru_maxrss / 2**20, text.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="Warm runs (median reported).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ZENGSHOU_CACHE_DIR": cache, "ZENGSHOU_PROGRESS": "0"}
        cold, cold_rss, line = run_once(env)
        print(f"cold (population built and cached): {cold:6.1f} s, peak RSS {cold_rss:.2f} GiB")
        warm = [run_once(env) for _ in range(args.runs)]
        seconds = statistics.median(w[0] for w in warm)
        rss = max(w[1] for w in warm)
        print(
            f"warm (population from the cache):   {seconds:6.1f} s median of {args.runs}, "
            f"peak RSS {rss:.2f} GiB (targets: < 30 s, < 6 GiB)"
        )
        print(f"cold / warm: {cold / seconds:.1f}x; last line: {line}")


if __name__ == "__main__":
    main()

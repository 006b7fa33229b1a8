"""Scoring time and memory of the household risk model: 1, 1,000, 10,000 and 2.1 M households.

Trains the served (logistic) model on a 20,000-household synthetic panel, then times
``RiskModel.score`` on each household's last five years: one household (median of many calls,
also through the MLflow pyfunc wrapper), a 1,000-household batch (the service's batch size),
10,000 households, and the full province. The province (2.1 million households, 10.5 million
rows) is built by tiling a 50,000-household panel under new ids and scored in a child process,
so that its peak resident memory is its own. Targets: one household < 2 ms, province < 60 s.

    .venv/bin/python benchmarks/bench_risk.py                    # everything
    .venv/bin/python benchmarks/bench_risk.py --province 0       # skip the full province
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from forecast.risk import train_risk_model
from forecast.synthetic import synthesize_panel


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _recent(panel):
    return panel[panel["year"] >= panel["year"].max() - 4]


def _timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def province(model_path: str, households: int, seed: int) -> dict:
    """Score ``households`` tiled households (run in a child process)."""
    import joblib
    import pandas as pd

    model = joblib.load(model_path)
    base = _recent(synthesize_panel(50_000, seed=seed + 1, as_of=2022))
    copies = -(-households // 50_000)
    tiles = [base.assign(household_id=base["household_id"] + f"-{k}") for k in range(copies)]
    rows = pd.concat(tiles, ignore_index=True)
    del tiles
    keep = rows["household_id"].isin(pd.unique(rows["household_id"])[:households])
    rows = rows[keep].reset_index(drop=True)
    input_mib = _peak_mib()
    started = time.perf_counter()
    scores = model.score(rows)
    seconds = time.perf_counter() - started
    return {
        "households": len(scores),
        "rows": len(rows),
        "seconds": round(seconds, 1),
        "input_peak_mib": round(input_mib),
        "peak_mib": round(_peak_mib()),
        "flagged_share": round(float(scores["flag"].mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--province",
        type=int,
        default=2_100_000,
        help="households in the full-province run (0 to skip)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=500, help="single-household calls")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODEL", "HOUSEHOLDS", "SEED"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(province(args.child[0], int(args.child[1]), int(args.child[2]))))
        return

    import joblib

    # lazy: MLflow stays out of the --child process, whose peak memory is the scoring's own
    from forecast.risk.pyfunc import RiskPyfunc

    panel = synthesize_panel(20_000, seed=args.seed, as_of=2022)
    started = time.perf_counter()
    model, metrics = train_risk_model(panel, random_state=args.seed, compare=False)
    print(
        f"trained on 20,000 households in {time.perf_counter() - started:.1f} s "
        f"(AUC {metrics['scalars']['auc']:.3f})"
    )
    recent = _recent(panel)
    ids = recent["household_id"].unique()
    one = recent[recent["household_id"] == ids[0]]
    batch_1k = recent[recent["household_id"].isin(ids[:1_000])]
    batch_10k = recent[recent["household_id"].isin(ids[:10_000])]

    model.score(one)  # warm caches (line values, imports)
    single = _timed(lambda: model.score(one), args.repeats)
    wrapper = RiskPyfunc()
    wrapper.model = model  # what load_context sets; measures the wrapper without MLflow
    through_pyfunc = _timed(lambda: wrapper.predict(None, one), args.repeats)
    print(
        f"1 household (5 rows), median of {args.repeats}: "
        f"{1e3 * statistics.median(single):.2f} ms "
        f"(p99 {1e3 * sorted(single)[int(0.99 * len(single))]:.2f} ms); "
        f"through the pyfunc class {1e3 * statistics.median(through_pyfunc):.2f} ms"
    )
    for label, rows, repeats in (("1,000", batch_1k, 20), ("10,000", batch_10k, 5)):
        times = _timed(lambda rows=rows: model.score(rows), repeats)
        print(
            f"{label} households ({len(rows):,} rows), median of {repeats}: "
            f"{1e3 * statistics.median(times):.0f} ms"
        )
    print(f"peak resident memory so far (panel, model, batches): {_peak_mib():.0f} MiB")

    if args.province:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.joblib"
            joblib.dump(model, path)
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(path),
                    str(args.province),
                    str(args.seed),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"full province: {result['households']:,} households ({result['rows']:,} rows) "
            f"in {result['seconds']} s; peak memory {result['peak_mib']:,} MiB "
            f"(of which the input rows {result['input_peak_mib']:,} MiB); "
            f"{result['flagged_share']:.1%} flagged"
        )


if __name__ == "__main__":
    main()

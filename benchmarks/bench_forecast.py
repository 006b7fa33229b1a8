"""Fit and predict time and peak memory of the panel forecasters at 20,000 and 2.1 million households.

Each (size, model) runs in its own subprocess so that its peak resident memory
(``ru_maxrss``) belongs to it alone. Generating the synthetic panel usually sets that peak, so
the memory that fitting and forecasting themselves allocate on top of the panel is measured
with ``tracemalloc`` (numpy and scikit-learn arrays are traced) and printed beside it.

    .venv/bin/python benchmarks/bench_forecast.py                 # 20,000 and 2,100,000
    .venv/bin/python benchmarks/bench_forecast.py --sizes 20000   # quick
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from forecast.forecasters import make_forecaster
from forecast.synthetic import synthesize_panel

MODELS = ("naive", "drift", "mixed", "hgb")
FEATURES = ["members", "labour_force", "monitored", "key_county"]


def measure(households: int, model_name: str, seed: int) -> dict:
    """Synthesize a panel, fit on 2016-2021 and forecast 2022-2023 (run in a subprocess)."""
    import resource
    import time
    import tracemalloc

    started = time.perf_counter()
    panel = synthesize_panel(households, seed=seed, as_of=2021)
    columns = ["household_id", "year", "net_income_per_capita", *FEATURES]
    panel = panel[columns]
    synth_seconds = time.perf_counter() - started
    panel_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    features = None if model_name in ("naive", "drift") else FEATURES
    model = make_forecaster(model_name, features=features, random_state=seed)
    started = time.perf_counter()
    model.fit(panel)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    forecast = model.predict(panel, horizon=2)
    predict_seconds = time.perf_counter() - started
    # A second pass measures allocations: tracemalloc slows Python-heavy code (statsmodels),
    # so it stays off while timing.
    tracemalloc.start()
    model = make_forecaster(model_name, features=features, random_state=seed).fit(panel)
    fit_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    model.predict(panel, horizon=2)
    predict_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "households": households,
        "model": model_name,
        "rows": len(panel),
        "synth_s": round(synth_seconds, 1),
        "fit_s": round(fit_seconds, 2),
        "predict_s": round(predict_seconds, 2),
        "forecast_rows": len(forecast),
        "panel_peak_mib": round(panel_rss),
        "fit_alloc_mib": round(fit_peak / 2**20),
        "predict_alloc_mib": round(predict_peak / 2**20),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 2_100_000])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("HOUSEHOLDS", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1], args.seed)))
        return
    header = (
        "households  model   fit_s  predict_s  fit_MiB  predict_MiB  peak_RSS_MiB"
        "  (RSS after panel, synth_s)"
    )
    print(header)
    for households in args.sizes:
        for model in args.models:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--seed",
                    str(args.seed),
                    "--child",
                    str(households),
                    model,
                ],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(f"{households:>10,}  {model:<5}  failed:\n{out.stderr[-2000:]}", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{households:>10,}  {model:<5}  {r['fit_s']:>6.1f}  {r['predict_s']:>9.2f}  "
                f"{r['fit_alloc_mib']:>7,}  {r['predict_alloc_mib']:>11,}  {r['peak_mib']:>12,}"
                f"  ({r['panel_peak_mib']:,}, {r['synth_s']})",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Replications per minute of the Monte Carlo target test, and the speed-up with workers.

Prints, for the action plan:

1. replications per minute at 20,000 households with 1, 2 and 4 local worker processes, the
   speed-up over one worker, a check that all worker counts give identical results, and the
   projected time of 1,000 replications (the target: under 10 minutes on this machine);
2. with ``--thousand``, the time of an actual 1,000-replication run at the best worker count;
3. with ``--full``, replications per minute at full provincial scale (a handful of
   replications; run it at most once: it synthesises a 2.1-million-household panel first).

Usage::

    .venv/bin/python benchmarks/bench_montecarlo.py                 # 20,000 households only
    .venv/bin/python benchmarks/bench_montecarlo.py --thousand --full
"""

from __future__ import annotations

import argparse
import resource
import time

import pandas as pd

from forecast.paths import project_root
from forecast.synthetic import synthesize_panel
from simulation import Population, load_scenario
from simulation.montecarlo import TargetTest
from simulation.population import full_province_households

SCENARIO = project_root() / "scenarios" / "action_plan.yaml"


def timed_run(scenario, population, replications: int, workers: int, seed: int = 1):
    """Run a target test without attribution; return (result, seconds)."""
    test = TargetTest(scenario, replications=replications, seed=seed, attribution_replications=0)
    started = time.perf_counter()
    result = test.run(population, workers=workers)
    return result, time.perf_counter() - started


def bench_workers(households: int, replications: int, workers: tuple[int, ...]):
    scenario = load_scenario(SCENARIO)
    started = time.perf_counter()
    panel = synthesize_panel(households, seed=1, as_of=2022)
    population = Population.from_panel(panel, as_of=2022)
    print(f"population of {households:,} households built in {time.perf_counter() - started:.1f} s")
    rows, reference = [], None
    for k in workers:
        result, seconds = timed_run(scenario, population, replications, k)
        if reference is None:
            reference = result.yunnan
        identical = result.yunnan.equals(reference)
        rows.append(
            {
                "workers": k,
                "seconds": seconds,
                "reps_per_min": 60 * replications / seconds,
                "identical_to_1_worker": identical,
            }
        )
    table = pd.DataFrame(rows).set_index("workers")
    table["speed_up"] = table["reps_per_min"] / table["reps_per_min"].iloc[0]
    print(f"\n{replications} replications of {scenario.name} at {households:,} households:")
    print(table.round(2).to_string())
    best = table["reps_per_min"].max()
    print(f"projected time of 1,000 replications: {1000 / best:.1f} min (target < 10 min)")
    return population, int(table["reps_per_min"].idxmax())


def bench_thousand(population, workers: int) -> None:
    scenario = load_scenario(SCENARIO)
    result, seconds = timed_run(scenario, population, 1000, workers)
    print(
        f"\n1,000 replications on {workers} workers: {seconds / 60:.1f} min "
        f"({60_000 / seconds:.0f} per minute); P(target met) = {result.p_target_met:.3f}"
    )


def bench_full(replications: int, workers: int) -> None:
    scenario = load_scenario(SCENARIO)
    started = time.perf_counter()
    panel = synthesize_panel(full_province_households(), seed=1, as_of=2022)
    population = Population.from_panel(panel, as_of=2022)
    del panel
    print(
        f"\nfull-scale population ({population.size:,} households) built in "
        f"{time.perf_counter() - started:.0f} s"
    )
    result, seconds = timed_run(scenario, population, replications, workers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(
        f"{replications} full-scale replications on {workers} worker(s): {seconds:.0f} s, "
        f"{60 * replications / seconds:.2f} per minute; peak memory {peak:.1f} GiB "
        f"(largest worker process {children:.1f} GiB); P(target met) = {result.p_target_met:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--thousand", action="store_true", help="also run 1,000 replications")
    parser.add_argument("--full", action="store_true", help="also run the full province")
    parser.add_argument("--full-replications", type=int, default=3)
    parser.add_argument("--full-workers", type=int, default=1)
    args = parser.parse_args()
    population, best = bench_workers(args.households, args.replications, (1, 2, 4))
    if args.thousand:
        bench_thousand(population, best)
    if args.full:
        bench_full(args.full_replications, args.full_workers)


if __name__ == "__main__":
    main()

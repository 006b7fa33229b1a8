"""Speed and memory of the simulation: household-months per second for the vectorised and the
per-household reference model, then one full-province replication (2.1 million households,
24 months) with its time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_simulation.py [--skip-full]``
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc
from pathlib import Path

from forecast.synthetic import synthesize_panel
from simulation import Population, load_scenario
from simulation.households import VectorisedHouseholds
from simulation.model import Province
from simulation.population import full_province_households
from simulation.reference import ReferenceHouseholds

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "action_plan.yaml"


def throughput(backend, population, months: int) -> float:
    """Household-months per second of one replication (set-up excluded)."""
    model = Province(load_scenario(SCENARIO), population, seed=1, months=months, households=backend)
    start = time.perf_counter()
    model.run()
    return population.size * months / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-full", action="store_true", help="Skip the full province run.")
    args = parser.parse_args()
    small = Population.from_panel(synthesize_panel(2_000, seed=1, as_of=2022), as_of=2022)
    large = Population.from_panel(synthesize_panel(200_000, seed=1, as_of=2022), as_of=2022)
    reference = throughput(ReferenceHouseholds, small, months=12)
    vectorised = throughput(VectorisedHouseholds, large, months=12)
    print(
        f"reference model (2,000 households, 12 months):    {reference:>12,.0f} household-months/s"
    )
    print(
        f"vectorised model (200,000 households, 12 months): {vectorised:>12,.0f} household-months/s"
    )
    print(f"speed-up: {vectorised / reference:,.0f}x (target >= 50x)")
    if args.skip_full:
        return
    del small, large
    gc.collect()
    start = time.perf_counter()
    panel = synthesize_panel(full_province_households(), seed=1, as_of=2022)
    population = Population.from_panel(panel, as_of=2022)
    del panel
    gc.collect()
    print(f"full province: panel + population built in {time.perf_counter() - start:,.1f} s")
    tracemalloc.start()
    start = time.perf_counter()
    model = Province(load_scenario(SCENARIO), population, seed=1)
    result = model.run()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(
        f"full province replication: {population.size:,} households x {model.months} months in "
        f"{elapsed:,.1f} s (target < 30 s); peak memory of the replication "
        f"{peak / 2**30:,.2f} GiB (target < 6 GiB); process peak RSS {rss:,.2f} GiB "
        "(includes building the panel)"
    )
    print(
        f"2024 per-capita net income: {result.annual.loc[2024, 'net_income_per_capita']:,.0f} yuan"
    )


if __name__ == "__main__":
    main()

"""Time of the action plan's global sensitivity: Morris over every uncertain input, then Sobol
on the top ones.

Prints, for the action plan at ``--households`` (default 20,000, the issue's bar: Morris with
10 trajectories and Sobol on the top 8 under 20 minutes together on this 2-core machine), the
time of the Morris screening and of the Sobol stage, the samples and replications each ran,
the load average while it ran, and the ranking it found for P(target), the 2024 gap and the
share under the line.

Usage::

    .venv/bin/python benchmarks/bench_sensitivity.py                       # the issue's bar
    .venv/bin/python benchmarks/bench_sensitivity.py --households 5000 --samples 16
"""

from __future__ import annotations

import argparse
import os
import time

from forecast.paths import project_root
from forecast.synthetic import synthesize_panel
from simulation import Population, load_scenario
from simulation.sensitivity.analysis import run_sensitivity
from simulation.sensitivity.report import sensitivity_report

SCENARIO = project_root() / "scenarios" / "action_plan.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--trajectories", type=int, default=10)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--samples", type=int, default=32, help="Sobol base sample")
    parser.add_argument("--replications", type=int, default=8, help="per sample")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    panel = synthesize_panel(args.households, seed=1, as_of=2022)
    population = Population.from_panel(panel, as_of=2022)
    print(f"population of {args.households:,} households in {time.perf_counter() - started:.1f} s")
    scenario = load_scenario(SCENARIO)
    common = dict(replications=args.replications, seed=1, workers=args.workers, progress=True)
    load_before = os.getloadavg()
    both = run_sensitivity(
        scenario,
        population,
        "sobol",
        trajectories=args.trajectories,
        top=args.top,
        samples=args.samples,
        **common,
    )
    load_after = os.getloadavg()
    morris_samples = args.trajectories * (len(both.inputs) + 1)
    sobol_samples = both.evaluations - morris_samples
    print(
        f"\nMorris: {len(both.inputs)} inputs, {args.trajectories} trajectories, "
        f"{morris_samples} samples x {args.replications} replications in "
        f"{both.screening_seconds / 60:.1f} min on {args.workers} local processes"
    )
    print(
        f"Sobol on the top {args.top}: {sobol_samples} samples x {args.replications} "
        f"replications in {(both.elapsed_seconds - both.screening_seconds) / 60:.1f} min"
    )
    print(
        f"Morris + Sobol together: {both.elapsed_seconds / 60:.1f} min "
        f"({both.evaluations * args.replications:,} simulations); target < 20 min at 20,000 "
        f"households; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print()
    print(sensitivity_report(both))


if __name__ == "__main__":  # the worker processes import this file: run only when executed
    main()

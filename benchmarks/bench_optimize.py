"""Time of a cost-probability frontier, and the speed-up of the search on 2 Dask workers.

Prints, for the action plan:

1. the time of a whole search at 20,000 households on 2 local worker processes (default: 150
   screened mixes, the issue's bar: under 20 minutes on this 2-core machine), the mixes and
   replications it ran, and its answer for P >= 50 % against the action plan;
2. the speed-up of evaluating one batch of mixes (``--batch-mixes`` mixes x 8 replications,
   common random numbers) on 2 Dask workers (a local cluster, one thread each) over one
   process, and that both give identical figures: the first batch (the workers' start
   included) and the second (the pace of a search, which runs many batches on them).

Usage::

    .venv/bin/python benchmarks/bench_optimize.py                       # both, defaults
    .venv/bin/python benchmarks/bench_optimize.py --households 5000 --screen-replications 4
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from forecast.paths import project_root
from forecast.synthetic import synthesize_panel
from simulation import Population, load_scenario
from simulation.montecarlo.replications import ReplicationRunner, replication_seeds
from simulation.optimize import Constraints, DecisionSpace, Settings, optimize
from simulation.optimize.evaluate import Evaluator
from simulation.optimize.report import recommendation_lines

SCENARIO = project_root() / "scenarios" / "action_plan.yaml"


def bench_frontier(population, settings: Settings, workers: int, households: int) -> None:
    scenario = load_scenario(SCENARIO)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        opt = optimize(
            scenario,
            population,
            Path(folder) / "optuna.db",
            constraints=Constraints(0.5),
            settings=settings,
            seed=1,
            workers=workers,
            progress=True,
        )
        seconds = time.perf_counter() - started
    print(
        f"\nfrontier at {households:,} households on {workers} local processes: "
        f"{seconds / 60:.1f} min for {opt.evaluated_mixes} mixes ({opt.screened} screened), "
        f"{opt.replications_run:,} replications ({60 * opt.replications_run / seconds:,.0f} per "
        f"minute); target < 20 min for >= 150 mixes"
    )
    ref = opt.reference
    print(
        f"action plan on the {opt.settings.final_replications} fresh seeds: "
        f"{ref['cost_yuan'] / 1e9:.2f} bn yuan, P = {ref['p_target_met']:.3f} "
        f"(s.e. {ref['p_std_error']:.3f})"
    )
    print("\n".join(recommendation_lines(opt)))
    print(opt.frontier[["cost_yuan", "p_target_met", "p_std_error", "share_under_line"]].round(4))


def bench_dask(population, mixes: int, replications: int = 8) -> None:
    from distributed import Client, LocalCluster

    scenario = load_scenario(SCENARIO)
    space = DecisionSpace.from_scenario(scenario, population.as_of + 1)
    floors, own = space.floors(), space.own_point()[0]
    points = [
        {k: (own[k] if i % 2 else floors[k]) if j % (i + 2) else own[k] for j, k in enumerate(own)}
        for i in range(mixes)
    ]
    candidates = [(space.apply(p, "benchmark"), None) for p in points]
    seeds = replication_seeds(1, replications)
    timings, figures = {}, {}

    def batch(where: str, runner: ReplicationRunner) -> None:
        # Twice: the first batch also pays the workers' start (imports, the population);
        # a search runs many batches on the same workers, so the second is its pace.
        for attempt in ("first", "second"):
            started = time.perf_counter()
            done = Evaluator(scenario, population, seeds, runner).run(candidates, replications)
            timings[where, attempt] = time.perf_counter() - started
            figures[where, attempt] = tuple(tuple(o.income) for o in done)

    with ReplicationRunner(population) as runner:
        batch("1 process", runner)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        with Client(cluster) as client, ReplicationRunner(population, scheduler=client) as runner:
            batch("2 Dask workers", runner)
    jobs = mixes * replications
    print(f"\none batch of {mixes} mixes x {replications} replications ({jobs} simulations):")
    for (where, attempt), seconds in timings.items():
        print(
            f"  {where:>15}, {attempt} batch: {seconds:6.1f} s "
            f"({60 * jobs / seconds:,.0f} replications per min)"
        )
    for attempt in ("first", "second"):
        speedup = timings["1 process", attempt] / timings["2 Dask workers", attempt]
        print(f"  speed-up on 2 Dask workers, {attempt} batch: {speedup:.2f}x")
    print(f"  identical figures: {len(set(figures.values())) == 1}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--screen-replications", type=int, default=8)
    parser.add_argument("--final-replications", type=int, default=64)
    parser.add_argument("--batch-mixes", type=int, default=8)
    parser.add_argument("--skip-frontier", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    panel = synthesize_panel(args.households, seed=1, as_of=2022)
    population = Population.from_panel(panel, as_of=2022)
    print(f"population of {args.households:,} households in {time.perf_counter() - started:.1f} s")
    if not args.skip_dask:
        bench_dask(population, args.batch_mixes)
    if not args.skip_frontier:
        settings = Settings(
            trials=args.trials,
            screen_replications=args.screen_replications,
            final_replications=args.final_replications,
        )
        bench_frontier(population, settings, args.workers, args.households)


if __name__ == "__main__":
    main()

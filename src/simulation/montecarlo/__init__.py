"""Monte Carlo layer over the simulation: is the 2024 target reachable, with which measures?

- :func:`run_target_test` / :class:`TargetTest`: probability that Yunnan's 2024 mean
  per-capita net income exceeds the national one, paths with bands, crossing year, monitoring,
  cost, Shapley attribution by measure and source.
- :func:`compare_scenarios`: several measure mixes with common random numbers.
- :func:`backtest`: from an earlier as-of year against the published figure.
- :class:`ReplicationRunner`: local processes or a Dask cluster, one code path.
"""

from simulation.montecarlo.backtest import backtest, backtest_conclusion, backtest_report
from simulation.montecarlo.compare import Comparison, compare_scenarios, shipped_scenarios
from simulation.montecarlo.replications import (
    Job,
    ReplicationRunner,
    replication_seeds,
    run_replications,
)
from simulation.montecarlo.summary import record_target_test, write_summary
from simulation.montecarlo.target import TargetTest, TargetTestResult, run_target_test

__all__ = [
    "Comparison",
    "Job",
    "ReplicationRunner",
    "TargetTest",
    "TargetTestResult",
    "backtest",
    "backtest_conclusion",
    "backtest_report",
    "compare_scenarios",
    "record_target_test",
    "replication_seeds",
    "run_replications",
    "run_target_test",
    "shipped_scenarios",
    "write_summary",
]

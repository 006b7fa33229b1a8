"""Monte Carlo layer over the simulation: is the 2024 target reachable, with which measures?

The experiments, exported here, return plain results:

- :func:`run_target_test` / :class:`TargetTest`: probability that Yunnan's 2024 mean
  per-capita net income exceeds the national one, paths with bands, crossing year, monitoring,
  cost, Shapley attribution by measure and source.
- :func:`compare_scenarios`: several measure mixes with common random numbers.
- :func:`backtest`: from an earlier as-of year against the published figure
  (:mod:`.validation`: out of sample).
- :class:`ReplicationRunner`: local processes or a Dask cluster, one code path.

Their presentation reads those results and is imported from its own module, never from
here, so that nothing below imports it back: :mod:`.report` (plain language; formatters in
:mod:`.words`), :mod:`.summary` (``summary.json``, ``validation.json``), :mod:`.plots`
(figures) and :mod:`.record` (files and the MLflow run, the one module on the tracking layer).
"""

from simulation.montecarlo.backtest import backtest
from simulation.montecarlo.compare import (
    Comparison,
    compare_scenarios,
    run_target_test,
    shipped_scenarios,
)
from simulation.montecarlo.replications import (
    Job,
    ReplicationRunner,
    replication_seeds,
    run_replications,
)
from simulation.montecarlo.target import TargetTest, TargetTestResult

__all__ = [
    "Comparison",
    "Job",
    "ReplicationRunner",
    "TargetTest",
    "TargetTestResult",
    "backtest",
    "compare_scenarios",
    "replication_seeds",
    "run_replications",
    "run_target_test",
    "shipped_scenarios",
]

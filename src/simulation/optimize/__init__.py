"""The planner's question as a search: the cheapest mix of measures that reaches the 2024
target with a chosen probability, and the cost-probability frontier.

- :mod:`.space`: the decision space of a scenario (what its levers' ``search:`` blocks let
  change) and the mix each point stands for;
- :mod:`.evaluate`: candidates on shared replication seeds (common random numbers);
- :mod:`.search`: :func:`optimize` (Optuna, successive halving, fresh-seed re-evaluation),
  returning a plain :class:`Optimization`.

Its presentation reads that result from its own modules, never imported here:
:mod:`.report` (words, ``frontier.json``, the scenario file of a mix), :mod:`.plots` and
:mod:`.record` (files and the MLflow run).
"""

from simulation.optimize.search import Constraints, Optimization, Settings, optimize
from simulation.optimize.space import Decision, DecisionSpace

__all__ = ["Constraints", "Decision", "DecisionSpace", "Optimization", "Settings", "optimize"]

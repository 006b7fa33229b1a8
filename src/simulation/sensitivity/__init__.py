"""What the 2024 answer hinges on: global sensitivity (Morris, Sobol) and scenario
discovery (PRIM) over every uncertain input (:mod:`simulation.uncertainties`)."""

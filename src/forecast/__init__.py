"""Household panels, income forecasters, return-to-poverty risk, aggregate trajectories."""

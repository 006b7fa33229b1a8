"""Agent-based simulation (Mesa) of the action plan: households, villages, counties, measures."""

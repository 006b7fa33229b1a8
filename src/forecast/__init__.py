"""Household panels, income forecasters, return-to-poverty risk, aggregate trajectories."""

from __future__ import annotations

import importlib

# Public name -> module that defines it, imported on first use so `import forecast` stays cheap.
_LAZY: dict[str, str] = {
    "backtest": "forecast.backtesting",
    "forecast_series": "forecast.series",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # cache: later look-ups skip __getattr__
        return value
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])

"""``summary.json`` of a target test and ``validation.json`` of a validation.

Both are functions of a plain result (:class:`~.target.TargetTestResult`,
:class:`~.validation.Validation`): JSON-ready numbers, strings, lists and dicts, no figure
typed in. NaN and infinities become ``null``, so the files are strict JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.i18n import use_language
from forecast.provenance import code_version
from simulation.montecarlo.target import REACH_WARNING, TargetTestResult
from simulation.montecarlo.validation import Validation, series_scores
from simulation.montecarlo.words import reach_warning_lines

# --- target test -----------------------------------------------------------------------------


def _in_english(say, *args):
    """summary.json is read by programs: its sentences stay English whatever ``--lang``."""
    with use_language("en"):
        return say(*args)


def summary_dict(result: TargetTestResult) -> dict[str, Any]:
    """The fields of ``summary.json`` (JSON-ready: numbers, strings, lists and dicts)."""
    year = result.target_year
    cost = result.cost_by_measure.reset_index()
    summary: dict[str, Any] = {
        "scenario": result.name,
        "scenario_file": result.scenario_path,
        "measures": list(result.scenario.measures),
        "seed": result.seed,
        "replications": result.replications,
        "households": result.households,
        "people": _number(result.people),
        "as_of": result.as_of,
        "target_year": year,
        "p_target_met": result.p_target_met,
        "p_target_met_std_error": result.p_target_met_std_error,
        "gap": {**_records(result.paths["gap"].loc[[year]])[str(year)]},
        "yunnan": _records(result.paths["yunnan"]),
        "national": _records(result.paths["national"]),
        "gap_by_year": _records(result.paths["gap"]),
        "ratio": _records(result.paths["ratio"]),
        "national_model": {
            "name": result.model,
            "rule": None if result.macro is None else result.macro.choice_rule,
        },
        "by_assumption": _records(result.by_assumption),
        "hinge": result.hinge,
        "shared_shock_correlation": _number(result.shared_shock_correlation),
        "common_rural_growth_percent": None
        if (common := result.common_growth) is None
        else _records(common),
        "observed": {
            k: {str(y): float(v) for y, v in s.items()} for k, s in result.observed.items()
        },
        "crossing_year_share": {str(k): float(v) for k, v in result.crossing.items()},
        "share_under_line": _records(result.monitoring),
        "composition": _records(result.composition),
        "cost": {
            "total_yuan": result.total_cost,
            "by_measure_and_year": [
                {k: _number(v) for k, v in row.items()} for row in cost.to_dict("records")
            ],
        },
        "reach": {
            "what": "per lever and year, mean over replications: the scale asked, what the "
            "eligible pool held, what was reached before take-up (unit: households, villages "
            "or yuan) and households granted the effects; shortfall: why reached < asked",
            "warning_below_share": REACH_WARNING,
            "by_measure_and_year": [
                {k: _number(v) for k, v in row.items()}
                for row in result.reach.reset_index().to_dict("records")
            ],
            "warnings": _in_english(reach_warning_lines, result),
        },
        "gain_per_yuan": _number(result.gain_per_yuan),
        "attribution": None
        if result.attribution is None
        else {
            "method": "Shapley values over measures, one random order per replication, "
            "common random numbers; gain over all measures off",
            "replications": result.attribution_replications,
            "year": year,
            "by_measure": _records(result.attribution),
        },
        "institutions": {
            "what": "per year, means over replications: county funds, spending on budgeted "
            "levers, unspent funds and what levers asked but funds could not pay (yuan, "
            "province totals); share of villages whose collective income meets the plan's "
            "100,000 yuan; weighted households whose market-entity link was struck or broke",
            "by_year": _records(result.institutions),
        },
        "counties": {
            "year": year,
            "note": "gap to each replication's national level; means and 80 % bands over "
            "replications; cost_yuan is the county's share of public spending in the year",
            "by_group": _records(result.county_groups),
            "by_county": _records(result.counties),
        },
        "elapsed_seconds": result.elapsed_seconds,
        "ran_on": result.ran_on,
        "code_version": code_version(),
    }
    return summary


def write_summary(result: TargetTestResult, out_dir: str | Path) -> Path:
    """Write ``summary.json`` into ``out_dir`` (created) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.json"
    path.write_text(json.dumps(summary_dict(result), indent=2, ensure_ascii=False) + "\n")
    return path


def write_experiments(result: TargetTestResult, out_dir: str | Path) -> Path:
    """Write the experiments table (:attr:`TargetTestResult.experiments`) as
    ``experiments.parquet`` into ``out_dir`` (created) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "experiments.parquet"
    result.experiments.to_parquet(path, index=False)
    return path


def _records(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {str(index): {k: _number(v) for k, v in row.items()} for index, row in frame.iterrows()}


def _number(value: Any) -> Any:
    """A JSON-ready number: ints stay ints, NaN and infinities become None."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return number if math.isfinite(number) else None


# --- validation ----------------------------------------------------------------------------


def validation_summary(validation: Validation) -> dict[str, Any]:
    """The content of ``validation.json`` (plain types)."""
    return {
        "what": "out-of-sample: every origin refits with no value after it",
        "replications": validation.replications,
        "seed": validation.seed,
        "households": validation.households,
        "series": _rows(validation.series),
        "simulation": _rows(validation.simulation),
        "series_scores": _rows(series_scores(validation.series)),
    }


def _rows(frame: pd.DataFrame) -> list[dict]:
    """A table as a list of plain-typed rows (its named index as a column)."""
    if frame.empty:
        return []
    plain = frame.reset_index() if frame.index.name else frame
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in plain.to_dict(orient="records")
    ]


__all__ = ["summary_dict", "validation_summary", "write_experiments", "write_summary"]

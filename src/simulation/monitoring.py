"""The monitoring income line (监测收入线) by year, read from sourced data, never typed in."""

from __future__ import annotations

from functools import cache

import numpy as np
import yaml

from forecast.paths import data_file


@cache
def _published_points() -> tuple[tuple[int, float], ...]:
    """(year, yuan) points of the line from ``data/public_statistics.yaml``."""
    stats = yaml.safe_load(data_file("public_statistics.yaml").read_text(encoding="utf-8"))
    section = stats["monitoring"]
    points = {
        2020: section["national_rule_2020"]["value"],
        2023: section["yunnan_county_monitoring_line_2023"]["value"],
    }
    return tuple(sorted((int(y), float(v)) for y, v in points.items()))


def monitoring_line(year: int) -> float:
    """Return the monitoring line in yuan per person per year for ``year``.

    Uses ``forecast.risk.monitoring_line`` (the risk package's reading of
    ``data/monitoring_line.yaml``) when it is installed; otherwise interpolates log-linearly
    between the published points in ``data/public_statistics.yaml`` (the 2020 national rule
    of about 6,000 yuan and the 2023 county line of 8,050 yuan), extrapolating the same growth.
    """
    try:
        from forecast.risk import monitoring_line as risk_line
    except ImportError:
        risk_line = None
    if risk_line is not None:
        try:
            return float(risk_line(year))
        except (TypeError, KeyError, ValueError, FileNotFoundError):
            pass  # the risk package's table does not cover this year: use the published points
    (y0, v0), (y1, v1) = _published_points()[0], _published_points()[-1]
    growth = np.log(v1 / v0) / (y1 - y0)
    return float(v0 * np.exp(growth * (year - y0)))

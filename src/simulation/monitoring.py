"""The monitoring income line (监测收入线) by year, read from sourced data, never typed in."""

from __future__ import annotations

from forecast.risk.line import monitoring_line as _line_of


def monitoring_line(year: int) -> float:
    """Return the monitoring line in yuan per person per year for ``year``.

    Reads ``data/monitoring_line.yaml`` through :func:`forecast.risk.line.monitoring_line`
    (listed years, then the file's stated growth rule).

    Raises
    ------
    forecast.sourced.SourcedError
        The file is missing or malformed, or gives no line for ``year`` (before its first
        listed year or after the rule's last year), naming the file, the key and the reason.
    """
    return float(_line_of(year))

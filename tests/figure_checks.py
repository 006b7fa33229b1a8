"""Checks of Matplotlib figures shared by the tests (imported as ``figure_checks``)."""

from __future__ import annotations


def drawn(figure):
    """Draw ``figure`` (without a display) so that its tick labels exist; return it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    return figure


def tick_labels(ax, axis: str = "x") -> list[str]:
    """The tick labels of ``axis`` that are inside the axes' limits, as drawn."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    return [
        label.get_text()
        for tick, label in zip(target.get_majorticklocs(), target.get_ticklabels(), strict=False)
        if low <= tick <= high and label.get_text()
    ]


def legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [text.get_text() for text in legend.get_texts()]


def assert_readable(figure) -> None:
    """What every figure of the project must be: no empty axes, each axes labelled, years
    written as whole years, percent axes with a % on every tick."""
    from matplotlib.ticker import PercentFormatter

    drawn(figure)
    for ax in figure.axes:
        assert ax.lines or ax.patches or ax.collections, f"empty axes: {ax.get_title()!r}"
        assert ax.get_ylabel() or ax.get_title() or ax.get_yticklabels(), "unlabelled axes"
        for axis in ("x", "y"):
            label = ax.get_xlabel() if axis == "x" else ax.get_ylabel()
            if label.startswith("year"):  # "year", "year forecast"; not "yuan per year"
                for text in tick_labels(ax, axis):
                    assert text.isdigit() and len(text) == 4, f"year tick {text!r}"
            formatter = (ax.xaxis if axis == "x" else ax.yaxis).get_major_formatter()
            if isinstance(formatter, PercentFormatter):
                assert all(t.endswith("%") for t in tick_labels(ax, axis)), tick_labels(ax, axis)

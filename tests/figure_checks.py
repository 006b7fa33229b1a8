"""Checks of Matplotlib figures shared by the tests (imported as ``figure_checks``)."""

from __future__ import annotations

import re
import warnings

HAN = re.compile("[\u4e00-\u9fff]")  # Chinese characters


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


def chinese_texts(figure) -> list:
    """The texts of ``figure`` that hold Chinese characters."""
    from matplotlib.text import Text

    return [t for t in figure.findobj(Text) if HAN.search(t.get_text())]


def assert_glyphs_covered(figure) -> None:
    """Draw ``figure`` without a 'Glyph missing' warning; every Chinese text's font family
    list holds the CJK font, whose file has a glyph for each of its characters."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        drawn(figure)
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from forecast import plotting

    font = plotting.cjk_font()
    path = font_manager.findfont(
        font_manager.FontProperties(family=font), fallback_to_default=False
    )
    charmap = FT2Font(path).get_charmap()
    texts = chinese_texts(figure)
    assert texts, "no Chinese text on the figure"
    for text in texts:
        assert font in text.get_fontproperties().get_family(), text.get_text()
        missing = [c for c in HAN.findall(text.get_text()) if ord(c) not in charmap]
        assert not missing, (text.get_text(), missing)

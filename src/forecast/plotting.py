"""One look for every figure: colours that can be told apart, labelled bands, axes in years,
yuan and percent, totals on stacked bars.

Every plotting function of the project (:mod:`forecast.figures` for the notebooks on panels,
forecasts and risk; :mod:`simulation.montecarlo.plots` for the Monte Carlo) draws through these
helpers. Figures are built without pyplot (no global state, no display backend needed); a
notebook shows the returned ``Figure`` as any other value.

Words on a figure come from the message catalogue (``forecast/locales/plots.yaml``) in the
language in force (:mod:`forecast.i18n`): a plotting function decorated with
:func:`in_plot_language` draws in :func:`plot_language`. Chinese needs a font with Chinese
glyphs: :func:`cjk_font` finds one on the machine (Noto Sans CJK, Source Han Sans, WenQuanYi...)
and it is added *after* the default sans-serif font in ``font.family`` (the one global
setting touched, and only when a Chinese figure is drawn: Latin glyphs keep their font,
Chinese ones fall back to it). Where no such font can be had, figures are drawn with English
words and one warning, never with empty boxes.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import MaxNLocator, PercentFormatter, StrMethodFormatter

from forecast.i18n import current_language, use_language
from forecast.i18n import gettext as _

# Characters a Chinese figure needs at the least (the plan's and the axes' words).
CJK_SAMPLE = "增收云南全国脱贫人口人均纯收入技能培训消费帮扶年元"
# Font families known to carry Chinese, best first (sans before serif: figures are sans).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans CJK",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
    "Noto Serif CJK SC",
    "AR PL UMing",
)
_CJK_FILE = re.compile(r"cjk|sourcehan|wqy|wenquanyi|droidsansfallback|yahei|simhei|pingfang|uming")

# Okabe and Ito's palette: told apart by readers with any common colour-vision deficiency.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
OTHER = "#999999"  # what a legend lumps together ("other measures")
SIDES = {"national": PALETTE[0], "yunnan": PALETTE[3], "ratio": PALETTE[4]}
SOURCES = {
    "wage": PALETTE[0],
    "operating": PALETTE[1],
    "property": PALETTE[2],
    "transfer": PALETTE[4],
}
BAND_ALPHA = {80: 0.35, 95: 0.15}  # the narrower band drawn darker


def _covers(path: str, text: str) -> bool:
    """Whether the font file at ``path`` has a glyph for every character of ``text``."""
    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(c) in charmap for c in text if not c.isspace())


def _rank(name: str) -> int:
    return next((i for i, f in enumerate(CJK_FAMILIES) if name.startswith(f)), len(CJK_FAMILIES))


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font that has Chinese glyphs, or None.

    Looks in matplotlib's font list, then (its cache may predate the font's installation,
    e.g. Debian's ``fonts-noto-cjk``) registers the system's font files that look Chinese;
    a family counts only if its file has a glyph for each character of :data:`CJK_SAMPLE`.
    """
    for attempt in range(2):
        known = {f.name: f.fname for f in font_manager.fontManager.ttflist}
        for name in sorted((n for n in known if _rank(n) < len(CJK_FAMILIES)), key=_rank):
            if _covers(known[name], CJK_SAMPLE):
                return name
        if attempt == 0:
            for path in font_manager.findSystemFonts():
                if _CJK_FILE.search(Path(path).name.lower()):
                    font_manager.fontManager.addfont(path)
    return None


@functools.cache
def _no_cjk_font_warning() -> None:
    """Warn once per process that Chinese figures fall back to English."""
    warnings.warn(
        "no font with Chinese glyphs was found (install one, e.g. Debian's fonts-noto-cjk): "
        "figures are drawn with English labels",
        UserWarning,
        stacklevel=4,
    )


def plot_language() -> str:
    """The language figures are drawn in: the one in force, or English (with one warning)
    when it is Chinese and :func:`cjk_font` finds no font to write it."""
    lang = current_language()
    if lang == "zh":
        font = cjk_font()
        if font is None:
            _no_cjk_font_warning()
            return "en"
        family = matplotlib.rcParams["font.family"]
        if font not in family:  # after the default: Latin glyphs keep their font
            matplotlib.rcParams["font.family"] = [*family, font]
    return lang


def in_plot_language[**P, R](draw: Callable[P, R]) -> Callable[P, R]:
    """Decorate a plotting function so that its words are in :func:`plot_language`."""

    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> R:
        with use_language(plot_language()):
            return draw(*args, **kwargs)

    return drawn


def figure(
    size: tuple[float, float] = (7, 4.5),
    rows: int = 1,
    columns: int = 1,
    squeeze: bool = True,
    **kwargs,
):
    """A figure with constrained layout (titles never overlap) and its axes.

    Returns ``(figure, axes)``: one ``Axes`` for a single panel, else an array of them (always
    a 2-D array with ``squeeze=False``); other keywords go to ``Figure.subplots``.
    """
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=squeeze, **kwargs)
    return fig, axes


def on(ax: Axes | None, size: tuple[float, float] = (7, 4.5)) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new single-panel figure when ``ax`` is None."""
    if ax is not None:
        return ax.figure, ax
    return figure(size)


def colours(n: int) -> list[str]:
    """``n`` colours of the palette in turn (at most its eight: lump the rest as "other")."""
    if n > len(PALETTE):
        raise ValueError(f"{n} series cannot be told apart by colour; lump them into 'other'")
    return list(PALETTE[:n])


def year_axis(ax: Axes, axis: str = "x", label: str | None = "year") -> None:
    """Whole years on ``axis`` (never 2019.5), written without a thousands separator;
    ``label="year"`` is the catalogue's word for it."""
    if label == "year":
        label = _("plot.year")
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(integer=True))
    target.set_major_formatter(StrMethodFormatter("{x:.0f}"))
    if label is not None:
        (ax.set_xlabel if axis == "x" else ax.set_ylabel)(label)


def yuan_axis(ax: Axes, label: str, axis: str = "y") -> None:
    """Yuan with thousands separators (``14,147``) and the axis label."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def percent_axis(ax: Axes, label: str, axis: str = "y", share: bool = True) -> None:
    """Percentages on the axis: ``share=True`` for values in 0..1 (0.25 is written 25 %),
    else for values already in percent."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(1.0 if share else 100.0, decimals=None))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def fan(
    ax: Axes,
    x: Sequence,
    mean: Sequence[float],
    bands: dict[int, tuple[Sequence[float], Sequence[float]]],
    colour: str,
    label: str,
    band_labels: bool = True,
) -> None:
    """A mean line with its bands (level -> (lower, upper)), the wider drawn lighter; each
    band gets a legend entry (``label, 80 % band``) unless ``band_labels`` is False."""
    for level in sorted(bands, reverse=True):
        lower, upper = bands[level]
        ax.fill_between(
            list(x),
            list(lower),
            list(upper),
            color=colour,
            alpha=BAND_ALPHA.get(level, 0.2),
            linewidth=0,
            label=_("plot.band", label=label, level=level) if band_labels else None,
        )
    ax.plot(list(x), list(mean), color=colour, label=label)


def published_points(ax: Axes, x: Sequence, y: Sequence[float], colour: str, label: str) -> None:
    """Published values: dots joined by a dotted line, labelled ``(published)``."""
    ax.plot(
        list(x), list(y), "o:", color=colour, markersize=5, label=_("plot.published", label=label)
    )


def stacked_bars(
    ax: Axes,
    table: pd.DataFrame,
    colour_of: dict[str, str] | None = None,
    total_format: str = "{:,.0f}",
    horizontal: bool = False,
) -> None:
    """Bars of ``table`` (index: positions, columns: parts) stacked, positive parts above
    zero and negative below, with the total of each bar written at its end. The legend
    lists the parts in the order they are stacked from the top."""
    colour_of = colour_of or dict(zip(table.columns, colours(len(table.columns)), strict=True))
    positions = list(table.index)
    up = np.zeros(len(table))
    down = np.zeros(len(table))
    draw = ax.barh if horizontal else ax.bar
    for column in table.columns:
        values = table[column].to_numpy(dtype=float)
        gains, losses = np.clip(values, 0, None), np.clip(values, None, 0)
        where = "left" if horizontal else "bottom"
        bars = [draw(positions, gains, **{where: up}, color=colour_of[column], label=column)]
        if (losses < 0).any():
            bars.append(draw(positions, losses, **{where: down}, color=colour_of[column]))
        for patch in (patch for container in bars for patch in container):
            # A bar's base is "sticky" (no margin beyond it): only zero may be, or a part of
            # zero width stacked at the end of a bar would stop the room left for the total.
            edges = patch.sticky_edges.x if horizontal else patch.sticky_edges.y
            edges[:] = [edge for edge in edges if edge == 0]
        up, down = up + gains, down + losses
    totals = table.sum(axis=1).to_numpy(dtype=float)
    for position, top, total in zip(positions, up, totals, strict=True):
        text = total_format.format(total)
        if horizontal:
            ax.annotate(
                text,
                (top, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
            )
        else:
            ax.annotate(
                text,
                (position, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize="small",
            )
    ax.margins(**({"x": 0.12} if horizontal else {"y": 0.1}))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1], labels[::-1], fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1)
    )


def lump(table: pd.DataFrame, keep: int, other: str = "other") -> pd.DataFrame:
    """The ``keep - 1`` largest columns (by total absolute value) and the rest summed as
    ``other``, so that a stack has no more parts than colours that can be told apart."""
    if table.shape[1] <= keep:
        return table
    order = table.abs().sum().sort_values(ascending=False).index
    kept = list(order[: keep - 1])
    return table[kept].assign(**{other: table.drop(columns=kept).sum(axis=1)})


def legend(ax: Axes, **kwargs) -> None:
    """The legend of ``ax`` in the house's size, placed where it hides the least."""
    ax.legend(**({"fontsize": "small", "loc": "best"} | kwargs))


__all__ = [
    "BAND_ALPHA",
    "CJK_SAMPLE",
    "OTHER",
    "PALETTE",
    "SIDES",
    "SOURCES",
    "cjk_font",
    "colours",
    "fan",
    "figure",
    "in_plot_language",
    "legend",
    "lump",
    "on",
    "percent_axis",
    "plot_language",
    "published_points",
    "stacked_bars",
    "year_axis",
    "yuan_axis",
]

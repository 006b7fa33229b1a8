"""Figures in Chinese: drawn with a font that has the glyphs (never empty boxes), or, where
the machine has no such font, in English with one warning."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest
from figure_checks import assert_glyphs_covered, chinese_texts, drawn, legend_labels

from forecast import figures, plotting
from forecast.i18n import gettext, use_language


@plotting.in_plot_language
def _house_figure():
    fig, ax = plotting.figure()
    yunnan = gettext("plot.side.yunnan")
    plotting.fan(ax, [2022, 2023], [1.0, 2.0], {80: ([0.5, 1.5], [1.5, 2.5])}, "C0", yunnan)
    plotting.published_points(ax, [2021, 2022], [0.8, 1.0], "C0", yunnan)
    plotting.year_axis(ax)
    plotting.legend(ax)
    return fig


@pytest.fixture
def cjk():
    font = plotting.cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine (install fonts-noto-cjk)")
    return font


def test_a_chinese_figure_is_drawn_with_a_font_that_has_its_glyphs(cjk):
    with use_language("zh"):
        figure = _house_figure()
    assert_glyphs_covered(figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "年份"
    assert legend_labels(ax) == ["云南，80 % 区间", "云南", "云南（公布值）"]


def test_the_font_is_added_after_the_default_so_latin_keeps_its_font(cjk):
    with use_language("zh"):
        _house_figure()
    family = matplotlib.rcParams["font.family"]
    assert family[-1] == cjk and family[0] == "sans-serif"


def test_without_a_cjk_font_figures_fall_back_to_english_with_one_warning(monkeypatch):
    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    plotting._no_cjk_font_warning.cache_clear()
    with use_language("zh"):
        with pytest.warns(UserWarning, match="no font with Chinese glyphs") as caught:
            first, second = _house_figure(), _house_figure()
    assert len([w for w in caught if "Chinese glyphs" in str(w.message)]) == 1
    for figure in (first, second):
        assert not chinese_texts(drawn(figure))
        assert figure.axes[0].get_xlabel() == "year"
        assert legend_labels(figure.axes[0]) == [
            "Yunnan, 80 % band",
            "Yunnan",
            "Yunnan (published)",
        ]
    plotting._no_cjk_font_warning.cache_clear()


def test_english_figures_do_not_look_for_a_cjk_font(monkeypatch):
    def refuse():
        raise AssertionError("looked for a CJK font for an English figure")

    monkeypatch.setattr(plotting, "cjk_font", refuse)
    with use_language("en"):
        figure = _house_figure()
    assert figure.axes[0].get_xlabel() == "year"


def test_the_notebooks_figures_speak_chinese_with_the_sources_official_names(cjk):
    means = pd.DataFrame(
        {"wage": [6000.0, 6500.0], "operating": [2000.0, 2100.0]}
        | {"property": [100.0, 110.0], "transfer": [1500.0, 1600.0]},
        index=[2021, 2022],
    )
    with use_language("zh"):
        figure = figures.source_chart(means)
    assert_glyphs_covered(figure)
    ax = figure.axes[0]
    assert ax.get_title() == "分来源人均收入" and ax.get_ylabel() == "元/人/年"
    assert set(legend_labels(ax)) == {"工资性收入", "经营净收入", "财产净收入", "转移净收入"}
    with use_language("en"):
        assert set(legend_labels(figures.source_chart(means).axes[0])) == set(means.columns)

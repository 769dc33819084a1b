"""Charts in Chinese: every kind drawn without a missing glyph and without English words."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from briefings.charts import (
    ChartCache,
    breadth_chart_data,
    cached_chart,
    chart_key,
    pairs_chart_data,
    render_chart,
    rrg_chart_data,
    sectors_chart_data,
)
from briefings.charts.breadth_plot import breadth_figure
from briefings.charts.data import Provenance
from briefings.charts.fonts import families, pick_cjk_family
from briefings.charts.plot import ratios_figure, rrg_figure, sector_bars_figure
from briefings.snapshot import Snapshot
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.test_charts import png_size
from tests.test_cli import run_cli
from tests.test_languages import AS_OF, allowed_words, english_words


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """Return a demo session with index members (so the breadth chart has bars)."""
    store = PriceStore(tmp_path_factory.mktemp("charts-zh") / "prices.sqlite3")
    clock = datetime(2025, 11, 21, 22, 0, tzinfo=UTC)
    service = MarketService(DemoSource(), store, load_universe(), clock=lambda: clock)
    assert service.refresh().error is None
    chosen = service.snapshot(as_of=AS_OF)
    assert chosen.briefing.members, "the demo session should have index members"
    return chosen


ChartName = Literal["rrg-sectors", "rrg-pairs", "sectors", "pairs", "breadth"]


def figure_of(snapshot: Snapshot, name: ChartName, language: str) -> Figure:
    """Return the drawn figure of chart ``name`` in ``language``."""
    provenance = Provenance.of(snapshot.briefing)
    if name in ("rrg-sectors", "rrg-pairs"):
        kind: Literal["sectors", "pairs"] = "sectors" if name == "rrg-sectors" else "pairs"
        rrg = rrg_chart_data(snapshot.closes, snapshot.universe, kind, provenance, None)
        return rrg_figure(rrg, language)
    if name == "pairs":
        ratios = pairs_chart_data(snapshot.closes, snapshot.universe, provenance, None)
        return ratios_figure(ratios, language)
    if name == "breadth":
        return breadth_figure(breadth_chart_data(snapshot.briefing), language)
    bars = sectors_chart_data(snapshot.briefing, "MTD", snapshot.universe.benchmark)
    return sector_bars_figure(bars, language)


def drawn_texts(figure: Figure) -> list[str]:
    """Draw ``figure`` (missing glyphs raise) and return every visible text artist's string."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes an error
        figure.canvas.draw()
    return [
        text.get_text()
        for text in figure.findobj(Text)
        if isinstance(text, Text) and text.get_visible() and text.get_text().strip()
    ]


NAMES: tuple[ChartName, ...] = ("rrg-sectors", "rrg-pairs", "sectors", "pairs", "breadth")


@pytest.mark.parametrize("name", NAMES)
def test_a_chinese_chart_has_every_glyph_and_no_english_word(
    snapshot: Snapshot, name: ChartName
) -> None:
    texts = drawn_texts(figure_of(snapshot, name, "zh"))
    assert any("模拟数据" in text for text in texts), texts
    allowed = allowed_words(snapshot) | {"ETF"}
    english = {text: words for text in texts if (words := english_words(text, allowed))}
    assert not english, english


@pytest.mark.parametrize("name", NAMES)
def test_the_english_chart_keeps_its_english_words(snapshot: Snapshot, name: ChartName) -> None:
    texts = drawn_texts(figure_of(snapshot, name, "en"))
    assert any("SIMULATED DATA" in text for text in texts), texts


def test_the_chinese_rrg_names_its_quadrants_and_sectors_in_chinese(snapshot: Snapshot) -> None:
    texts = drawn_texts(figure_of(snapshot, "rrg-sectors", "zh"))
    assert {"领先", "转弱", "落后", "改善"} <= set(texts), texts
    assert any(text.startswith("信息技术") for text in texts), texts


def test_the_language_is_part_of_the_cache_key(snapshot: Snapshot) -> None:
    english, chinese = chart_key(snapshot, "sectors"), chart_key(snapshot, "sectors", language="zh")
    assert english != chinese
    assert english == chart_key(snapshot, "sectors", language="en")
    cache = ChartCache()
    zh_png = cached_chart(cache, snapshot, "sectors", language="zh")
    en_png = cached_chart(cache, snapshot, "sectors")
    assert zh_png != en_png
    assert cache.stats().renders == 2
    assert png_size(zh_png) == png_size(en_png)
    assert render_chart(snapshot, "sectors", language="zh") == zh_png


def test_an_unknown_chart_language_is_refused(snapshot: Snapshot) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        chart_key(snapshot, "rrg-sectors", language="fr")


def test_the_cli_draws_a_chart_in_the_language_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    images = {}
    for language in ("en", "zh"):
        target = tmp_path / f"sectors-{language}.png"
        argv = ("chart", "sectors", "-o", str(target), "--source", "demo", "--as-of", "2025-11-20")
        code, _, err = run_cli(capsys, *argv, "--lang", language)
        assert code == 0, err
        images[language] = target.read_bytes()
    assert images["zh"] != images["en"]
    assert png_size(images["zh"]) == png_size(images["en"])
    code, _, err = run_cli(capsys, "chart", "sectors", "-o", "x.png", "--lang", "fr")
    assert code == 2
    assert "--lang" in err


def test_a_missing_glyph_fails_the_draw() -> None:
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, "板块", family="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        drawn_texts(figure)


def test_the_chinese_family_is_the_bundled_one_else_a_system_one_else_none() -> None:
    assert families("zh") == ["Noto Sans CJK SC", "DejaVu Sans"]
    assert pick_cjk_family(["DejaVu Sans", "WenQuanYi Zen Hei"]) == "WenQuanYi Zen Hei"
    assert pick_cjk_family(["DejaVu Sans", "Noto Sans CJK SC", "Source Han Sans SC"]) == (
        "Noto Sans CJK SC"
    )
    assert pick_cjk_family(["DejaVu Sans"]) is None
    assert families("en") == "DejaVu Sans"


@pytest.mark.parametrize("name", NAMES)
def test_a_chinese_chart_finds_its_bold_face_without_a_warning(
    snapshot: Snapshot, name: ChartName, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        drawn_texts(figure_of(snapshot, name, "zh"))
    assert [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib")] == []

"""The neutral tables of the full briefing, /sectors and /rotation, in both languages."""

from __future__ import annotations

import pytest

from briefings import (
    Briefing,
    MarketService,
    breadth_tables,
    briefing_tables,
    factors_tables,
    movers_tables,
    render_factors,
    render_sectors,
    rotation_tables,
    sectors_tables,
)


@pytest.fixture(scope="module")
def briefing(golden_service: MarketService) -> Briefing:
    return golden_service.snapshot().briefing


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sectors_table_has_the_leaderboard_of_the_html_view(briefing: Briefing, lang: str) -> None:
    view = sectors_tables(briefing, "YTD", lang)
    (table,) = view.sections[0].tables
    assert len(table.rows) == len(briefing.leaderboards["YTD"])
    assert all(len(row) == len(table.header) for row in table.rows)
    html = render_sectors(briefing, "YTD", "html", lang)
    # The same names and figures, best first, as the HTML view shows them.
    for rank, name, ticker, figure in table.rows:
        assert f"{rank}. {name} ({ticker}) <b>{figure}</b>" in html
    assert view.subtitle in html


def test_tables_speak_the_language(briefing: Briefing) -> None:
    english, chinese = (rotation_tables(briefing, "1M", lang) for lang in ("en", "zh"))
    assert english.sections[0].tables[0].header[0] == "Pair"
    assert chinese.sections[0].tables[0].header[0] == "配对"
    assert chinese.title != english.title


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_full_briefing_holds_every_table(briefing: Briefing, lang: str) -> None:
    view = briefing_tables(briefing, lang)
    tables = [table for section in view.sections for table in section.tables]
    # One table per group, then rotation, sectors and breadth.
    assert len(tables) == len(briefing.groups) + 3
    assert briefing.story is not None
    assert view.sections[0].items
    assert len(view.sections[0].items) == len(briefing.story.takeaways)
    for table in tables:
        assert table.rows
        assert all(len(row) == len(table.header) for row in table.rows)


def test_an_unknown_window_is_refused(briefing: Briefing) -> None:
    with pytest.raises(ValueError, match="unknown window"):
        sectors_tables(briefing, "2Y")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_member_tables_hold_breadth_and_movers(briefing: Briefing, lang: str) -> None:
    (index,) = briefing.members
    breadth = breadth_tables(briefing, lang)
    (table,) = breadth.sections[0].tables
    assert len(table.rows) == 1 + len(index.breadth_ranked())  # the index, then its sectors
    movers = movers_tables(briefing, "1M", lang)
    captions = [t.caption for t in movers.sections[0].tables]
    assert len(captions) == 4  # lifted, weighed on, gains, losses
    gains = movers.sections[0].tables[2]
    assert [row[0] for row in gains.rows] == [c.ticker for c in index.movers["1M"].gainers]


def test_table_cells_are_plain_text_not_html(briefing: Briefing) -> None:
    views = [briefing_tables(briefing), movers_tables(briefing, "1M"), breadth_tables(briefing)]
    texts = [
        cell
        for view in views
        for section in view.sections
        for table in section.tables
        for cell in (*table.header, *(c for row in table.rows for c in row))
    ]
    texts += [section.heading for view in views for section in view.sections]
    assert not [text for text in texts if "&amp;" in text or "<" in text]
    assert any("&" in text for text in texts)  # "S&P 500" is shown as it is


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_factor_table_ranks_like_html(golden_service: MarketService, lang: str) -> None:
    snapshot = golden_service.snapshot()
    view = factors_tables(snapshot, "YTD", lang)
    (table,) = view.sections[0].tables
    assert table.rows
    html = render_factors(snapshot, "YTD", "html", lang)
    for rank, name, ticker, figure, _spread in table.rows:
        assert f"{rank}. {name} ({ticker}) <b>{figure}</b>" in html

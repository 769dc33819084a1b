"""Rendered messages match the golden files in tests/golden/ (UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from briefings.model import Briefing
from briefings.render.members import render_breadth, render_movers
from briefings.render.views import (
    render_basket_breadth,
    render_briefing,
    render_pair,
    render_rotation,
    render_sectors,
    render_since,
    render_since_low,
    render_summary,
)
from briefings.service import MarketService
from briefings.snapshot import Snapshot

GOLDEN = Path(__file__).parent / "golden"
AS_OF = date(2025, 11, 20)


@pytest.fixture(scope="module")
def snapshot(golden_service: MarketService) -> Snapshot:
    """Return the demo market's snapshot for a fixed session, with a fixed clock."""
    return golden_service.snapshot(as_of=AS_OF, since=date(2025, 10, 31))


def check_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8")


VIEWS: dict[str, Callable[[Snapshot], str]] = {
    "briefing.txt": lambda s: render_briefing(s.briefing, "text"),
    "briefing.html": lambda s: render_briefing(s.briefing, "html"),
    "briefing.json": lambda s: render_briefing(s.briefing, "json"),
    "rotation-1M.html": lambda s: render_rotation(s.briefing, "1M", "html"),
    "rotation-YTD.txt": lambda s: render_rotation(s.briefing, "YTD", "text"),
    "sectors-MTD.html": lambda s: render_sectors(s.briefing, "MTD", "html"),
    "sectors-1Y.txt": lambda s: render_sectors(s.briefing, "1Y", "text"),
    "since.html": lambda s: render_since(s.briefing, s.since(date(2025, 4, 8)), "html"),
    "pair-IWM-QQQ.html": lambda s: render_pair(s.briefing, s.pair("IWM", "QQQ"), "html"),
    "summary.html": lambda s: render_summary(s.briefing, "html"),
    "summary.txt": lambda s: render_summary(s.briefing, "text"),
    "basket-breadth.html": lambda s: render_basket_breadth(s.briefing, "html"),
    "since-low.html": lambda s: render_since_low(s.briefing, "html"),
    "breadth.html": lambda s: render_breadth(s.briefing, None, "html"),
    "breadth-tech.txt": lambda s: render_breadth(s.briefing, "tech", "text"),
    "movers-MTD.html": lambda s: render_movers(s.briefing, "MTD", "html"),
    "movers-1W.txt": lambda s: render_movers(s.briefing, "1W", "text"),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_rendered_view_matches_golden_file(snapshot: Snapshot, name: str) -> None:
    check_golden(name, VIEWS[name](snapshot))


def test_every_demo_view_says_simulated(snapshot: Snapshot) -> None:
    for name, view in VIEWS.items():
        text = view(snapshot).lower()
        assert "simulated" in text, name


def test_briefing_html_fits_one_telegram_message(snapshot: Snapshot) -> None:
    # The daily full briefing fits one message; a table since a date asked for may add a second
    # (the bot splits it, bot.desk.split).
    briefing: Briefing = dataclasses.replace(snapshot.briefing, since=None)
    for language in ("en", "zh"):
        assert len(render_briefing(briefing, "html", language)) <= 4096

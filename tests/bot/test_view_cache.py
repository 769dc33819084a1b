"""The desk renders each window view once per data, view, window and language."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.desk.market_desk import MarketDesk, ViewRenderer
from briefings.config import Settings
from briefings.model import Briefing
from briefings.render.views import Format, render_rotation
from briefings.service import MarketService
from tests.bot.conftest import make_data_dir


def counting(calls: list[tuple[str, str]]) -> ViewRenderer:
    """Return rotation's renderer, noting each (window, language) it renders."""

    def render(briefing: Briefing, window: str, fmt: Format, lang: str) -> str:
        calls.append((window, lang))
        return render_rotation(briefing, window, fmt, lang)

    return render


async def test_a_view_is_rendered_once_per_data_window_and_language(
    tmp_path: Path, demo_store: Path
) -> None:
    data_dir = make_data_dir(tmp_path, demo_store)
    desk = MarketDesk(MarketService.from_settings(Settings(data_dir=data_dir, source="demo")))
    briefing = (await desk.snapshot()).briefing
    calls: list[tuple[str, str]] = []
    render = counting(calls)

    first = desk.rendered_view(briefing, "rot", "1M", "en", render)
    assert desk.rendered_view(briefing, "rot", "1M", "en", render) == first
    assert calls == [("1M", "en")]
    assert first == render_rotation(briefing, "1M", "html", "en")

    chinese = desk.rendered_view(briefing, "rot", "1M", "zh", render)
    other_window = desk.rendered_view(briefing, "rot", "YTD", "en", render)
    assert calls == [("1M", "en"), ("1M", "zh"), ("YTD", "en")]
    assert len({first, chinese, other_window}) == 3

    newer = dataclasses.replace(briefing, data_version=briefing.data_version + "+1")
    desk.rendered_view(newer, "rot", "1M", "en", render)
    assert calls[-1] == ("1M", "en")
    assert len(calls) == 4  # new data: rendered again

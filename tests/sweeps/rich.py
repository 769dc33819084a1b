"""Sweep: the full briefing as one rich message stays within Telegram's limits, every session.

Run: uv run python -m tests.sweeps.rich [--from 2025-01-02] [--to 2026-07-31]
It sweeps every real session of the span (skipped without ../shared/market-data). Per session
and language (``check_rich``): the full briefing's neutral tables, made into rich blocks by the
bot's desk, measure within 32,768 characters, 500 blocks, 16 levels and 20 table columns, and
the local Bot API's validation of sendRichMessage accepts them; so do /sectors, /rotation and
/movers for the briefing's own window, and /breadth.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date

from bot.desk.rich_views import rich_view
from bot.telegram_next import RichMessage, rich_size
from briefings.i18n import LANGUAGES
from briefings.render.tables import (
    breadth_tables,
    briefing_tables,
    movers_tables,
    rotation_tables,
    sectors_tables,
)
from briefings.service import MarketService
from localapi.rich import rich_message
from tests.sweeps._runner import Check, main

SPAN = (date(2025, 1, 2), date(2026, 7, 31))


def assert_fits(message: RichMessage, where: str) -> None:
    """``message`` is within every limit, and the local server takes it."""
    size = rich_size(message.blocks)
    assert not size.over_limits(), f"{where} breaks {size.over_limits()}: {size}"
    rich_message(message.to_api())  # raises (400) on a block or limit the server refuses


def check_rich(service: MarketService, session: date) -> None:
    """The session's full briefing and table views fit one rich message each."""
    briefing = service.snapshot(as_of=session).briefing
    assert briefing.as_of == session, f"briefing is of {briefing.as_of}"
    for language in LANGUAGES:
        assert_fits(rich_view(briefing_tables(briefing, language)), f"full ({language})")
        window = briefing.period
        assert_fits(rich_view(sectors_tables(briefing, window, language)), f"sectors ({language})")
        rotation = rotation_tables(briefing, window, language)
        assert_fits(rich_view(rotation), f"rotation ({language})")
        assert_fits(rich_view(movers_tables(briefing, window, language)), f"movers ({language})")
        assert_fits(rich_view(breadth_tables(briefing, language)), f"breadth ({language})")


def rich_check(service: MarketService) -> Check:
    return lambda session: check_rich(service, session)


def run(argv: Sequence[str] | None = None) -> int:
    """Sweep the span; print each failure and the count; return the exit status."""
    return main("rich", argv, SPAN, rich_check)


if __name__ == "__main__":
    sys.exit(run())

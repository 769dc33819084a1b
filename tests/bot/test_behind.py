"""Data that ends before the last session: the bot picks the benchmark's session and says so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from briefings.config import Settings
from briefings.service import MarketService
from briefings.sources.csvdir import CsvDirectorySource
from briefings.store import PriceStore
from briefings.universe import load_universe
from localapi import ApiCall, LocalBotApi
from tests.bot.conftest import running_bot
from tests.test_session_choice import RUT_END, SPY_END, write_folder

USER = 7301
#: Monday 15 Dec 2025, mid-morning in New York: the last completed session is Fri 12 Dec.
MONDAY = datetime(2025, 12, 15, 15, 0, tzinfo=UTC)


async def test_replies_brief_on_the_benchmarks_session_and_say_the_data_is_behind(
    server: LocalBotApi, tmp_path: Path
) -> None:
    folder = tmp_path / "closes"
    folder.mkdir()
    write_folder(folder)  # SPY ends 21 Nov 2025, ^RUT 12 Dec, XLK 7 Nov
    data_dir = tmp_path / "data"
    store = PriceStore(Settings(data_dir=data_dir).store_path)

    def clock() -> datetime:
        return MONDAY

    service = MarketService(CsvDirectorySource(folder), store, load_universe(), clock=clock)
    async with running_bot(server, data_dir, clock, service=service) as bot:
        await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
        # ^RUT runs three weeks further, but the session is SPY's last close.
        assert store.last_dates(service.source_name)["^RUT"] == RUT_END
        assert service.freshness().last_session == SPY_END
        chat = bot.private_chat(USER)
        for text in ("/rotation", "/sectors", "/pair IWM SPY", "/since 2025-11-03"):
            reply = await bot.say_one(chat, text)
            assert "Fri 21 Nov 2025" in reply.shown_text, text
            assert reply.shown_text.rstrip().endswith(
                "Behind: the data ends Fri 21 Nov 2025;\nNYSE last closed Fri 12 Dec 2025."
            ), text
        # A window button edits the view in place and keeps the line.
        rotation = await bot.say_one(chat, "/rotation")
        bot.server.press_button(chat, USER, rotation.message_id, "rot:1M")
        await bot.server.wait_for_call("answerCallbackQuery")
        (edited,) = [
            m for m in bot.server.bot_messages(chat) if m.message_id == rotation.message_id
        ]
        assert "(1M)" in edited.shown_text
        assert "Behind: the data ends Fri 21 Nov 2025" in edited.shown_text
        parts = await bot.say(chat, "/brief")
        text = "\n".join(part.shown_text for part in parts)
        assert "close 2025-11-21" in text
        assert "XLK (last close 2025-11-07)" in text
        assert "Behind: the data ends Fri 21 Nov 2025" in parts[-1].shown_text
        # The summary's view buttons keep the line too, and back on the summary it stays.
        summary = parts[-1]
        rows = (summary.reply_markup or {}).get("inline_keyboard", [])
        views = {b["text"]: b["callback_data"] for row in rows for b in row}
        for label in ("📈 Breadth", "📉 Since low"):
            update = bot.server.press_button(chat, USER, summary.message_id, views[label])
            query: str = update["callback_query"]["id"]

            def answered(call: ApiCall, query: str = query) -> bool:
                return bool(call.params.get("callback_query_id") == query)

            await bot.server.wait_for_call("answerCallbackQuery", answered)
            (shown,) = [
                m for m in bot.server.bot_messages(chat) if m.message_id == summary.message_id
            ]
            assert "Behind: the data ends Fri 21 Nov 2025" in shown.shown_text, label

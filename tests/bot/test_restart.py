"""Restarts: subscriptions and jobs come back, missed deliveries are caught up, none twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.jobs import brief_jobs, catch_up
from bot.store.chats import ChatStore
from bot.store.database import Database
from localapi import LocalBotApi
from tests.bot.conftest import Harness, running_bot, seed_private_chats

NY = ZoneInfo("America/New_York")
#: Tuesday 25 Nov 2025, 10:00 in New York: the 08:00 briefing (Monday's session) is 2 h late.
TUESDAY_10AM = datetime(2025, 11, 25, 10, 0, tzinfo=NY)
MONDAY = date(2025, 11, 24)
CHATS = [6001, 6002, 6003, 6004, 6005]


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment.astimezone(UTC)


def seed(server: LocalBotApi, data_dir: Path, chats: list[int]) -> None:
    """Subscribe chats to 08:00 New York a week ago, straight into the database."""
    database = Database(data_dir / "bot.sqlite3")
    store = ChatStore(database)
    seed_private_chats(store, chats, TUESDAY_10AM - timedelta(days=7), server)
    database.close()


async def started(bot: Harness) -> None:
    """Wait for the start-up catch-up and the broadcasts it began."""
    await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
    await bot.services.briefings.wait_idle()


async def test_restart_keeps_subscriptions_catches_up_and_never_resends(
    server: LocalBotApi, data_dir: Path
) -> None:
    seed(server, data_dir, CHATS)
    clock = at(TUESDAY_10AM)
    # The bot was down at 08:00: the start-up catch-up sends Monday's briefing.
    async with running_bot(server, data_dir, clock=clock) as first:
        await started(first)
        assert first.services.outbox.counts(MONDAY) == {"sent": len(CHATS)}
    delivered = {chat: len(server.bot_messages(chat)) for chat in CHATS}
    assert all(count >= 1 for count in delivered.values())

    async with running_bot(server, data_dir, clock=clock) as second:
        await started(second)
        assert [s.chat_id for s in second.services.chats.active()] == CHATS
        assert [job.name for job in brief_jobs(second.application)] == [
            "brief 08:00 America/New_York"
        ]
        assert await catch_up(second.application) == {}
    assert {chat: len(server.bot_messages(chat)) for chat in CHATS} == delivered


async def test_start_up_catches_up_within_the_window_only(
    server: LocalBotApi, data_dir: Path
) -> None:
    seed(server, data_dir, CHATS[:2])
    # Restarted seven hours after 08:00 with a six-hour window: too late, nothing is sent.
    async with running_bot(server, data_dir, clock=at(TUESDAY_10AM + timedelta(hours=5))) as bot:
        await started(bot)
    assert server.bot_messages() == []
    # Restarted within the window: sent without anyone asking.
    async with running_bot(server, data_dir, clock=at(TUESDAY_10AM)) as bot:
        await started(bot)
    assert {m.chat_id for m in server.bot_messages()} == set(CHATS[:2])

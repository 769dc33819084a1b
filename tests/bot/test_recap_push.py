"""Recaps in the bot: /settings recaps (administrators only in groups) and the monthly push."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.jobs import catch_up
from bot.store.chats import ChatStore
from bot.store.database import Database
from localapi import LocalBotApi
from tests.bot.conftest import Harness, running_bot, seed_private_chats

NY = ZoneInfo("America/New_York")
#: Monday 1 Dec 2025, 10:00 in New York: Friday 28 Nov, November's last session, is due.
MONDAY_10AM = datetime(2025, 12, 1, 10, 0, tzinfo=NY)
NOVEMBER_END = date(2025, 11, 28)
MONTHLY, WEEKLY, NONE = 7101, 7102, 7103
ADMIN, MEMBER = 7201, 7202


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment.astimezone(UTC)


def seed(server: LocalBotApi, data_dir: Path) -> None:
    """Subscribe three chats to 08:00 New York a week ago; two of them chose recaps."""
    database = Database(data_dir / "bot.sqlite3")
    store = ChatStore(database)
    choices = {MONTHLY: "monthly", WEEKLY: "weekly", NONE: None}
    seed_private_chats(store, list(choices), MONDAY_10AM - timedelta(days=7), server)
    for chat, recaps in choices.items():
        store.set_recaps(chat, chat_type="private", title=None, recaps=recaps)
    database.close()


def recap_rows(data_dir: Path) -> list[tuple[int, str, str]]:
    connection = sqlite3.connect(data_dir / "bot.sqlite3")
    try:
        rows = connection.execute(
            "SELECT chat_id, item, status FROM outbox WHERE item LIKE 'recap:%' ORDER BY chat_id"
        ).fetchall()
    finally:
        connection.close()
    return [(int(chat), str(item), str(status)) for chat, item, status in rows]


async def started(bot: Harness) -> None:
    """Wait for the start-up catch-up and the broadcasts (recaps included) it began."""
    await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
    await bot.services.briefings.wait_idle()


async def test_an_opted_in_chat_gets_the_monthly_recap_once_even_after_a_restart(
    server: LocalBotApi, data_dir: Path
) -> None:
    seed(server, data_dir)
    clock = at(MONDAY_10AM)
    async with running_bot(server, data_dir, clock=clock) as first:
        await started(first)
    texts = {
        chat: [m.text or "" for m in server.bot_messages(chat)] for chat in (MONTHLY, WEEKLY, NONE)
    }
    assert sum("November 2025 in review" in text for text in texts[MONTHLY]) == 1
    assert not any("The week to" in text for text in texts[MONTHLY])
    assert sum("The week to 2025-11-28 in review" in text for text in texts[WEEKLY]) == 1
    assert not any("in review" in text for text in texts[NONE])
    # The briefing came first; the recap follows it.
    assert "in review" not in texts[MONTHLY][0]
    assert recap_rows(data_dir) == [
        (MONTHLY, "recap:month", "sent"),
        (WEEKLY, "recap:week", "sent"),
    ]

    async with running_bot(server, data_dir, clock=clock) as second:
        await started(second)
        assert await catch_up(second.application) == {}
        await second.services.briefings.wait_idle()
    after = {
        chat: [m.text or "" for m in server.bot_messages(chat)] for chat in (MONTHLY, WEEKLY, NONE)
    }
    assert after == texts


async def test_a_recap_lost_to_a_crash_is_caught_up_after_the_restart(
    server: LocalBotApi, data_dir: Path
) -> None:
    seed(server, data_dir)
    clock = at(MONDAY_10AM)
    async with running_bot(server, data_dir, clock=clock) as first:
        await started(first)
    # As if the process died after the briefing, before the recap went out.
    connection = sqlite3.connect(data_dir / "bot.sqlite3")
    connection.execute("DELETE FROM outbox WHERE chat_id = ? AND item = 'recap:month'", (MONTHLY,))
    connection.commit()
    connection.close()
    before = len(server.bot_messages(MONTHLY))
    async with running_bot(server, data_dir, clock=clock) as second:
        await started(second)
    new = [m.text or "" for m in server.bot_messages(MONTHLY)[before:]]
    assert len(new) == 1
    assert "November 2025 in review" in new[0]


async def test_only_group_admins_choose_recaps_and_bad_choices_get_usage(bot: Harness) -> None:
    group = bot.group(-100710, admins=(ADMIN,), members=(MEMBER,))
    refused = await bot.say_one(group, "/settings recaps monthly", user_id=MEMBER)
    assert "Only this group's administrators can choose its recaps" in refused.shown_text
    assert bot.services.chats.recaps(group) is None

    accepted = await bot.say_one(group, "/settings recaps both", user_id=ADMIN)
    assert "Recaps on: the week and the month" in accepted.shown_text
    assert bot.services.chats.recaps(group) == "both"
    shown = await bot.say_one(group, "/settings", user_id=MEMBER)
    assert "Recaps: weekly and monthly" in shown.shown_text

    chat = bot.private_chat(7203)
    wrong = await bot.say_one(chat, "/settings recaps daily")
    assert "Which recaps? Use one of weekly, monthly, both, off." in wrong.shown_text
    assert bot.services.chats.recaps(chat) is None
    off = await bot.say_one(chat, "/settings recaps off")
    assert "No more recaps" in off.shown_text

"""/settings chart: a chart after the daily briefing, drawn once, tracked as the last part."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.delivery.outbox import BRIEFING, OutboxLog, new_owner, retire_owner
from bot.store.chats import ChatStore
from bot.store.database import Database
from localapi import LocalBotApi
from tests.bot.conftest import Harness, running_bot, seed_private_chats
from tests.bot.test_charts import PNG_SIGNATURE

NY = ZoneInfo("America/New_York")
#: Tuesday 25 Nov 2025, 10:00 New York: the 08:00 briefing (Monday's session) is 2 h late.
TUESDAY_10AM = datetime(2025, 11, 25, 10, 0, tzinfo=NY)
MONDAY = date(2025, 11, 24)
USER, ADMIN, MEMBER = 8101, 8102, 8103


def at(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def tuesday_10am() -> datetime:
    return at(TUESDAY_10AM)


def seed(server: LocalBotApi, data_dir: Path, charts: dict[int, str | None]) -> None:
    """Subscribe chats to 08:00 New York a week ago, each with its chart."""
    database = Database(data_dir / "bot.sqlite3")
    store = ChatStore(database)
    seed_private_chats(store, list(charts), TUESDAY_10AM - timedelta(days=7), server)
    for chat, chart in charts.items():
        store.set_chart(chat, chart, at(TUESDAY_10AM))
    database.close()


async def started(bot: Harness) -> None:
    """Wait for the start-up catch-up and the broadcasts it began."""
    await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
    await bot.services.briefings.wait_idle()


async def test_settings_chart_is_for_subscribed_chats_and_group_admins(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    unsubscribed = await bot.say_one(chat, "/settings chart rrg")
    assert "no daily briefing" in unsubscribed.shown_text
    await bot.say_one(chat, "/subscribe")
    chosen = await bot.say_one(chat, "/settings chart RRG")
    assert "sector rotation graph" in chosen.shown_text
    shown = await bot.say_one(chat, "/settings")
    assert "Chart after the briefing: rrg" in shown.shown_text
    assert "Alerts: off" in shown.shown_text
    for text, problem in {
        "/settings chart pie": "“pie” is not a chart; use one of rrg, pairs, sectors, breadth, off",
        "/settings chart": "Which chart?",
        "/settings colour red": "is not a setting",
        "/settings chart rrg now": "Too many arguments",
    }.items():
        reply = await bot.say_one(chat, text)
        assert problem in reply.shown_text, (text, reply.shown_text)
        assert "Usage: /settings" in reply.shown_text
    stored = bot.services.chats.subscription(chat)
    assert stored is not None
    assert stored.chart == "rrg"
    off = await bot.say_one(chat, "/settings chart off")
    assert "text only" in off.shown_text
    assert (cleared := bot.services.chats.subscription(chat)) is not None
    assert cleared.chart is None

    group = bot.group(-8100, admins=(ADMIN,), members=(MEMBER,))
    await bot.say_one(group, "/subscribe", user_id=ADMIN)
    refused = await bot.say_one(group, "/settings chart pairs", user_id=MEMBER)
    assert "Only this group's administrators can change the chart" in refused.shown_text
    assert (member_try := bot.services.chats.subscription(group)) is not None
    assert member_try.chart is None
    accepted = await bot.say_one(group, "/settings chart pairs", user_id=ADMIN)
    assert "ratio chart" in accepted.shown_text
    assert (admin_set := bot.services.chats.subscription(group)) is not None
    assert admin_set.chart == "pairs"


async def test_the_briefing_ends_with_the_chart_and_a_restart_resends_nothing(
    server: LocalBotApi, data_dir: Path
) -> None:
    with_chart, also_chart, text_only, crashed = 8201, 8202, 8203, 8204
    seed(server, data_dir, {with_chart: "rrg", also_chart: "rrg", text_only: None})
    async with running_bot(server, data_dir, clock=tuesday_10am) as first:
        await started(first)
        text_parts = len((await first.services.desk.rendered(MONDAY)).messages)
        assert first.services.outbox.counts(MONDAY) == {"sent": 3}
        record = first.services.outbox.get(with_chart, MONDAY)
        assert record is not None
        assert (record.parts_total, record.parts_sent) == (text_parts + 1, text_parts + 1)
        # Drawn once for both chats; uploaded once, then sent by file_id.
        assert first.services.charts.cache.stats().renders == 1
        photo_calls = server.calls("sendPhoto")
        assert len(photo_calls) == 2
        assert sum(isinstance(c.params.get("photo"), str) for c in photo_calls) == 1
    for chat in (with_chart, also_chart):
        messages = server.bot_messages(chat)
        assert [m.kind for m in messages] == ["text"] * text_parts + ["photo"]
        assert "Market rotation brief" in (messages[0].text or "")
        photo = messages[-1]
        assert photo.photo is not None
        assert photo.photo.startswith(PNG_SIGNATURE)
        assert "Sector rotation vs SPY" in photo.shown_text
        assert "Close of Mon 24 Nov 2025" in photo.shown_text
    assert [m.kind for m in server.bot_messages(text_only)] == ["text"] * text_parts

    # Another chat's delivery died after its text and before its photo (the state a kill -9
    # leaves): the restart sends that chat the photo alone and everyone else nothing.
    seed(server, data_dir, {crashed: "pairs"})
    database = Database(data_dir / "bot.sqlite3")
    log, owner, items = OutboxLog(database), new_owner(), (BRIEFING,)
    log.claim(crashed, MONDAY, items, owner, at(TUESDAY_10AM))
    for part in range(text_parts):
        log.begin_part(crashed, MONDAY, items, part, text_parts + 1, at(TUESDAY_10AM))
        log.part_sent(crashed, MONDAY, items, part, text_parts + 1, at(TUESDAY_10AM))
    retire_owner(owner)
    database.close()
    before = {chat: len(server.bot_messages(chat)) for chat in (with_chart, also_chart, text_only)}

    async with running_bot(server, data_dir, clock=tuesday_10am) as second:
        await started(second)
        assert second.services.outbox.counts(MONDAY) == {"sent": 4}
    after = {chat: len(server.bot_messages(chat)) for chat in (with_chart, also_chart, text_only)}
    assert after == before
    (photo,) = server.bot_messages(crashed)
    assert photo.kind == "photo"
    assert "price ratios" in photo.shown_text

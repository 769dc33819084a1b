"""Subscribing: schedules, jobs, group administrators, forum topics, the scheduled delivery."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from bot.store.chats import Schedule
from bot.services.jobs import brief_jobs, next_refresh_time, push_now
from briefings.clock import utc_now
from localapi import LocalBotApi
from tests.bot.conftest import Harness, running_bot

NY = ZoneInfo("America/New_York")
USER, ADMIN, MEMBER = 3003, 3004, 3005


def job_names(bot: Harness) -> set[str]:
    return {job.name or "" for job in brief_jobs(bot.application)}


async def test_subscribe_change_and_unsubscribe(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/subscribe")
    assert "Subscribed" in reply.shown_text
    assert "08:00 America/New_York" in reply.shown_text
    assert "Next one:" in reply.shown_text
    stored = bot.services.chats.subscription(chat)
    assert stored is not None
    assert stored.active
    assert stored.schedule == Schedule(time(8, 0), "America/New_York")
    assert (stored.chat_type, stored.subscribed_by, stored.thread_id) == ("private", USER, None)
    assert job_names(bot) == {"brief 08:00 America/New_York"}

    changed = await bot.say_one(chat, "/subscribe europe/london 7:30")
    assert "Updated" in changed.shown_text
    assert "07:30 Europe/London" in changed.shown_text
    assert job_names(bot) == {"brief 07:30 Europe/London"}

    only_time = await bot.say_one(chat, "/subscribe 06:45")
    assert "06:45 Europe/London" in only_time.shown_text  # the zone is kept

    settings = await bot.say_one(chat, "/settings")
    assert "06:45 Europe/London" in settings.shown_text
    assert "Next:" in settings.shown_text

    gone = await bot.say_one(chat, "/unsubscribe")
    assert "Unsubscribed" in gone.shown_text
    assert job_names(bot) == set()
    after = bot.services.chats.subscription(chat)
    assert after is not None
    assert not after.active
    again = await bot.say_one(chat, "/unsubscribe")
    assert "not subscribed" in again.shown_text
    settings = await bot.say_one(chat, "/settings")
    assert "Not subscribed" in settings.shown_text


async def test_chats_sharing_a_schedule_share_one_job(bot: Harness) -> None:
    for user in (USER, USER + 10, USER + 20):
        await bot.say_one(bot.private_chat(user), "/subscribe 09:15 Asia/Tokyo")
    assert job_names(bot) == {"brief 09:15 Asia/Tokyo"}
    await bot.say_one(USER, "/unsubscribe")
    assert job_names(bot) == {"brief 09:15 Asia/Tokyo"}


async def test_bad_schedules_get_usage_replies(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    cases = {
        "/subscribe 25:00": "not a time of day",
        "/subscribe 08:00 Mars/Base": "is not a time zone",
        "/subscribe 08:00 09:00": "one time only",
        "/subscribe 08:00 Europe/Paris Asia/Tokyo": "one time zone only",
        "/subscribe 08:00 a b c d": "Too many arguments",
        "/subscribe Europe/Paris Asia/Tokyo": "one time zone only",
    }
    for text, expected in cases.items():
        reply = await bot.say_one(chat, text)
        assert expected in reply.shown_text, text
        assert "Usage: /subscribe [HH:MM] [Area/City]" in reply.shown_text
    assert bot.services.chats.subscription(chat) is None


async def test_only_group_admins_change_the_subscription(bot: Harness) -> None:
    group = bot.group(-100700, admins=(ADMIN,), members=(MEMBER,))
    refused = await bot.say_one(group, "/subscribe", user_id=MEMBER)
    assert "Only this group's administrators" in refused.shown_text
    assert bot.services.chats.subscription(group) is None
    assert bot.server.calls("getChatMember")

    accepted = await bot.say_one(group, "/subscribe 16:30", user_id=ADMIN)
    assert "Subscribed" in accepted.shown_text
    stored = bot.services.chats.subscription(group)
    assert stored is not None
    assert (stored.chat_type, stored.title, stored.subscribed_by) == (
        "supergroup",
        "Traders",
        ADMIN,
    )

    refused = await bot.say_one(group, "/unsubscribe", user_id=MEMBER)
    assert "Only this group's administrators" in refused.shown_text
    anyone = await bot.say_one(group, "/settings", user_id=MEMBER)
    assert "16:30 America/New_York" in anyone.shown_text
    gone = await bot.say_one(group, "/unsubscribe", user_id=ADMIN)
    assert "Unsubscribed" in gone.shown_text


async def test_the_group_creator_may_subscribe(bot: Harness) -> None:
    group = bot.group(-100701, type="group", title="Club")
    bot.server.add_user(ADMIN, first_name="Owner")
    bot.server.set_member_status(group, ADMIN, "creator")
    reply = await bot.say_one(group, "/subscribe", user_id=ADMIN)
    assert "Subscribed" in reply.shown_text


async def test_forum_topic_gets_the_briefing(bot: Harness) -> None:
    forum = bot.group(-100800, admins=(ADMIN,), is_forum=True, title="Desk")
    reply = await bot.say_one(forum, "/subscribe", user_id=ADMIN, thread=42)
    assert reply.message_thread_id == 42
    assert "in this topic" in reply.shown_text
    stored = bot.services.chats.subscription(forum)
    assert stored is not None
    assert stored.thread_id == 42

    seen = len(bot.server.bot_messages(forum))
    await push_now(bot.application, [forum])
    briefing = await bot.settle(forum, seen)
    assert briefing
    assert all(message.message_thread_id == 42 for message in briefing)
    assert "Market rotation brief" in briefing[0].shown_text


async def test_the_scheduled_job_delivers_late_within_grace(
    server: LocalBotApi, data_dir: Path
) -> None:
    # Tuesday 25 Nov 2025, just before 08:00 in New York: the briefing is Monday's session.
    with time_machine.travel(datetime(2025, 11, 25, 7, 59, 0, tzinfo=NY), tick=True) as traveller:
        async with running_bot(server, data_dir) as bot:
            chat = bot.private_chat(USER)
            await bot.say_one(chat, "/subscribe 08:00 America/New_York")
            seen = len(bot.server.bot_messages(chat))
            # Half an hour late (the machine slept): APScheduler's default would skip it.
            traveller.move_to(datetime(2025, 11, 25, 8, 30, 0, tzinfo=NY))
            assert bot.application.job_queue is not None
            bot.application.job_queue.scheduler.wakeup()
            delivered = await bot.settle(chat, seen)
            assert "close 2025-11-24" in delivered[0].shown_text
            record = bot.services.outbox.get(chat, date(2025, 11, 24))
            assert record is not None
            assert record.status == "sent"
            await bot.services.briefings.wait_idle()


async def test_the_refresh_job_follows_the_next_close(bot: Harness) -> None:
    assert bot.application.job_queue is not None
    (job,) = bot.application.job_queue.get_jobs_by_name("refresh")
    expected = next_refresh_time(utc_now(), bot.services.settings.refresh_delay)
    assert job.next_t == expected
    before = bot.services.desk.service.freshness().last_refresh
    await job.run(bot.application)
    after = bot.services.desk.service.freshness().last_refresh
    assert after is not None
    assert after.ok
    assert before is None or after.when > before.when
    (rescheduled,) = bot.application.job_queue.get_jobs_by_name("refresh")
    assert rescheduled.next_t is not None
    assert rescheduled.next_t > utc_now()

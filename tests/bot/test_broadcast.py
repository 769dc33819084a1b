"""Broadcasting: idempotent, inside flood limits, and robust to 429, 403, migration and 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import InvalidToken

from bot.config import RateLimits
from bot.delivery.outbox import Status
from bot.delivery.sender import Outcome, PreparedMarkup, RetryPolicy, TextPart
from bot.runtime.app import build_application, stop_services
from bot.services.hub import get_services
from bot.services.jobs import push_now
from bot.store.chats import Schedule
from briefings.service import MarketService
from localapi import FloodLimits, LocalBotApi
from tests.bot.conftest import Harness, make_settings, running_bot

EIGHT_NY = Schedule(time(8, 0), "America/New_York")
QUICK_RETRIES = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.2)


def subscribe(bot: Harness, chat_id: int, chat_type: str = "private") -> None:
    bot.services.chats.subscribe(
        chat_id,
        chat_type=chat_type,
        title=f"chat {chat_id}",
        thread_id=None,
        schedule=EIGHT_NY,
        subscribed_by=None,
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )


def texts(bot: Harness, chat_id: int) -> list[str]:
    return [m.text or "" for m in bot.server.bot_messages(chat_id)]


async def test_push_sends_once_and_a_second_push_sends_nothing(bot: Harness) -> None:
    chats = [bot.private_chat(4000 + i) for i in range(3)]
    for chat in chats:
        subscribe(bot, chat)
    report = await push_now(bot.application)
    assert report.count(Outcome.SENT) == 3
    parts = len(bot.server.bot_messages(chats[0]))
    assert parts >= 1
    # Rendered once: every chat got the very same text.
    assert texts(bot, chats[1]) == texts(bot, chats[0]) == texts(bot, chats[2])
    assert "Market rotation brief" in texts(bot, chats[0])[0]

    again = await push_now(bot.application)
    assert again.count(Outcome.SKIPPED) == 3
    assert sum(len(bot.server.bot_messages(c)) for c in chats) == 3 * parts
    assert bot.services.outbox.counts(report.session) == {"sent": 3}


async def test_a_pushed_message_carries_the_bots_defaults(bot: Harness) -> None:
    chat = bot.private_chat(4100)
    subscribe(bot, chat)
    await push_now(bot.application)
    calls = [c for c in bot.server.calls("sendMessage") if c.params["chat_id"] == chat]
    assert calls
    for call in calls:
        # As the bot's typed methods send them: HTML, and no link previews (its Defaults).
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"] == {"is_disabled": True}


async def test_a_refused_token_leaves_the_push_pending_and_says_so(
    server: LocalBotApi, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Initialised, not polling (as ``marketbrief push``): polling would stop on the refusal.
    settings = make_settings(data_dir)
    service = MarketService.from_settings(settings.domain)
    application = build_application(settings, service, base_url=server.base_url)
    await application.initialize()
    try:
        server.add_user(4200, first_name="Ann")
        server.add_chat(4200, "private", title="Ann")
        get_services(application).chats.subscribe(
            4200,
            chat_type="private",
            title="Ann",
            thread_id=None,
            schedule=EIGHT_NY,
            subscribed_by=None,
            now=datetime(2025, 1, 1, tzinfo=UTC),
        )
        server.token = "revoked"
        report = await push_now(application)
    finally:
        await application.shutdown()
        await stop_services(application)
    assert report.outcomes == {4200: Outcome.PENDING}
    refusals = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert refusals
    assert all(isinstance(error, InvalidToken) for error in refusals)


async def test_a_429_storm_loses_nothing_and_stays_inside_the_limits(
    server: LocalBotApi, data_dir: Path
) -> None:
    server.set_flood_limits(FloodLimits())
    async with running_bot(server, data_dir, rate_limits=RateLimits()) as bot:
        privates = [bot.private_chat(5000 + i) for i in range(40)]
        groups = [bot.group(-5000 - i) for i in range(5)]
        for chat in privates:
            subscribe(bot, chat)
        for chat in groups:
            subscribe(bot, chat, "supergroup")
        server.add_fault("sendMessage", kind="retry_after", times=6, retry_after=1)
        report = await push_now(bot.application)
        assert report.count(Outcome.SENT) == 45
        counts = {len(bot.server.bot_messages(chat)) for chat in privates + groups}
        assert len(counts) == 1  # every chat has the whole briefing, none has a duplicate
        assert server.flood_rejections == 0  # the limiter kept inside Telegram's limits
        limiter = bot.application.bot.rate_limiter
        assert getattr(limiter, "retries", 0) >= 6


async def test_a_blocked_chat_is_deactivated_without_retries(bot: Harness) -> None:
    ok, blocked = bot.private_chat(4101), bot.private_chat(4102)
    subscribe(bot, ok)
    subscribe(bot, blocked)
    bot.server.block_chat(blocked)
    report = await push_now(bot.application)
    assert report.outcomes == {ok: Outcome.SENT, blocked: Outcome.DEACTIVATED}
    stored = bot.services.chats.subscription(blocked)
    assert stored is not None
    assert not stored.active
    assert stored.inactive_reason is not None
    assert "blocked" in stored.inactive_reason
    attempts = [c for c in bot.server.calls("sendMessage") if c.params["chat_id"] == blocked]
    assert len(attempts) == 1
    record = bot.services.outbox.get(blocked, report.session)
    assert record is not None
    assert record.status is Status.FAILED


async def test_a_migrated_group_keeps_its_subscription(bot: Harness) -> None:
    old = bot.group(-4200, type="group", title="Club")
    subscribe(bot, old, "group")
    bot.server.migrate_chat(old, -1004200)
    report = await push_now(bot.application)
    assert report.migrated == {old: -1004200}
    assert report.outcomes == {old: Outcome.SENT}
    assert "Market rotation brief" in texts(bot, -1004200)[0]
    moved = bot.services.chats.subscription(-1004200)
    assert moved is not None
    assert moved.active
    assert moved.chat_type == "supergroup"
    assert bot.services.chats.subscription(old) is None
    assert bot.services.outbox.finished(report.session) == {-1004200}


async def test_server_errors_are_retried_then_left_pending(bot: Harness) -> None:
    bot.services.sender.retry = QUICK_RETRIES
    flaky, down = bot.private_chat(4301), bot.private_chat(4302)
    subscribe(bot, flaky)
    subscribe(bot, down)
    bot.server.add_fault("sendMessage", chat_id=flaky, kind="server_error", times=2)
    # As many failures as attempts: the delivery is left pending, then the outage is over.
    bot.server.add_fault("sendMessage", chat_id=down, kind="bad_gateway", times=3)
    report = await push_now(bot.application)
    assert report.outcomes == {flaky: Outcome.SENT, down: Outcome.PENDING}
    pending = bot.services.outbox.get(down, report.session)
    assert pending is not None
    assert pending.status is Status.PENDING
    assert pending.last_error is not None
    assert "Bad Gateway" in pending.last_error

    retry = await push_now(bot.application)
    assert retry.outcomes == {flaky: Outcome.SKIPPED, down: Outcome.SENT}


async def test_a_deleted_topic_falls_back_to_the_chat(bot: Harness) -> None:
    forum = bot.group(-4400, is_forum=True)
    bot.services.chats.subscribe(
        forum,
        chat_type="supergroup",
        title="Desk",
        thread_id=99,
        schedule=EIGHT_NY,
        subscribed_by=None,
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    bot.server.add_fault(
        "sendMessage",
        chat_id=forum,
        kind="bad_request",
        description="Bad Request: message thread not found",
    )
    report = await push_now(bot.application)
    assert report.outcomes == {forum: Outcome.SENT}
    assert bot.server.bot_messages(forum)[0].message_thread_id is None
    stored = bot.services.chats.subscription(forum)
    assert stored is not None
    assert stored.thread_id is None


async def test_a_session_the_store_cannot_reach_is_left_pending(
    server: LocalBotApi, data_dir: Path
) -> None:
    # The bot's clock is a year ahead of any data the source can give.
    future = datetime(2027, 11, 23, 15, 0, tzinfo=UTC)
    async with running_bot(server, data_dir, clock=lambda: future) as bot:
        chat = bot.private_chat(4501)
        subscribe(bot, chat)
        report = await push_now(bot.application)
        assert report.error is not None
        assert "no closes for 2027-11-22" in report.error
        assert report.outcomes == {chat: Outcome.PENDING}
        assert bot.server.bot_messages(chat) == []


def test_a_parts_keyboard_is_turned_into_json_once_for_every_chat() -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Rotation", callback_data="v:rot")]])
    part = TextPart("<b>brief</b>", keyboard)
    assert isinstance(part.reply_markup, PreparedMarkup)
    assert part.reply_markup == keyboard
    assert part.reply_markup.to_dict() == keyboard.to_dict()
    assert part.reply_markup.to_json() == keyboard.to_json()
    # The whole sendMessage body but the chat is built once too.
    assert part.request == {
        "text": "<b>brief</b>",
        "parse_mode": "HTML",
        "reply_markup": keyboard.to_dict(),
    }

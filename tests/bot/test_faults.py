"""Replies under faults, through the local Bot API server's fault injection.

Extreme dates get a usage reply; a reply that meets a 5xx is retried; a flood-limit storm and
a Bot API outage are each logged once at the start and once at the end, without tracebacks;
an expired button press is INFO; /stats asked in a group goes to a private chat; a change the
server cannot save (a full disk) gets a clear reply while reads keep working.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.config import RateLimits
from bot.delivery.ratelimit import FloodLimiter
from briefings.config import Settings
from localapi import ApiCall, LocalBotApi
from tests.bot.conftest import ADMIN_ID, FAST_LIMITS, Harness, running_bot
from tests.conftest import fill_disk

USER = 5101


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("day", ["1677-09-21", "0001-01-01", "9999-12-31", "2262-04-12"])
async def test_since_an_extreme_date_gets_a_usage_reply(bot: Harness, day: str) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, f"/since {day}")
    assert "Usage: /since YYYY-MM-DD" in reply.shown_text
    assert "Something went wrong" not in reply.shown_text


async def test_a_reply_that_meets_a_5xx_is_retried(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = bot.private_chat(USER)
    bot.server.add_fault("sendMessage", chat_id=chat, kind="bad_gateway", times=2)
    with caplog.at_level(logging.INFO):
        reply = await bot.say_one(chat, "/help")
    assert "Something went wrong" not in reply.shown_text
    statuses = [c.status for c in bot.server.calls("sendMessage") if c.params["chat_id"] == chat]
    assert statuses == [502, 502, 200]
    limiter = bot.application.bot.rate_limiter
    assert isinstance(limiter, FloodLimiter)
    assert limiter.server_error_retries == 2
    assert not errors(caplog)


def later_failure(after: float) -> Callable[[ApiCall], bool]:
    """Match a 502 answered after ``after`` (monotonic seconds)."""
    return lambda call: call.status == 502 and call.at > after


async def next_record(
    caplog: pytest.LogCaptureFixture, wanted: Callable[[logging.LogRecord], bool]
) -> logging.LogRecord:
    """Return the first captured record matching ``wanted`` once it is logged (PTB runs the
    error handler as a task of its own)."""
    for _ in range(250):
        found = next((r for r in caplog.records if wanted(r)), None)
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("no such log record within 5 s")


class Flaky:
    """A Bot API call that fails ``times`` times with ``error``, then answers."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error, self.times, self.calls = error, times, 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return {"ok": True}


QUICK = RateLimits(overall_per_second=1000, per_chat_per_second=1000, server_error_backoff=0.01)


@pytest.mark.parametrize(
    ("endpoint", "error", "calls", "raises"),
    [
        ("sendMessage", TimedOut(), 1, True),  # may have been delivered: never twice
        ("editMessageText", TimedOut(), 2, False),  # an edit repeated changes nothing
        ("answerCallbackQuery", TimedOut(), 2, False),
        ("sendMessage", NetworkError("Bad Gateway"), 2, False),  # Telegram did not take it
        ("editMessageText", BadRequest("Message is not modified"), 1, True),  # our mistake
    ],
)
async def test_a_timeout_is_retried_only_where_repeating_is_harmless(
    endpoint: str, error: Exception, calls: int, raises: bool
) -> None:
    limiter = FloodLimiter(QUICK)
    call = Flaky(error, times=1)
    if raises:
        with pytest.raises(type(error)):
            await limiter.process_request(call, (), {}, endpoint, {"chat_id": 1}, None)
    else:
        assert await limiter.process_request(call, (), {}, endpoint, {"chat_id": 1}, None)
    assert call.calls == calls


async def test_bulk_sends_are_left_to_the_broadcast_retries() -> None:
    limiter = FloodLimiter(QUICK)
    call = Flaky(NetworkError("Bad Gateway"), times=1)
    with pytest.raises(NetworkError):
        await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, 1)
    assert call.calls == 1


async def test_a_flood_storm_is_logged_once_at_its_start_and_end(
    server: LocalBotApi, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limits = RateLimits(
        overall_per_second=FAST_LIMITS.overall_per_second,
        per_chat_per_second=FAST_LIMITS.per_chat_per_second,
        per_chat_burst=FAST_LIMITS.per_chat_burst,
        max_retries=1,
    )
    async with running_bot(server, data_dir, rate_limits=limits) as bot:
        chat = bot.private_chat(USER)
        await bot.say(chat, "/help")
        server.add_fault("sendMessage", chat_id=chat, kind="retry_after", times=3)
        with caplog.at_level(logging.DEBUG):
            # Two replies meet the storm; the first is dropped after its retry.
            server.send_text(chat, chat, "/help")
            first = await server.wait_for_call("sendMessage", lambda c: c.status == 429)
            await server.wait_for_call("sendMessage", lambda c: c.status == 429 and c.at > first.at)
            reply = await bot.say_one(chat, "/help")
    assert "/brief" in reply.shown_text
    storm = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.delivery.ratelimit" and r.levelno == logging.WARNING
    ]
    assert len(storm) == 2, storm
    assert "flood limit hit" in storm[0]
    assert "storm over" in storm[1]
    assert "1 dropped" in storm[1]
    assert not errors(caplog)


async def test_a_bot_api_outage_is_one_warning_when_it_starts_and_one_when_it_ends(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = bot.private_chat(USER)
    await bot.say(chat, "/help")
    with caplog.at_level(logging.DEBUG):
        bot.server.add_fault("getUpdates", kind="bad_gateway", times=3)
        after = -1.0
        for _ in range(3):
            fault: ApiCall = await bot.server.wait_for_call(
                "getUpdates", later_failure(after), timeout=15
            )
            after = fault.at
        reply = await bot.say_one(chat, "/help")
    assert "/brief" in reply.shown_text
    outage = [r.getMessage() for r in caplog.records if r.name == "bot.delivery.outage"]
    assert len(outage) == 2, outage
    assert "not answering" in outage[0]
    assert "answering again" in outage[1]
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "bot.delivery.outage")
    assert not errors(caplog)
    assert bot.services.api_health.outages == 1
    assert not bot.services.api_health.is_down


async def test_an_expired_button_press_is_info_not_an_error(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/rotation")
    bot.server.add_fault(
        "answerCallbackQuery",
        kind="bad_request",
        description="Bad Request: query is too old and response timeout expired or query id "
        "is invalid",
        times=2,
    )
    with caplog.at_level(logging.INFO):
        bot.server.press_button(chat, USER, reply.message_id, "rot:1M")
        await bot.server.wait_for_call("answerCallbackQuery", lambda c: c.status == 400)
        expired = await next_record(caplog, lambda r: "expired" in r.getMessage())
    assert expired.levelno == logging.INFO
    assert not errors(caplog)


async def test_stats_asked_in_a_group_is_answered_privately(bot: Harness) -> None:
    group = bot.group(-5200, admins=(ADMIN_ID,))
    bot.private_chat(ADMIN_ID, "Operator")
    in_group = await bot.say_one(group, "/stats", user_id=ADMIN_ID)
    assert "private chat" in in_group.shown_text
    assert "Subscribers" not in in_group.shown_text
    private = await bot.server.wait_for_messages(ADMIN_ID, 1)
    assert "Bot statistics" in private[0].shown_text
    assert "Subscribers" in private[0].shown_text


async def test_stats_in_a_group_says_to_ask_privately_without_a_private_chat(
    bot: Harness,
) -> None:
    group = bot.group(-5201, admins=(ADMIN_ID,))
    in_group = await bot.say_one(group, "/stats", user_id=ADMIN_ID)
    assert "send /stats there" in in_group.shown_text.replace("\n", " ")
    assert "Subscribers" not in in_group.shown_text


async def test_a_full_disk_answers_could_not_save_and_keeps_serving_briefings(
    server: LocalBotApi,
    demo_store: Path,
    mount_point: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Room for the demo store with its 500 index members (about 25 MiB), then filled up.
    disk = mount_point("-t", "tmpfs", "-o", "size=64m", "tmpfs")
    data_dir = disk / "data"
    data_dir.mkdir()
    shutil.copy(demo_store, Settings(data_dir=data_dir).store_path)
    async with running_bot(server, data_dir) as bot:
        chat = bot.private_chat(USER)
        await bot.say(chat, "/brief")
        fill_disk(disk)
        with caplog.at_level(logging.WARNING):
            refused = await bot.say_one(chat, "/subscribe 07:30")
            alerts = await bot.say_one(chat, "/alerts on")
            briefing = await bot.say(chat, "/brief")
            since = await bot.say_one(chat, "/since 2026-01-02")
        (disk / "filler").unlink()
        saved = await bot.say_one(chat, "/subscribe 07:30")
    assert "Could not save that change:\nthe server's disk is full." in refused.shown_text
    assert "Could not save" in alerts.shown_text
    assert "Market rotation brief" in briefing[0].shown_text
    assert "Since" in since.shown_text or "2026-01-02" in since.shown_text
    assert "07:30" in saved.shown_text
    assert not errors(caplog)

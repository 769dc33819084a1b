"""Paid broadcasts: the flag on every broadcast message, the paid pace, free pacing for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.config import RateLimits
from bot.services.jobs import push_now
from bot.delivery.sender import Outcome
from localapi import FloodLimits, LocalBotApi
from tests.bot.conftest import running_bot
from tests.bot.test_broadcast import subscribe

FREE_RATE = 5
PAID_RATE = 60


def most_in_any_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered[i:] if t < start + 1.0) for i, start in enumerate(ordered))


async def test_a_paid_broadcast_passes_the_free_rate_inside_the_paid_one(
    server: LocalBotApi, data_dir: Path
) -> None:
    server.set_flood_limits(FloodLimits(global_per_second=FREE_RATE, paid_per_second=PAID_RATE))
    limits = RateLimits(overall_per_second=FREE_RATE, paid_broadcast_per_second=PAID_RATE)
    async with running_bot(server, data_dir, rate_limits=limits) as bot:
        chats = [bot.private_chat(6000 + i) for i in range(40)]
        for chat in chats:
            subscribe(bot, chat)
        bot.services.chats.set_chart(chats[0], "pairs", datetime.now(UTC))
        report = await push_now(bot.application)
        assert report.count(Outcome.SENT) == len(chats)
        sends = [c for c in server.calls("sendMessage") if c.status == 200]
        photos = [c for c in server.calls("sendPhoto") if c.status == 200]
        assert len(sends) >= len(chats)
        assert len(photos) == 1
        assert all(c.params.get("allow_paid_broadcast") is True for c in sends + photos)
        assert server.paid_broadcasts == len(sends) + len(photos)
        # Never above the paid rate (the server enforces it exactly), faster than the free one.
        assert server.flood_rejections == 0
        sent_at = [m.sent_at for chat in chats for m in server.bot_messages(chat)]
        assert most_in_any_second(sent_at) > FREE_RATE

        reply = await bot.say_one(chats[0], "/help")
        assert reply.text
        last = server.calls("sendMessage")[-1]
        assert "allow_paid_broadcast" not in last.params


async def test_without_the_setting_broadcasts_are_free_and_paced_at_the_free_rate(
    server: LocalBotApi, data_dir: Path
) -> None:
    server.set_flood_limits(FloodLimits(global_per_second=FREE_RATE * 4))
    limits = RateLimits(overall_per_second=FREE_RATE * 4)
    async with running_bot(server, data_dir, rate_limits=limits) as bot:
        chats = [bot.private_chat(6100 + i) for i in range(30)]
        for chat in chats:
            subscribe(bot, chat)
        report = await push_now(bot.application)
        assert report.count(Outcome.SENT) == len(chats)
        sends = [c for c in server.calls("sendMessage") if c.status == 200]
        assert not any("allow_paid_broadcast" in c.params for c in sends)
        assert server.paid_broadcasts == 0
        assert server.flood_rejections == 0

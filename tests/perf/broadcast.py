"""Benchmark: broadcast the session's briefing to thousands of chats under enforced flood limits.

Run: uv run python -m tests.perf.broadcast [--chats 3000] [--group-share 0.1] [--busy 2]
Prints figures, asserts nothing: machines are noisy, so compare the ratios within one run.

A local Bot API server enforces Telegram's flood limits (FloodLimits defaults: 30 messages/s
overall, ~1/s per private chat with a burst of 3, 20/min per group) and answers 429 beyond them.
The real bot (demo market, default RateLimits) runs against it with ``--chats`` chats subscribed
through its SubscriptionStore, then ``push_now`` broadcasts the current session's briefing.
Targets: delivery rate at least 0.95 of the enforced limit, no chat without the briefing, no
chat with a part twice. The bot deliberately paces broadcasts below the limit
(``bot.delivery.ratelimit.BULK_SHARE`` of ``RateLimits.overall_per_second``, stretched by ``SAFETY``),
so the rate is also given against that cap. ``--busy N`` runs N CPU-bound processes beside the
broadcast, as on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.store.chats import Schedule
from bot.config import RateLimits
from bot.services.jobs import push_now
from bot.delivery.ratelimit import BULK_SHARE, SAFETY, FloodLimiter
from bot.delivery.sender import Outcome
from bot.services.hub import BotApplication, get_services
from briefings.clock import utc_now
from localapi import FloodLimits, LocalBotApi
from tests.perf._harness import (
    bench_settings,
    busy_processes,
    demo_data_dir,
    local_api,
    running_bot,
)

FLOOD_LIMITS = FloodLimits()
BOT_LIMITS = RateLimits()
FIRST_PRIVATE_CHAT = 10_000_001
FIRST_SUPERGROUP = -1_001_000_000_001
TARGET_SHARE_OF_LIMIT = 0.95


@dataclass(frozen=True)
class Audience:
    """The subscribed chats: private chats and supergroups."""

    private: tuple[int, ...]
    groups: tuple[int, ...]

    @classmethod
    def mixed(cls, chats: int, group_share: float) -> Audience:
        """Return ``chats`` chat ids, a ``group_share`` of them supergroups, the rest private."""
        groups = round(chats * group_share)
        return cls(
            private=tuple(FIRST_PRIVATE_CHAT + i for i in range(chats - groups)),
            groups=tuple(FIRST_SUPERGROUP - i for i in range(groups)),
        )

    @property
    def chat_ids(self) -> tuple[int, ...]:
        """Return every chat id."""
        return self.private + self.groups


def quiet_schedule(now: datetime) -> Schedule:
    """Return a daily time twelve hours away, so no scheduled job fires during the benchmark."""
    later = now + timedelta(hours=12)
    return Schedule(later.time().replace(second=0, microsecond=0), "UTC")


def create_chats(server: LocalBotApi, audience: Audience) -> None:
    """Create the chats on the server (a private chat's id is its user's)."""
    for chat_id in audience.private:
        server.add_chat(chat_id, "private", title=f"Reader {chat_id}")
    for chat_id in audience.groups:
        server.add_chat(chat_id, "supergroup", title=f"Club {chat_id}")


def subscribe_all(application: BotApplication, audience: Audience) -> None:
    """Subscribe every chat through the bot's SubscriptionStore."""
    subscriptions = get_services(application).chats
    now = utc_now()
    schedule = quiet_schedule(now)
    for chat_ids, chat_type in ((audience.private, "private"), (audience.groups, "supergroup")):
        for chat_id in chat_ids:
            subscriptions.subscribe(
                chat_id,
                chat_type=chat_type,
                title=None,
                thread_id=None,
                schedule=schedule,
                subscribed_by=None,
                now=now,
            )


@dataclass(frozen=True)
class BroadcastResult:
    """What one broadcast did, as counted by the server and the bot."""

    chats: int
    groups: int
    parts: int
    delivered: int
    """Messages the server accepted (sendMessage with status 200)."""
    seconds: float
    lost: int
    """Chats missing at least one part of the briefing."""
    duplicated: int
    """Chats holding some part more than once."""
    rejections: int
    """Sends the server refused with 429."""
    limiter_retries: int
    outcomes: dict[str, int]
    cpu_seconds: float = 0.0
    """CPU of the whole process (the bot and the in-process server) during the broadcast."""

    @property
    def per_second(self) -> float:
        """Return delivered messages per second of the broadcast."""
        return self.delivered / self.seconds

    @property
    def share_of_limit(self) -> float:
        """Return the delivery rate ÷ the server's enforced overall limit."""
        return self.per_second / FLOOD_LIMITS.global_per_second

    @property
    def share_of_bot_cap(self) -> float:
        """Return the delivery rate ÷ the bot's own broadcast cap."""
        return self.per_second / bot_broadcast_cap(BOT_LIMITS)


def bot_broadcast_cap(limits: RateLimits) -> float:
    """Return the bot's broadcast pace: overall_per_second * BULK_SHARE / SAFETY messages/s."""
    return limits.overall_per_second * BULK_SHARE / SAFETY


def tally(server: LocalBotApi, audience: Audience, parts: Sequence[str]) -> tuple[int, int, int]:
    """Return (accepted sends, chats missing a part, chats with a part twice) on the server."""
    received: dict[int, Counter[str | None]] = defaultdict(Counter)
    for message in server.bot_messages():
        received[message.chat_id][message.text] += 1
    lost = sum(1 for chat_id in audience.chat_ids if any(received[chat_id][p] < 1 for p in parts))
    duplicated = sum(1 for copies in received.values() if any(n > 1 for n in copies.values()))
    accepted = sum(1 for call in server.calls("sendMessage") if call.status == 200)
    return accepted, lost, duplicated


async def run(chats: int, group_share: float) -> BroadcastResult:
    """Subscribe ``chats`` chats, broadcast the briefing under flood limits, count the result."""
    audience = Audience.mixed(chats, group_share)
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(demo_data_dir(Path(tmp)), BOT_LIMITS)
        async with local_api(FLOOD_LIMITS) as server:
            create_chats(server, audience)
            async with running_bot(
                server, settings, lambda app: subscribe_all(app, audience)
            ) as application:
                start, cpu = time.monotonic(), time.process_time()
                report = await push_now(application)
                seconds, cpu = time.monotonic() - start, time.process_time() - cpu
                parts = (await get_services(application).desk.rendered(report.session)).messages
                limiter = application.bot.rate_limiter
                retries = limiter.retries if isinstance(limiter, FloodLimiter) else 0
            delivered, lost, duplicated = tally(server, audience, parts)
            result = BroadcastResult(
                chats=len(audience.chat_ids),
                groups=len(audience.groups),
                parts=len(parts),
                delivered=delivered,
                seconds=seconds,
                lost=lost,
                duplicated=duplicated,
                rejections=server.flood_rejections,
                cpu_seconds=cpu,
                limiter_retries=retries,
                outcomes={o.value: report.count(o) for o in Outcome if report.count(o)},
            )
    print_result(result)
    return result


def print_result(result: BroadcastResult) -> None:
    """Print the rate against the enforced limit and the bot's cap, losses and duplicates."""
    cap = bot_broadcast_cap(BOT_LIMITS)
    verdict = "ok" if result.share_of_limit >= TARGET_SHARE_OF_LIMIT else "MISSED"
    print(
        f"broadcast of a {result.parts}-part briefing to {result.chats} chats "
        f"({result.chats - result.groups} private, {result.groups} supergroups)"
    )
    limits = FLOOD_LIMITS
    burst_seconds = limits.per_chat_burst / limits.per_chat_per_second
    print(
        f"  server limits: {limits.global_per_second:g}/s overall, {limits.per_chat_burst} per "
        f"{burst_seconds:g} s per private chat, {limits.per_group_per_minute}/min per group"
    )
    print(f"  total time          {result.seconds:8.1f} s")
    print(f"  delivered           {result.delivered:8d} messages  ({result.per_second:.2f}/s)")
    print(
        f"  rate ÷ enforced     {result.share_of_limit:8.3f}    target >= "
        f"{TARGET_SHARE_OF_LIMIT}  {verdict}"
    )
    print(
        f"  rate ÷ bot's cap    {result.share_of_bot_cap:8.3f}    cap {cap:.2f}/s = "
        f"RateLimits.overall_per_second {BOT_LIMITS.overall_per_second:g} "
        f"x BULK_SHARE {BULK_SHARE} / SAFETY {SAFETY}"
    )
    per_message = result.cpu_seconds / result.delivered * 1000 if result.delivered else 0.0
    print(f"  CPU per message     {per_message:8.3f} ms (bot and in-process server)")
    print(f"  lost (chats)        {result.lost:8d}    target 0")
    print(f"  duplicated (chats)  {result.duplicated:8d}    target 0")
    print(
        f"  429 from server     {result.rejections:8d}    "
        f"(retried by the bot's limiter: {result.limiter_retries})"
    )
    outcomes = ", ".join(f"{n} {name}" for name, n in result.outcomes.items())
    print(f"  bot's report        {outcomes}")


def main(argv: Sequence[str] | None = None) -> BroadcastResult:
    """Parse the command line, run the benchmark and return its result."""
    parser = argparse.ArgumentParser(description="Broadcast the briefing under flood limits.")
    parser.add_argument("--chats", type=int, default=3000, help="subscribed chats")
    parser.add_argument(
        "--group-share", type=float, default=0.1, help="share of the chats that are supergroups"
    )
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes beside it")
    options = parser.parse_args(argv)
    with busy_processes(options.busy):
        if options.busy:
            print(f"with {options.busy} CPU-bound process(es) running beside the broadcast")
        return asyncio.run(run(options.chats, options.group_share))


if __name__ == "__main__":
    main()

"""Benchmark: replies to people while ``marketbrief push`` broadcasts beside the running bot.

Run: uv run python -m tests.perf.replies_during_push [--chats 2000] [--users 200]
Prints figures, asserts nothing: machines are noisy, so compare the figures within one run.

The real bot (demo market, default RateLimits: 30 messages/s) runs in this process against a
local Bot API server, in-process too, that enforces Telegram's flood limits (30/s for the
token, ~1/s per private chat) and answers 429 beyond them. ``--chats`` private chats are
subscribed. First ``--users`` users send ``/rotation`` at once with nothing else sending: the
quiet round. Then ``marketbrief push`` starts in a process of its own, on the same data
directory and token, as an operator would; once its broadcast is under way, as many other users
send ``/rotation`` at once: the round during the broadcast. A reply's latency runs from the
user's message to the server storing the bot's reply. The push then finishes.
Targets: p50 and p99 during the broadcast at most 1 s above the quiet round's; 0 429s; every
subscribed chat has the briefing, once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import RateLimits
from localapi import FloodLimits, LocalBotApi
from tests.perf._harness import (
    TOKEN,
    Spread,
    bench_settings,
    demo_data_dir,
    local_api,
    running_bot,
    spread,
)
from tests.perf.broadcast import Audience
from tests.perf.paid_broadcast import subscribe_all

COMMAND = "/rotation"
FIRST_USER = 20_000_001
#: Users asking one after another before the rounds, so the first round pays no warm-up.
WARM_UP = 5
#: The most a broadcast may add to a reply's wait, seconds (at the median and at p99).
TARGET_ADDED = 1.0
#: How far into the broadcast (in messages) the second round starts.
UNDER_WAY = 30
REPLY_TIMEOUT = 120.0
PUSH_TIMEOUT = 900.0


@dataclass(frozen=True)
class PushOutcome:
    """What the ``marketbrief push`` process did, as the server counted it."""

    exit_code: int
    summary: str
    seconds: float
    delivered: int
    lost: int
    """Subscribed chats without the briefing."""
    duplicated: int
    """Subscribed chats that got a message twice."""


@dataclass(frozen=True)
class RepliesDuringPush:
    """Reply latencies without and during a broadcast, and the broadcast's own figures."""

    chats: int
    users: int
    quiet: Spread
    during: Spread
    push: PushOutcome
    rejections: int
    """429s the server answered, to either process."""
    broadcast_during: int
    """Broadcast messages the server accepted while the second round's replies were due."""

    @property
    def added_median(self) -> float:
        """Return how much the broadcast added to the median reply, in seconds."""
        return self.during.median - self.quiet.median

    @property
    def added_p99(self) -> float:
        """Return how much the broadcast added to the p99 reply, in seconds."""
        return self.during.p99 - self.quiet.p99


async def ask_at_once(server: LocalBotApi, users: Sequence[int]) -> list[float]:
    """Have every user send the command at once; return each reply's latency in seconds.

    The server's clock is the monotonic one: ``sent_at`` is when it stored the reply.
    """
    asked: dict[int, tuple[int, float]] = {}
    for user in users:
        asked[user] = (len(server.bot_messages(user)), time.monotonic())
        server.send_text(user, user, COMMAND)
    replies = await asyncio.gather(
        *(server.wait_for_messages(user, asked[user][0] + 1, REPLY_TIMEOUT) for user in users)
    )
    return [
        messages[asked[user][0]].sent_at - asked[user][1]
        for user, messages in zip(users, replies, strict=True)
    ]


def push_environment(server: LocalBotApi, data_dir: Path) -> dict[str, str]:
    """Return the environment of a ``marketbrief push`` beside the bot: same token and data."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "MARKETBRIEF_DATA_DIR": str(data_dir),
        "MARKETBRIEF_SOURCE": "demo",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def count_deliveries(server: LocalBotApi, chats: Sequence[int]) -> tuple[int, int, int]:
    """Return (messages to the chats, chats without one, chats with one twice)."""
    received = Counter(m.chat_id for chat in chats for m in server.bot_messages(chat))
    lost = sum(1 for chat in chats if received[chat] == 0)
    duplicated = sum(1 for chat in chats if received[chat] > 1)
    return sum(received.values()), lost, duplicated


async def run(chats: int, users: int) -> RepliesDuringPush:
    """Measure both rounds and the push beside the running bot; print and return the figures."""
    audience = Audience.mixed(chats, 0.0)
    subscribed = list(audience.private)
    warm_up_users = [FIRST_USER - 1 - i for i in range(WARM_UP)]
    quiet_users = [FIRST_USER + i for i in range(users)]
    busy_users = [FIRST_USER + users + i for i in range(users)]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = demo_data_dir(Path(tmp))
        subscribe_all(data_dir, audience)
        settings = bench_settings(data_dir, RateLimits())
        async with local_api(FloodLimits()) as server, running_bot(server, settings):
            for chat in subscribed:
                server.add_chat(chat, "private", title=f"Reader {chat}")
            for user in warm_up_users + quiet_users + busy_users:
                server.add_user(user, first_name=f"User {user}")
                server.add_chat(user, "private", title=f"User {user}")
            for user in warm_up_users:
                await ask_at_once(server, [user])
            quiet = await ask_at_once(server, quiet_users)
            start = time.monotonic()
            push = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "push",
                env=push_environment(server, data_dir),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                # The sender takes the chats in order: this one's message means it is under way.
                under_way = subscribed[min(UNDER_WAY, len(subscribed) - 1)]
                await server.wait_for_messages(under_way, 1, REPLY_TIMEOUT)
                round_start = time.monotonic()
                during = await ask_at_once(server, busy_users)
                round_end = time.monotonic()
                out, err = await asyncio.wait_for(push.communicate(), PUSH_TIMEOUT)
            finally:
                if push.returncode is None:
                    push.kill()
                    await push.wait()
            seconds = time.monotonic() - start
            delivered, lost, duplicated = count_deliveries(server, subscribed)
            broadcast_during = sum(
                1
                for chat in subscribed
                for message in server.bot_messages(chat)
                if round_start <= message.sent_at <= round_end
            )
            summary = (out.decode().strip().splitlines() or err.decode().strip().splitlines())[-1:]
            result = RepliesDuringPush(
                chats=chats,
                users=users,
                quiet=spread(quiet),
                during=spread(during),
                push=PushOutcome(
                    exit_code=push.returncode if push.returncode is not None else -1,
                    summary=summary[0] if summary else "",
                    seconds=seconds,
                    delivered=delivered,
                    lost=lost,
                    duplicated=duplicated,
                ),
                rejections=server.flood_rejections,
                broadcast_during=broadcast_during,
            )
    print_result(result)
    return result


def print_result(result: RepliesDuringPush) -> None:
    """Print both rounds' p50 and p99, what the broadcast added, and the broadcast's figures."""
    print(
        f"{result.users} users send {COMMAND} at once, beside the running bot "
        f"({result.chats} subscribed chats; local server enforcing 30/s for the token)"
    )
    print(f"  {'':28s} {'p50':>8s} {'p99':>8s}")
    for name, figures in (("quiet", result.quiet), ("during marketbrief push", result.during)):
        print(f"  {name:28s} {figures.median:7.2f}s {figures.p99:7.2f}s")
    for label, added in (("p50", result.added_median), ("p99", result.added_p99)):
        verdict = "ok" if added <= TARGET_ADDED else "MISSED"
        print(
            f"  added by the broadcast, {label} {added:+7.2f}s   target <= +{TARGET_ADDED:g}s  "
            f"{verdict}"
        )
    push = result.push
    rate = push.delivered / push.seconds if push.seconds else 0.0
    print(
        f"  push: exit {push.exit_code}, {push.delivered} messages in {push.seconds:.1f} s "
        f"with start-up ({rate:.1f}/s), '{push.summary}'"
    )
    print(f"  broadcast messages sent while the second round waited: {result.broadcast_during}")
    print(f"  429 from server     {result.rejections:6d}    target 0")
    print(f"  lost (chats)        {push.lost:6d}    target 0")
    print(f"  duplicated (chats)  {push.duplicated:6d}    target 0")


def main(argv: Sequence[str] | None = None) -> RepliesDuringPush:
    """Parse the command line, run the benchmark and return its result."""
    parser = argparse.ArgumentParser(description="Reply latency while a push broadcasts.")
    parser.add_argument("--chats", type=int, default=2000, help="subscribed chats")
    parser.add_argument("--users", type=int, default=200, help="users asking at once, per round")
    options = parser.parse_args(argv)
    return asyncio.run(run(options.chats, options.users))


if __name__ == "__main__":
    main()

"""Benchmark: the flood limiter's own cost per message as the number of active chats grows.

Run: uv run python -m tests.perf.limiter [--messages 64000]
Prints figures, asserts nothing. Each message goes to the next of ``chats`` chats in turn, so
every chat stays active (its window not yet empty); the request itself costs nothing and the
limits are far above the rate, so what is measured is the limiter's bookkeeping: the slots,
the acknowledgement windows and the sweep of idle chats (a heap of expiry times; it used to
scan every chat once more than 1,024 were known, which cost 666 us a message at 16,000).
Target: about the same cost per message at 16,000 chats as at 500.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from bot.config import RateLimits
from bot.delivery.ratelimit import BULK, FloodLimiter

CHAT_COUNTS = (500, 2_000, 16_000)
#: Far above the rate, and a per-chat window (burst / per-chat rate) longer than the run.
LIMITS = RateLimits(
    overall_per_second=1e9, per_chat_per_second=1_000, per_chat_burst=1_000_000, max_retries=0
)


async def _answer(*args: object, **kwargs: object) -> bool:
    return True


async def cost_per_message(chats: int, messages: int) -> float:
    """Return the limiter's wall time per message, in microseconds, with ``chats`` active."""
    limiter = FloodLimiter(LIMITS)
    data: dict[str, object] = {}
    start = time.perf_counter()
    for index in range(messages):
        data["chat_id"] = 10_000_000 + index % chats
        await limiter.process_request(_answer, (), {}, "sendMessage", data, BULK)
    return (time.perf_counter() - start) / messages * 1e6


def main(argv: Sequence[str] | None = None) -> dict[int, float]:
    """Measure and print the cost per message for each number of active chats."""
    parser = argparse.ArgumentParser(description="The flood limiter's cost per message.")
    parser.add_argument("--messages", type=int, default=64_000)
    options = parser.parse_args(argv)
    costs = {chats: asyncio.run(cost_per_message(chats, options.messages)) for chats in CHAT_COUNTS}
    print(f"flood limiter, {options.messages} messages round-robin over N active chats")
    for chats, cost in costs.items():
        print(f"  {chats:6d} chats   {cost:7.1f} us a message")
    first, last = CHAT_COUNTS[0], CHAT_COUNTS[-1]
    print(f"  {last} ÷ {first} chats: {costs[last] / costs[first]:.2f}x (target about 1x)")
    return costs


if __name__ == "__main__":
    main()

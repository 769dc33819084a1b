"""The flood limiter: per-chat, per-group and overall pacing, and RetryAfter retries."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.config import RateLimits
from bot.ratelimit import BULK, SAFETY, FloodLimiter, Pacer, SlidingWindow


def most_in_any_window(times: Sequence[float], width: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered[i:] if t < start + width) for i, start in enumerate(ordered))


class Recorder:
    """A stand-in for PTB's request callback: records when each request went out."""

    def __init__(self, failures: Sequence[Exception] = ()) -> None:
        self.times: list[float] = []
        self.failures = list(failures)

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.times.append(asyncio.get_running_loop().time())
        if self.failures:
            raise self.failures.pop(0)
        return True


async def send(
    limiter: FloodLimiter,
    recorder: Recorder,
    chat_id: int | None,
    endpoint: str = "sendMessage",
    bulk: bool = False,
) -> object:
    data = {} if chat_id is None else {"chat_id": chat_id}
    return await limiter.process_request(recorder, (), {}, endpoint, data, BULK if bulk else None)


def test_sliding_window_allows_limit_per_period() -> None:
    window = SlidingWindow(limit=3, period=10.0)
    assert [window.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert window.reserve(1.0) == pytest.approx(9.0)  # the 4th waits for the 1st to expire
    assert window.reserve(20.0) == 0.0
    assert window.reserve(20.0) == 0.0
    assert window.reserve(20.0) == pytest.approx(0.0)  # slots 10, 20, 20 fall in [10, 20]
    assert window.reserve(20.0) == pytest.approx(10.0)


def test_pacer_spaces_requests_evenly() -> None:
    pacer = Pacer(per_second=4)
    assert [pacer.reserve(0.0) for _ in range(4)] == pytest.approx([0.0, 0.25, 0.5, 0.75])
    assert pacer.reserve(5.0) == 0.0


async def test_overall_rate_is_kept_across_chats() -> None:
    limiter = FloodLimiter(RateLimits(overall_per_second=50, per_chat_per_second=50))
    recorder = Recorder()
    await asyncio.gather(*(send(limiter, recorder, chat_id) for chat_id in range(1, 31)))
    assert len(recorder.times) == 30
    assert most_in_any_window(recorder.times, 1.0) <= 50
    spread = max(recorder.times) - min(recorder.times)
    assert spread >= 29 / 50 * SAFETY - 0.01


async def test_one_chat_gets_a_burst_then_about_one_per_interval() -> None:
    limits = RateLimits(overall_per_second=1000, per_chat_per_second=10, per_chat_burst=3)
    limiter = FloodLimiter(limits)
    recorder = Recorder()
    await asyncio.gather(*(send(limiter, recorder, 7) for _ in range(9)))
    assert most_in_any_window(recorder.times, 0.3) <= 3
    assert max(recorder.times) - min(recorder.times) >= 0.6


async def test_replies_skip_the_bulk_queue() -> None:
    limiter = FloodLimiter(RateLimits(overall_per_second=20, per_chat_per_second=100))
    bulk, reply = Recorder(), Recorder()
    broadcast = asyncio.gather(*(send(limiter, bulk, c, bulk=True) for c in range(1, 21)))
    await asyncio.sleep(0.2)
    await send(limiter, reply, 999)
    await broadcast
    # The reply went out before most of the broadcast had, not after all of it.
    assert sum(1 for t in bulk.times if t > reply.times[0]) >= 10


async def test_requests_without_a_chat_or_not_sending_are_not_paced() -> None:
    limiter = FloodLimiter(RateLimits(overall_per_second=2, per_chat_per_second=1))
    recorder = Recorder()
    await asyncio.gather(
        *(send(limiter, recorder, None, "answerCallbackQuery") for _ in range(5)),
        *(send(limiter, recorder, 5, "getChatMember") for _ in range(5)),
    )
    assert max(recorder.times) - min(recorder.times) < 0.2


async def test_retry_after_pauses_then_retries() -> None:
    limiter = FloodLimiter(RateLimits(max_retries=2))
    recorder = Recorder([RetryAfter(1)])
    assert await send(limiter, recorder, 3) is True
    assert len(recorder.times) == 2
    assert recorder.times[1] - recorder.times[0] >= 1.0
    assert limiter.retries == 1


async def test_retry_after_reaches_the_caller_when_retries_run_out() -> None:
    limiter = FloodLimiter(RateLimits(max_retries=0))
    recorder = Recorder([RetryAfter(1)])
    with pytest.raises(RetryAfter):
        await send(limiter, recorder, 3)
    assert len(recorder.times) == 1

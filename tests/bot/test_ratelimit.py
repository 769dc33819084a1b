"""The flood limiter: per-chat, per-group and overall pacing, and RetryAfter retries.

The limiter runs on a virtual clock: time passes only while every task waits, so the tests
take no real time and measure exact spacings.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import pytest
from telegram.error import RetryAfter

from bot.config import RateLimits
from bot.delivery.ratelimit import (
    BULK,
    SAFETY,
    WAKE_TICK,
    FloodLimiter,
    LoopTimer,
    Pacer,
    SlidingWindow,
)


def most_in_any_window(times: Sequence[float], width: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered[i:] if t < start + width) for i, start in enumerate(ordered))


T = TypeVar("T")
#: Event-loop turns given to runnable tasks before the virtual clock moves on.
SETTLE_TURNS = 20


class VirtualTime:
    """A clock whose sleeps end in deadline order, as soon as every task is waiting."""

    def __init__(self) -> None:
        self.current = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.current

    async def sleep(self, seconds: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        deadline = self.current + max(seconds, 0.0)
        heapq.heappush(self._sleepers, (deadline, next(self._order), waiter))
        await waiter

    async def run(self, work: Awaitable[T]) -> T:
        """Run ``work`` to the end, moving the clock to each next deadline when all wait."""
        task = asyncio.ensure_future(work)
        while not task.done():
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)
            if task.done():
                break
            assert self._sleepers, "every task waits, but not on the clock"
            deadline, _, waiter = heapq.heappop(self._sleepers)
            self.current = max(self.current, deadline)
            waiter.set_result(None)
        return task.result()


class Recorder:
    """A stand-in for PTB's request callback: records when each request went out."""

    def __init__(
        self,
        clock: VirtualTime,
        failures: Sequence[Exception] = (),
        latencies: Sequence[float] = (),
    ) -> None:
        self.clock = clock
        self.times: list[float] = []
        self.failures = list(failures)
        self.latencies = list(latencies)
        """Seconds until the answer, request by request (then none)."""

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.times.append(self.clock.now())
        if self.latencies:
            await self.clock.sleep(self.latencies.pop(0))
        if self.failures:
            raise self.failures.pop(0)
        return True


async def send(
    limiter: FloodLimiter,
    recorder: Recorder,
    chat_id: int | None,
    endpoint: str = "sendMessage",
    bulk: bool = False,
    paid: bool = False,
) -> object:
    data: dict[str, object] = {} if chat_id is None else {"chat_id": chat_id}
    if paid:
        data["allow_paid_broadcast"] = True
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


def limiter_on(limits: RateLimits) -> tuple[FloodLimiter, VirtualTime]:
    clock = VirtualTime()
    return FloodLimiter(limits, timer=clock), clock


async def test_overall_rate_is_kept_across_chats() -> None:
    limiter, clock = limiter_on(RateLimits(overall_per_second=50, per_chat_per_second=50))
    recorder = Recorder(clock)
    await clock.run(asyncio.gather(*(send(limiter, recorder, c) for c in range(1, 31))))
    assert len(recorder.times) == 30
    assert most_in_any_window(recorder.times, 1.0) <= 50
    spread = max(recorder.times) - min(recorder.times)
    assert spread == pytest.approx(29 / 50 * SAFETY)


async def test_one_chat_gets_a_burst_then_about_one_per_interval() -> None:
    limits = RateLimits(overall_per_second=1000, per_chat_per_second=10, per_chat_burst=3)
    limiter, clock = limiter_on(limits)
    recorder = Recorder(clock)
    await clock.run(asyncio.gather(*(send(limiter, recorder, 7) for _ in range(9))))
    assert most_in_any_window(recorder.times, 0.3) <= 3
    assert max(recorder.times) - min(recorder.times) >= 0.6


async def test_replies_skip_the_bulk_queue() -> None:
    limiter, clock = limiter_on(RateLimits(overall_per_second=20, per_chat_per_second=100))
    bulk, reply = Recorder(clock), Recorder(clock)

    async def broadcast_then_reply() -> None:
        broadcast = asyncio.gather(*(send(limiter, bulk, c, bulk=True) for c in range(1, 21)))
        await clock.sleep(0.2)
        await send(limiter, reply, 999)
        await broadcast

    await clock.run(broadcast_then_reply())
    # The reply went out before most of the broadcast had, not after all of it.
    assert sum(1 for t in bulk.times if t > reply.times[0]) >= 10


async def test_requests_without_a_chat_or_not_sending_are_not_paced() -> None:
    limiter, clock = limiter_on(RateLimits(overall_per_second=2, per_chat_per_second=1))
    recorder = Recorder(clock)
    await clock.run(
        asyncio.gather(
            *(send(limiter, recorder, None, "answerCallbackQuery") for _ in range(5)),
            *(send(limiter, recorder, 5, "getChatMember") for _ in range(5)),
        )
    )
    assert recorder.times == [0.0] * 10


async def test_retry_after_pauses_then_retries() -> None:
    limiter, clock = limiter_on(RateLimits(max_retries=2))
    recorder = Recorder(clock, [RetryAfter(1)])
    assert await clock.run(send(limiter, recorder, 3)) is True
    assert len(recorder.times) == 2
    assert recorder.times[1] - recorder.times[0] >= 1.0
    assert limiter.retries == 1


async def test_retry_after_reaches_the_caller_when_retries_run_out() -> None:
    limiter, clock = limiter_on(RateLimits(max_retries=0))
    recorder = Recorder(clock, [RetryAfter(1)])
    with pytest.raises(RetryAfter):
        await clock.run(send(limiter, recorder, 3))
    assert len(recorder.times) == 1


async def test_a_slow_answer_holds_back_the_request_a_second_after_it() -> None:
    # Paced at 3/s the 4th request would leave at 1.03 s. The 1st is answered only at 0.9 s:
    # the server may have counted it as late as that, so its second holds three messages
    # until the 2nd leaves it, a second after the 2nd was answered.
    limiter, clock = limiter_on(RateLimits(overall_per_second=3, per_chat_per_second=100))
    recorder = Recorder(clock, latencies=[0.9])
    await clock.run(asyncio.gather(*(send(limiter, recorder, c) for c in range(1, 5))))
    assert recorder.times[:3] == pytest.approx([0.0, 1 / 3 * SAFETY, 2 / 3 * SAFETY])
    assert recorder.times[3] == pytest.approx(1.0 + 1 / 3 * SAFETY)


async def test_paid_broadcasts_are_paced_at_the_paid_rate() -> None:
    limits = RateLimits(overall_per_second=30, per_chat_per_second=1, paid_broadcast_per_second=500)
    limiter, clock = limiter_on(limits)
    assert limiter.paid_broadcast
    recorder = Recorder(clock)
    broadcast = (send(limiter, recorder, c, bulk=True, paid=True) for c in range(1, 1001))
    await clock.run(asyncio.gather(*broadcast))
    assert most_in_any_window(recorder.times, 1.0) <= 500
    assert max(recorder.times) == pytest.approx(999 / 500 * SAFETY)


async def test_free_messages_keep_the_free_rate_beside_a_paid_broadcast() -> None:
    limits = RateLimits(overall_per_second=10, per_chat_per_second=1, paid_broadcast_per_second=100)
    limiter, clock = limiter_on(limits)
    paid, free = Recorder(clock), Recorder(clock)
    await clock.run(
        asyncio.gather(
            *(send(limiter, paid, c, bulk=True, paid=True) for c in range(1, 201)),
            *(send(limiter, free, -c) for c in range(1, 21)),
        )
    )
    assert most_in_any_window(free.times, 1.0) <= 10
    assert most_in_any_window(paid.times + free.times, 1.0) <= 100
    # Both done in about 2 s: the free ones are not starved, the paid ones not held to 10/s.
    assert max(free.times) < 2.5
    assert max(paid.times) < 2.5


async def test_flagged_messages_stay_free_when_paid_broadcasts_are_off() -> None:
    limiter, clock = limiter_on(RateLimits(overall_per_second=10, per_chat_per_second=1))
    assert not limiter.paid_broadcast
    recorder = Recorder(clock)
    await clock.run(asyncio.gather(*(send(limiter, recorder, c, paid=True) for c in range(20))))
    assert most_in_any_window(recorder.times, 1.0) <= 10


async def test_idle_chats_are_forgotten_a_window_after_their_last_message() -> None:
    limiter, clock = limiter_on(RateLimits(overall_per_second=1000, per_chat_per_second=1))
    recorder = Recorder(clock)
    await clock.run(asyncio.gather(*(send(limiter, recorder, c) for c in range(1, 3001))))
    assert limiter.tracked_chats() > 2000
    await clock.run(clock.sleep(10.0))
    await clock.run(send(limiter, recorder, 1))
    assert limiter.tracked_chats() == 1


async def test_the_loop_timer_wakes_sleepers_due_within_a_tick_together() -> None:
    timer = LoopTimer()
    loop = asyncio.get_running_loop()
    turns = 0
    woke: list[tuple[float, float, int]] = []

    async def count_turns() -> None:
        nonlocal turns
        while len(woke) < 40:
            turns += 1
            await asyncio.sleep(0)

    async def sleeper(seconds: float) -> None:
        asked = loop.time() + seconds
        await timer.sleep(seconds)
        woke.append((asked, loop.time(), turns))

    # 40 waits due 0.5 ms apart, as a paced broadcast's: never woken early, in a few turns
    # of the event loop (one per tick) where asyncio.sleep alone takes one turn each.
    await asyncio.gather(count_turns(), *(sleeper(0.001 + i * 0.0005) for i in range(40)))
    assert all(at >= asked for asked, at, _ in woke)
    assert len({turn for _, _, turn in woke}) <= 40 * 0.0005 / WAKE_TICK + 2

"""Keep outgoing messages inside Telegram's flood limits and honour every RetryAfter.

PTB's ``AIORateLimiter`` throttles only the overall rate and groups; it has no per-chat limit
for private chats, and a broadcast splitting a briefing into parts would hit that limit in every
chat. This limiter applies, to every message-producing request (send*, edit*, copy*, forward*):

- per chat: at most ``per_chat_burst`` messages in any ``per_chat_burst / per_chat_per_second``
  seconds (a short burst, ~1 message per second sustained);
- per group (negative chat id): at most ``per_group_per_minute`` in any 60-second window;
- overall: one message every ``1 / overall_per_second`` seconds, evenly spaced (waits end on
  the next ``WAKE_TICK``, so the messages due within one tick go out in one turn of the loop);
- bulk traffic (``rate_limit_args=BULK``, the broadcast) additionally paced at
  ``BULK_SHARE`` of the overall rate. Bulk requests take overall slots only as their bulk slot
  comes up, so a reply to a person waits at most about one slot behind a broadcast.

- paid broadcasts (a request with ``allow_paid_broadcast``, when
  ``RateLimits.paid_broadcast_per_second`` is set): paced at that rate instead of the free
  overall and bulk rates; every message also counts against the paid rate, the ceiling of all
  sends together.

Even pacing alone is not enough: a busy machine delays some requests and bunches the next ones,
and Telegram counts arrivals. So each overall rate also holds a window on acknowledgements: a
request goes out only when fewer than the rate's messages were in flight or acknowledged within
the last second. Telegram admits a message before it answers, so no second of arrivals can
hold more than the rate.

Processes sending for the same token on one machine (the bot and a ``marketbrief push``) share
one budget when the limiter is given one (``bot.delivery.flood_budget``): the acknowledgement
windows are then machine-wide, replies take their seats before broadcasts, and a RetryAfter pauses
every process.

A RetryAfter pauses all messages for its duration plus a margin, then the request is retried, up
to ``max_retries`` times; after that the RetryAfter reaches the caller. A run of RetryAfters (a
storm) is logged once when it starts and once when a request next succeeds, with how many
requests it retried and dropped, not once per message.

A request (not bulk: the broadcast has its own retries and outbox) that meets a 5xx or a
connection that failed is retried ``server_error_retries`` times with backoff: Telegram did not
take it. After a timeout it is retried only when repeating it is harmless (reads, edits, answers
to button presses): a timed-out sendMessage may have been delivered, and Telegram gives no
message id to check, so it is not sent twice.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

from bot.config import RateLimits
from bot.delivery.flood_budget import CAPACITY, FloodBudget, Pool, SeatWindow, SharedSeats
from bot.telegram_errors import retry_after_seconds

log = logging.getLogger(__name__)

#: A Bot API JSON object, as PTB's rate limiter interface passes them.
JSONDict = dict[str, Any]

#: ``rate_limit_args`` value that marks a request as bulk (broadcast) traffic.
BULK = 1
#: Share of the overall rate bulk traffic may use (lower it to keep headroom for other senders).
BULK_SHARE = 1.0
#: Windows are stretched (rates lowered) by this factor, as network jitter can bunch requests
#: that left evenly spaced.
SAFETY = 1.03
#: Seconds added to every RetryAfter, as the server's clock and ours differ slightly.
RETRY_MARGIN = 0.25

#: The request parameter that makes a message a paid broadcast.
PAID_FLAG = "allow_paid_broadcast"
#: The period of Telegram's overall limits, in seconds.
OVERALL_PERIOD = 1.0

_LIMITED_PREFIXES = ("send", "edit", "copy", "forward")
#: Methods whose repetition after a timeout changes nothing (the first call may have worked).
_REPEATABLE_PREFIXES = ("get", "edit", "answer", "set", "delete", "close", "logOut")


class Timer(Protocol):
    """The limiter's clock: monotonic seconds and a way to wait (tests pass a virtual one)."""

    def now(self) -> float:
        """Return monotonic seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after ``seconds``."""
        ...


#: Waits on the event loop end on a multiple of this many seconds (see ``LoopTimer.sleep``).
WAKE_TICK = 0.005


class LoopTimer:
    """The event loop's clock and ``asyncio.sleep``, waking on ``WAKE_TICK`` boundaries."""

    def now(self) -> float:
        """Return the running loop's time."""
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        """Sleep at least ``seconds``, until the next multiple of ``WAKE_TICK`` after them.

        Evenly paced, a broadcast at 1,000 messages a second woke the loop once per message;
        waking on a tick lets the requests due within it go out in one turn of the loop, and
        their answers and outbox writes share turns and group commits, for a third less CPU a
        message. No request goes earlier than its slot: waits only grow, by under a tick.
        """
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        # One absolute time for every sleeper of the tick, so that they wake in one turn.
        woken: asyncio.Future[None] = loop.create_future()
        handle = loop.call_at(max(due, math.ceil(due / WAKE_TICK) * WAKE_TICK), _wake_up, woken)
        try:
            await woken
        finally:
            handle.cancel()


def _wake_up(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


class Pacer:
    """Evenly spaced slots: one request every ``1 / per_second`` seconds."""

    __slots__ = ("_next", "interval")

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    def reserve(self, now: float) -> float:
        """Reserve the next slot and return how long to wait for it."""
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now


class SlidingWindow:
    """At most ``limit`` requests in any ``period`` seconds (a sliding log of slots)."""

    __slots__ = ("_slots", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self._slots: deque[float] = deque()

    def reserve(self, now: float) -> float:
        """Reserve the next slot and return how long to wait for it."""
        slot = now
        if len(self._slots) >= self.limit:
            slot = max(now, self._slots.popleft() + self.period)
        self._slots.append(slot)
        return slot - now

    def idle(self, now: float) -> bool:
        """Return True when no slot is inside the window any more."""
        return self.expiry() <= now

    def expiry(self) -> float:
        """Return when the last slot leaves the window (0 when empty)."""
        return self._slots[-1] + self.period if self._slots else 0.0


class AckWindow:
    """At most ``limit`` requests in flight or acknowledged in any ``period`` seconds."""

    __slots__ = ("_acks", "_in_flight", "_landed", "limit", "period", "timer")

    def __init__(self, limit: int, period: float, timer: Timer) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.timer = timer
        self._acks: deque[float] = deque()
        self._in_flight = 0
        self._landed = asyncio.Event()

    async def acquire(self, bulk: bool = False) -> None:
        """Wait until one more request fits, then count it as in flight (bulk or not alike)."""
        while True:
            now = self.timer.now()
            acks = self._acks
            while acks and acks[0] + self.period <= now:
                acks.popleft()
            if self._in_flight + len(acks) < self.limit:
                self._in_flight += 1
                return
            if acks:
                await self.timer.sleep(acks[0] + self.period - now)
            else:
                self._landed.clear()
                await self._landed.wait()

    def release(self) -> None:
        """Count an in-flight request as acknowledged now."""
        self._in_flight -= 1
        self._acks.append(self.timer.now())
        self._landed.set()


class FloodLimiter(BaseRateLimiter[int]):
    """Throttle per chat, per group and overall; retry after RetryAfter (see module doc)."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        timer: Timer | None = None,
        budget: FloodBudget | None = None,
    ) -> None:
        """Pace by ``limits``; with a ``budget``, share the overall rates with other processes."""
        self.limits = limits = limits or RateLimits()
        self.timer = timer or LoopTimer()
        self.budget = budget
        self._paused_until = 0.0
        self._overall = Pacer(limits.overall_per_second / SAFETY)
        self._bulk = Pacer(limits.overall_per_second * BULK_SHARE / SAFETY)
        self._free_acks = self._acks(Pool.FREE, limits.overall_per_second)
        self._paid: Pacer | None = None
        self._paid_acks: SeatWindow | None = None
        if limits.paid_broadcast:
            self._paid = Pacer(limits.paid_broadcast_per_second / SAFETY)
            self._paid_acks = self._acks(Pool.PAID, limits.paid_broadcast_per_second)
        self._chats: dict[int | str, SlidingWindow] = {}
        self._groups: dict[int | str, SlidingWindow] = {}
        self._chat_locks: dict[int | str, tuple[asyncio.Lock, int]] = {}
        # (when a chat's windows are empty again, chat): one entry per finished request, so
        # the sweep drops idle chats in O(log n) instead of scanning every chat.
        self._expiries: list[tuple[float, int | str]] = []
        self.retries = 0
        """How many RetryAfter responses were retried (for reports and tests)."""
        self.server_error_retries = 0
        """How many requests were retried after a 5xx, a failed connection or a timeout."""
        self._storm_started: float | None = None
        self._storm_retries = 0
        self._storm_dropped = 0

    def _acks(self, pool: Pool, per_second: float) -> SeatWindow:
        """Return the acknowledgement window of a rate: the shared one when it fits the budget."""
        local = AckWindow(int(per_second), OVERALL_PERIOD, self.timer)
        if self.budget is None or int(per_second) > CAPACITY:
            return local
        return SharedSeats(self.budget, pool, int(per_second), local)

    @property
    def paid_broadcast(self) -> bool:
        """Return True when broadcasts should carry ``allow_paid_broadcast``."""
        return self._paid is not None

    async def initialize(self) -> None:
        """Start with empty state."""

    async def shutdown(self) -> None:
        """Forget per-chat state; give up this process's share of the budget."""
        if self.budget is not None:
            self.budget.close()
        self._chats.clear()
        self._groups.clear()
        self._chat_locks.clear()
        self._expiries.clear()

    def tracked_chats(self) -> int:
        """Return how many chats' windows are kept (idle ones are swept)."""
        return len(self._chats.keys() | self._groups.keys())

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for the request's slots, make it, and retry it after a RetryAfter."""
        chat_id = data.get("chat_id")
        if chat_id is None or not endpoint.startswith(_LIMITED_PREFIXES):
            return await self._with_retries(
                callback, args, kwargs, None, endpoint, bulk=False, paid=False
            )
        key = _chat_key(chat_id)
        lock, users = self._chat_locks.get(key) or (asyncio.Lock(), 0)
        self._chat_locks[key] = (lock, users + 1)
        try:
            # One message at a time per chat keeps a split briefing's parts in order.
            async with lock:
                return await self._with_retries(
                    callback,
                    args,
                    kwargs,
                    key,
                    endpoint,
                    bulk=rate_limit_args == BULK,
                    paid=self._paid is not None and bool(data.get(PAID_FLAG)),
                )
        finally:
            lock, users = self._chat_locks[key]
            if users > 1:
                self._chat_locks[key] = (lock, users - 1)
            else:
                del self._chat_locks[key]
            self._schedule_sweep(key)
            self._sweep()

    async def _with_retries(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        key: int | str | None,
        endpoint: str,
        *,
        bulk: bool,
        paid: bool,
    ) -> bool | JSONDict | list[JSONDict]:
        limits = self.limits
        flood_attempts = server_attempts = 0
        while True:
            await self._wait_for_pause()
            windows: tuple[SeatWindow, ...] = ()
            if key is not None:
                windows = await self._wait_for_slots(key, bulk=bulk, paid=paid)
            acquired: list[SeatWindow] = []
            try:
                try:
                    for window in windows:
                        await window.acquire(bulk)
                        acquired.append(window)
                    result = await callback(*args, **kwargs)
                finally:
                    for window in acquired:
                        window.release()
            except RetryAfter as error:
                if flood_attempts == limits.max_retries:
                    self._storm_dropped += 1
                    raise
                flood_attempts += 1
                self._flood_paused(key, retry_after_seconds(error) + RETRY_MARGIN)
                continue
            except NetworkError as error:
                if (
                    bulk
                    or isinstance(error, BadRequest)  # a 400: PTB files it under NetworkError
                    or server_attempts >= limits.server_error_retries
                ):
                    raise
                if isinstance(error, TimedOut) and not endpoint.startswith(_REPEATABLE_PREFIXES):
                    raise  # it may have been delivered
                delay = limits.server_error_backoff * 3**server_attempts
                server_attempts += 1
                self.server_error_retries += 1
                log.debug(
                    "%s failed (%s); retry %d in %.1f s", endpoint, error, server_attempts, delay
                )
                await self.timer.sleep(delay)
                continue
            if self._storm_started is not None and self.timer.now() >= self._paused_until:
                self._storm_over()
            return result

    def _flood_paused(self, key: int | str | None, delay: float) -> None:
        """Pause every send for ``delay`` seconds; log a storm's start only."""
        now = self.timer.now()
        self._paused_until = max(self._paused_until, now + delay)
        if self.budget is not None:
            self.budget.pause(delay)
        self.retries += 1
        self._storm_retries += 1
        if self._storm_started is None:
            self._storm_started = now
            log.warning(
                "Telegram flood limit hit (chat %s): pausing sends for %.1f s; "
                "further pauses are logged when the storm is over",
                key,
                delay,
            )
        else:
            log.debug("flood limit hit again (chat %s); pausing sends for %.1f s", key, delay)

    def _storm_over(self) -> None:
        assert self._storm_started is not None
        log.warning(
            "flood limit storm over after %.0f s: %d requests paused, %d dropped",
            self.timer.now() - self._storm_started,
            self._storm_retries,
            self._storm_dropped,
        )
        self._storm_started = None
        self._storm_retries = self._storm_dropped = 0

    async def _wait_for_pause(self) -> None:
        while (remaining := self._paused_until - self.timer.now()) > 0:
            await self.timer.sleep(remaining)

    async def _wait_for_slots(
        self, key: int | str, *, bulk: bool, paid: bool
    ) -> tuple[SeatWindow, ...]:
        """Wait for the chat's, the group's and the overall slots; return the ack windows."""
        limits = self.limits
        chat = self._chats.get(key)
        if chat is None:
            burst = limits.per_chat_burst
            chat = SlidingWindow(burst, burst / limits.per_chat_per_second * SAFETY)
            self._chats[key] = chat
        await self._sleep(chat.reserve(self.timer.now()))
        if _is_group(key) and limits.per_group_per_minute > 0:
            window = self._groups.get(key)
            if window is None:
                window = SlidingWindow(int(limits.per_group_per_minute), 60.0 * SAFETY)
                self._groups[key] = window
            await self._sleep(window.reserve(self.timer.now()))
        if paid and self._paid is not None and self._paid_acks is not None:
            await self._sleep(self._paid.reserve(self.timer.now()))
            return (self._paid_acks,)
        if bulk:
            await self._sleep(self._bulk.reserve(self.timer.now()))
        await self._sleep(self._overall.reserve(self.timer.now()))
        if self._paid_acks is not None:
            return (self._free_acks, self._paid_acks)
        return (self._free_acks,)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self.timer.sleep(seconds)

    def _schedule_sweep(self, key: int | str) -> None:
        """Note when the chat's windows will be empty again (after its request finished)."""
        expiry = 0.0
        for windows in (self._chats, self._groups):
            window = windows.get(key)
            if window is not None:
                expiry = max(expiry, window.expiry())
        heapq.heappush(self._expiries, (expiry, key))

    def _sweep(self) -> None:
        """Drop the state of chats whose limits have fully recovered."""
        now = self.timer.now()
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            _, key = heapq.heappop(expiries)
            if key in self._chat_locks:
                continue  # in use: its request notes a new expiry when it finishes
            for windows in (self._chats, self._groups):
                window = windows.get(key)
                if window is not None and window.idle(now):
                    del windows[key]


def _chat_key(chat_id: object) -> int | str:
    try:
        return int(chat_id)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return str(chat_id)


def _is_group(key: int | str) -> bool:
    # Group and channel ids are negative; a @username can only name a public group or channel.
    return isinstance(key, str) or key < 0

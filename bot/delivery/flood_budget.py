"""One flood budget per bot token on one machine, shared by every process that sends for it.

Telegram counts a token's messages, not a process's: a ``marketbrief push`` beside the running
bot must share the bot's 30 messages a second (or the paid rate), and a person waiting for a
reply must not queue behind the broadcast. Each process still paces itself
(``bot.delivery.ratelimit``); the budget adds the machine-wide ceiling and the priority of replies.

It is a small memory-mapped file beside the data (``flood-<hash>-v1.budget``, mode 0600, named
by a hash of the token, never the token itself), locked with ``flock`` for the few microseconds
of each update. For each rate (the free overall one and the paid one) it holds ``limit`` seats:

- a message takes a seat before it goes out and keeps it until one period after Telegram
  acknowledged it, so no second of arrivals at Telegram, from all processes together, holds
  more than the rate (the argument of ``bot.delivery.ratelimit.AckWindow``, now machine-wide).
  The file keeps the acknowledgement times (oldest first) and, per process, a row with its
  messages in flight and a lease the process renews while it has any;
- replies go first: a reply that finds no seat marks the pool "a reply is waiting" until just
  after its next chance, and broadcasts take no seat while the mark stands; while people are
  asking (``REPLIES_ACTIVE`` seconds after the last reply), broadcasts also leave a thirtieth
  of the seats (one of 30) free, so a reply usually finds one at once. A broadcast therefore
  delays a reply by at most the time one seat takes to come free;
- a RetryAfter any process met pauses them all until it ends.

Why a shared file and not ``push`` handing its work to the running bot: it works the same with
or without the bot, needs no server or protocol in the bot, and nothing in it can wedge the
others. The kernel drops a dead holder's lock; a dead process's row stops counting when its
lease lapses (``LEASE`` seconds after its last renewal: long enough for its last messages to
have left their second); every mark is a deadline that stops counting once passed, and one
implausibly far ahead is ignored; the first process to open the file after a reboot resets
it (the monotonic clock it counts in restarts). A process that cannot open the file (a read-only
directory) says so once and paces itself alone.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import mmap
import os
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Protocol

from bot.config import BotSettings

log = logging.getLogger(__name__)

#: The file layout's version, part of the file's name: another layout never shares a file.
LAYOUT_VERSION = 1
MAGIC = b"MBFLOOD1"
#: Seats a pool can hold; a rate above it (a relaxed test limiter) is not shared.
CAPACITY = 1024
#: Processes that can share a budget at once.
ROWS = 64
#: Seconds a process's messages in flight keep counting after its last renewal.
LEASE = 3.0
#: Seconds between renewals while a process has messages in flight and sends nothing new.
HEARTBEAT = 0.5
#: Seconds past its next chance that a waiting reply keeps broadcasts off the seats.
REPLY_HOLD = 0.05
#: A pause longer than this is taken as left over from before a reboot.
MAX_PAUSE = 3600.0
#: Seconds acknowledgements wait to be written together (or with the next seats taken): a
#: seat held that much longer, a locked update saved for most messages of a fast broadcast.
FLUSH_DELAY = 0.002
#: The shortest wait before asking the file again, in seconds.
MIN_RETRY = 0.001
#: Broadcasts leave this share of the seats (rounded down) for replies...
BULK_HEADROOM = 1 / 30
#: ...for this many seconds after a reply last asked for one (a quiet broadcast uses them all).
REPLIES_ACTIVE = 10.0

_HEADER = struct.Struct("<8s16sd")  # magic, boot id, paused until
_POOL = struct.Struct("<ddII")  # reply waiting until, replies active until, ring head, count
_ROW = struct.Struct("<Qdii")  # owner, lease until, in flight (free), in flight (paid)
_ROWS = struct.Struct("<" + "Qdii" * ROWS)
_TIME = struct.Struct("<d")
_POOLS_AT = _HEADER.size
_ROWS_AT = _POOLS_AT + 2 * _POOL.size
_RINGS_AT = _ROWS_AT + ROWS * _ROW.size
SIZE = _RINGS_AT + 2 * CAPACITY * _TIME.size


class Pool(IntEnum):
    """The two rates of a token: every message counts against PAID when paid sends are on."""

    FREE = 0
    PAID = 1


_POOLS = (Pool.FREE, Pool.PAID)
_NONE = [0, 0]


@dataclass(frozen=True)
class Grant:
    """Seats given to waiting replies and broadcasts, and when to ask again for the rest."""

    replies: int
    bulk: int
    retry_at: float


def budget_path(data_dir: Path, token: str) -> Path:
    """Return the budget file of ``token`` in ``data_dir`` (named by a hash of the token)."""
    digest = hashlib.sha256(b"marketbrief flood budget\0" + token.encode()).hexdigest()[:16]
    return data_dir / f"flood-{digest}-v{LAYOUT_VERSION}.budget"


def bulk_headroom(limit: int) -> int:
    """Return the seats a broadcast leaves free: limit x BULK_HEADROOM, rounded down."""
    return int(limit * BULK_HEADROOM)


def _boot_id() -> bytes:
    try:
        text = Path("/proc/sys/kernel/random/boot_id").read_text()
    except OSError:
        return b""  # other systems: the implausibility checks alone
    return bytes.fromhex(text.strip().replace("-", ""))[:16]


class FloodBudget:
    """This process's handle on a token's shared budget (see the module doc).

    The file is opened on first use. Acknowledgements are written in batches (``FLUSH_DELAY``),
    or with the next seats taken, not one locked update a message.
    """

    def __init__(
        self,
        path: Path,
        *,
        period: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.path = path
        self.period = period
        self.clock = clock
        self.heartbeat = heartbeat
        self._owner = secrets.randbits(63) | 1
        self._boot = _boot_id().ljust(16, b"\0")
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._failed = False
        self._crowded = False
        self._row: int | None = None
        self._in_flight = [0, 0]
        self._acked = [0, 0]
        self._returned = [0, 0]
        self._flush: asyncio.Handle | None = None
        self._heartbeat: asyncio.TimerHandle | None = None

    @classmethod
    def for_token(cls, data_dir: Path, token: str) -> FloodBudget:
        """Return the budget of ``token`` kept in ``data_dir``."""
        return cls(budget_path(data_dir, token))

    def usable(self) -> bool:
        """Open the file if needed; return False (having said why once) when it cannot be."""
        if self._map is not None:
            return True
        if self._failed:
            return False
        try:
            self._open()
        except OSError as exc:
            self._give_up(exc)
            return False
        return True

    def _give_up(self, error: OSError) -> None:
        """Stop sharing for good (the file failed): say so once, pace this process alone."""
        self._failed = True
        log.warning(
            "flood budget %s unavailable (%s); this process paces itself alone",
            self.path,
            os.strerror(error.errno) if error.errno else error,
        )
        self._release_file()

    def _open(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        fd = os.open(self.path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_size < SIZE:
                    os.ftruncate(fd, SIZE)
                memory = mmap.mmap(fd, SIZE)
                magic, boot, _ = _HEADER.unpack_from(memory, 0)
                if magic != MAGIC or boot != self._boot:
                    # New, or left from before a reboot: every process now started after it.
                    memory[:] = bytes(SIZE)
                    _HEADER.pack_into(memory, 0, MAGIC, self._boot, 0.0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._map = fd, memory

    def close(self) -> None:
        """Give up this process's row and close the file.

        Its messages still count for a period: those in flight as if acknowledged now.
        """
        if self._map is None:
            self._release_file()
            return
        self._acked = [max(0, n - r) for n, r in zip(self._in_flight, self._returned, strict=True)]
        try:
            with self._locked() as memory:
                self._sync(memory, self.clock())
                if self._row is not None and self._owns(memory, self._row):
                    _ROW.pack_into(memory, _row_at(self._row), 0, 0.0, 0, 0)
        except OSError:
            pass  # the row lapses with its lease
        self._release_file()

    def _release_file(self) -> None:
        for handle in (self._flush, self._heartbeat):
            if handle is not None:
                handle.cancel()
        self._flush = self._heartbeat = None
        self._row = None
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # ----- what the seats of a pool ask for -------------------------------------------------

    def take(self, pool: Pool, limit: int, replies: int, bulk: int) -> Grant:
        """Give up to ``replies`` reply seats first, then up to ``bulk`` broadcast seats."""
        if not self.usable():
            return Grant(replies, bulk, self.clock())  # nothing to share: the caller's own pace
        try:
            with self._updating() as (memory, now):
                grant = self._grant(memory, pool, limit, replies, bulk, now)
                self._in_flight[pool] += grant.replies + grant.bulk
        except OSError as exc:
            self._give_up(exc)
            return Grant(replies, bulk, self.clock())
        self._keep_alive()
        return grant

    def _grant(
        self, memory: mmap.mmap, pool: Pool, limit: int, replies: int, bulk: int, now: float
    ) -> Grant:
        paused = self._paused_until(memory, now)
        if paused > now:
            return Grant(0, 0, paused)
        waiting_until, active_until, head, count = _POOL.unpack_from(memory, _pool_at(pool))
        head, count = self._expire(memory, pool, head, count, now)
        in_flight, lapse = self._in_flight_elsewhere(memory, pool, now)
        free = limit - count - in_flight - self._in_flight[pool]
        given_replies = max(0, min(replies, free))
        free -= given_replies
        waiting_until = _plausible(waiting_until, now, self.period + REPLY_HOLD)
        active_until = (
            now + REPLIES_ACTIVE if replies else _plausible(active_until, now, REPLIES_ACTIVE)
        )
        headroom = bulk_headroom(limit) if active_until > now else 0
        given_bulk = 0
        if given_replies == replies and waiting_until <= now:
            given_bulk = max(0, min(bulk, free - headroom))
        # The next seat comes free a period after the oldest acknowledgement, or when a silent
        # process's lease lapses; seats in flight now are free a period later at best.
        next_free = self._ring(memory, pool, head) + self.period if count else now + self.period
        retry_at = min(next_free, lapse)
        if given_replies < replies:
            waiting_until = max(waiting_until, retry_at + REPLY_HOLD)
        elif given_bulk < bulk and waiting_until > now:
            held_back_by_mark = free - given_bulk > headroom
            retry_at = waiting_until if held_back_by_mark else max(retry_at, waiting_until)
        _POOL.pack_into(memory, _pool_at(pool), waiting_until, active_until, head, count)
        return Grant(given_replies, given_bulk, max(retry_at, now + MIN_RETRY))

    def acknowledged(self, pool: Pool) -> None:
        """Count a message of ``pool`` as answered (written with others, moments later)."""
        self._acked[pool] += 1
        self._schedule_flush()

    def unused(self, pool: Pool, seats: int) -> None:
        """Give back seats taken for messages that were never sent."""
        self._returned[pool] += seats
        self._schedule_flush()

    def pause(self, seconds: float) -> None:
        """Pause every process's sends for ``seconds`` (a RetryAfter)."""
        if not self.usable():
            return
        try:
            with self._updating() as (memory, now):
                paused = self._paused_until(memory, now)
                until = max(paused, now + min(seconds, MAX_PAUSE))
                magic, boot, _ = _HEADER.unpack_from(memory, 0)
                _HEADER.pack_into(memory, 0, magic, boot, until)
        except OSError as exc:
            self._give_up(exc)

    # ----- inside the lock --------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[mmap.mmap]:
        assert self._fd is not None
        assert self._map is not None
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield self._map
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def _updating(self) -> Iterator[tuple[mmap.mmap, float]]:
        """Lock the file and bring it up to date; renew this process's row at the end."""
        with self._locked() as memory:
            now = self.clock()
            self._sync(memory, now)
            yield memory, now
            self._write_row(memory, now)

    def _sync(self, memory: mmap.mmap, now: float) -> None:
        """Write the pending acknowledgements (and forget seats given back)."""
        if self._acked == _NONE and self._returned == _NONE:
            return
        for pool in _POOLS:
            acked, returned = self._acked[pool], self._returned[pool]
            if acked:
                self._append(memory, pool, acked, now)
            self._in_flight[pool] = max(0, self._in_flight[pool] - acked - returned)
        self._acked, self._returned = [0, 0], [0, 0]

    def _append(self, memory: mmap.mmap, pool: Pool, acked: int, now: float) -> None:
        waiting_until, active_until, head, count = _POOL.unpack_from(memory, _pool_at(pool))
        for _ in range(acked):
            if count == CAPACITY:
                head, count = (head + 1) % CAPACITY, count - 1
            _TIME.pack_into(memory, _ring_at(pool, (head + count) % CAPACITY), now)
            count += 1
        _POOL.pack_into(memory, _pool_at(pool), waiting_until, active_until, head, count)

    def _expire(
        self, memory: mmap.mmap, pool: Pool, head: int, count: int, now: float
    ) -> tuple[int, int]:
        """Drop acknowledgements older than a period (or from the future: another clock)."""
        while count:
            at = self._ring(memory, pool, head)
            if now - self.period < at <= now + self.period:
                break
            head, count = (head + 1) % CAPACITY, count - 1
        return head, count

    @staticmethod
    def _ring(memory: mmap.mmap, pool: Pool, index: int) -> float:
        at: float = _TIME.unpack_from(memory, _ring_at(pool, index))[0]
        return at

    def _in_flight_elsewhere(self, memory: mmap.mmap, pool: Pool, now: float) -> tuple[int, float]:
        """Return other processes' messages in flight and when the first of their leases ends."""
        rows = _ROWS.unpack_from(memory, _ROWS_AT)
        total, lapse = 0, float("inf")
        for index, in_flight in enumerate(rows[2 + pool :: 4]):
            if in_flight <= 0:
                continue  # most rows: idle or unused
            owner, lease = rows[4 * index], rows[4 * index + 1]
            if owner != self._owner and now < lease <= now + LEASE:
                total += in_flight
                lapse = min(lapse, lease)
        return total, lapse

    def _owns(self, memory: mmap.mmap, row: int) -> bool:
        owner: int = _ROW.unpack_from(memory, _row_at(row))[0]
        return owner == self._owner

    def _write_row(self, memory: mmap.mmap, now: float) -> None:
        if self._row is None or not self._owns(memory, self._row):
            self._row = self._free_row(memory, now)
        if self._row is not None:
            _ROW.pack_into(memory, _row_at(self._row), self._owner, now + LEASE, *self._in_flight)

    def _free_row(self, memory: mmap.mmap, now: float) -> int | None:
        rows = _ROWS.unpack_from(memory, _ROWS_AT)
        for index in range(ROWS):
            owner, lease = rows[4 * index : 4 * index + 2]
            if owner == 0 or not now < lease <= now + LEASE:
                return index
        if not self._crowded:
            self._crowded = True
            log.warning(
                "flood budget %s: more than %d processes share it; this one's messages in "
                "flight are not counted",
                self.path,
                ROWS,
            )
        return None

    def _paused_until(self, memory: mmap.mmap, now: float) -> float:
        paused: float = _HEADER.unpack_from(memory, 0)[2]
        return paused if paused <= now + MAX_PAUSE else 0.0

    # ----- outside the lock -------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending acknowledgements now (else moments later, or with the next take)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._map is not None and (any(self._acked) or any(self._returned)):
            self._update()

    def _schedule_flush(self) -> None:
        if self._flush is None and self._map is not None:
            self._flush = asyncio.get_running_loop().call_later(FLUSH_DELAY, self.flush)

    def _update(self) -> None:
        try:
            with self._updating():
                pass
        except OSError as exc:
            self._give_up(exc)
            return
        self._keep_alive()

    def _keep_alive(self) -> None:
        """Renew the lease while messages are in flight, even when none is sent meanwhile."""
        if self._heartbeat is None and any(self._in_flight):
            self._heartbeat = asyncio.get_running_loop().call_later(self.heartbeat, self._renew)

    def _renew(self) -> None:
        self._heartbeat = None
        if self._map is not None:
            self._update()


def _plausible(deadline: float, now: float, longest: float) -> float:
    """Return a deadline still ahead and at most ``longest`` away, else 0 (passed, or stale)."""
    return deadline if now < deadline <= now + longest else 0.0


def _pool_at(pool: Pool) -> int:
    return _POOLS_AT + pool * _POOL.size


def _row_at(row: int) -> int:
    return _ROWS_AT + row * _ROW.size


def _ring_at(pool: Pool, index: int) -> int:
    return _RINGS_AT + (pool * CAPACITY + index) * _TIME.size


class SeatWindow(Protocol):
    """What the limiter holds while a message is in flight (a local or a shared window)."""

    async def acquire(self, bulk: bool = False) -> None:
        """Wait until one more message fits, then count it as in flight."""
        ...

    def release(self) -> None:
        """Count an in-flight message as acknowledged now."""
        ...


class SharedSeats:
    """A pool of the shared budget behind the limiter's window interface.

    Waiters queue here, replies before broadcasts; one turn of the event loop asks the file for
    all of them at once. Without a usable file it is the local window it wraps.
    """

    def __init__(self, budget: FloodBudget, pool: Pool, limit: int, local: SeatWindow) -> None:
        self.budget = budget
        self.pool = pool
        self.limit = limit
        self.local = local
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),
            deque(),
        )
        self._held = 0
        self._pump: asyncio.Handle | None = None

    async def acquire(self, bulk: bool = False) -> None:
        """Wait for a seat (replies first), then count the message as in flight."""
        if not self.budget.usable():
            await self.local.acquire(bulk)
            return
        queue = self._waiting[bulk]
        waiter = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        self._ask_soon()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.budget.acknowledged(self.pool)  # given just as the sender gave up
            elif waiter in queue:
                queue.remove(waiter)
            raise
        self._held += 1

    def release(self) -> None:
        """Count a message as acknowledged now."""
        if self._held:
            self._held -= 1
            self.budget.acknowledged(self.pool)
        else:
            self.local.release()

    def _ask_soon(self) -> None:
        """Ask the file at the end of this turn, for every waiter that arrived in it."""
        if isinstance(self._pump, asyncio.TimerHandle):
            self._pump.cancel()  # a newcomer may fit now (a reply beside a held-back broadcast)
        elif self._pump is not None:
            return
        self._pump = asyncio.get_running_loop().call_soon(self._ask)

    def _ask(self) -> None:
        self._pump = None
        replies, bulk = self._waiting
        if not (replies or bulk):
            return
        grant = self.budget.take(self.pool, self.limit, len(replies), len(bulk))
        unused = _wake(replies, grant.replies) + _wake(bulk, grant.bulk)
        if unused:
            self.budget.unused(self.pool, unused)
        if replies or bulk:
            delay = max(0.0, grant.retry_at - self.budget.clock())
            self._pump = asyncio.get_running_loop().call_later(delay, self._ask)


def _wake(queue: deque[asyncio.Future[None]], seats: int) -> int:
    """Give ``seats`` to the first waiters still waiting; return the seats nobody took."""
    while seats and queue:
        waiter = queue.popleft()
        if not waiter.done():
            waiter.set_result(None)
            seats -= 1
    return seats


def flood_budget(settings: BotSettings) -> FloodBudget:
    """Return the budget that every process of this token and data directory shares."""
    return FloodBudget.for_token(settings.domain.data_dir, settings.token)

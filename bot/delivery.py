"""Send a session's briefing to many chats exactly once each, surviving crashes and errors.

The delivery log holds one row per (chat, session). A message part is marked "sending" before
it goes out and counted after Telegram acknowledges it, so after a crash only the parts that
were in flight at that moment can be sent twice; everything acknowledged is never resent. A
request that timed out is retried like any network error, and Telegram has no idempotency key,
so a timeout whose message did arrive is the other way one part can reach a chat twice.

A chart a chat chose with ``/settings chart`` is the delivery's last part, a photo after the
text, counted like the text parts: a restart after the text went out sends only the photo, one
after the photo sends nothing. The chart is drawn once per session and kind (the chart cache).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import ExtBot

from bot.background import BackgroundTasks
from bot.charts import BRIEFING_CHARTS, Chart, ChartDesk
from bot.database import Database, from_text, status_counts, to_text
from bot.market import Clock, DataNotReady, MarketDesk, RenderedBriefing, utc_now
from bot.ratelimit import BULK, retry_after_seconds
from bot.subscriptions import Subscription, SubscriptionStore
from bot.views import view_keyboard

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    chat_id     INTEGER NOT NULL,
    session     TEXT NOT NULL,
    status      TEXT NOT NULL,
    parts_total INTEGER,
    parts_sent  INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    owner       TEXT,
    claimed_at  TEXT,
    last_error  TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, session)
);
CREATE INDEX IF NOT EXISTS deliveries_session ON deliveries (session, status);
"""

#: How long another process's claim on a delivery is respected when its liveness is unknown.
CLAIM_LEASE = timedelta(minutes=10)

#: A chat that "migrates" more often than this within one delivery is left for later.
MAX_MIGRATIONS = 3

#: Owners (broadcasters) alive in this process; claims of any other owner of this pid are stale.
_LIVE_OWNERS: set[str] = set()


class Status(StrEnum):
    """Where a (chat, session) delivery stands."""

    PENDING = "pending"
    """Not finished; retried by the next catch-up."""
    SENDING = "sending"
    """A part is in flight (unknown whether it arrived if the process died)."""
    SENT = "sent"
    FAILED = "failed"
    """Given up for good: the chat blocked the bot or the message was refused."""


@dataclass(frozen=True)
class DeliveryRecord:
    """One row of the delivery log."""

    chat_id: int
    session: date
    status: Status
    parts_total: int | None
    parts_sent: int
    attempts: int
    owner: str | None
    last_error: str | None
    updated_at: datetime


def _record(row: sqlite3.Row) -> DeliveryRecord:
    return DeliveryRecord(
        chat_id=row["chat_id"],
        session=date.fromisoformat(row["session"]),
        status=Status(row["status"]),
        parts_total=row["parts_total"],
        parts_sent=row["parts_sent"],
        attempts=row["attempts"],
        owner=row["owner"],
        last_error=row["last_error"],
        updated_at=from_text(row["updated_at"]),
    )


def new_owner() -> str:
    """Return a live claim owner id for this process: host, pid and a random nonce."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    _LIVE_OWNERS.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    """Mark an owner gone: its unfinished claims may be taken over at once."""
    _LIVE_OWNERS.discard(owner)


def _owner_alive(owner: str, claimed_at: datetime, now: datetime) -> bool:
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return now - claimed_at < CLAIM_LEASE
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # the process exists but belongs to someone else
    return now - claimed_at < CLAIM_LEASE


class DeliveryLog:
    """The (chat, session) delivery log that makes broadcasting idempotent."""

    def __init__(self, database: Database) -> None:
        self._db = database
        database.execute_script(SCHEMA)

    def claim(self, chat_id: int, session: date, owner: str, now: datetime) -> int | None:
        """Take a delivery for ``owner``; return how many parts are already sent, None to skip.

        Skipped: sent or failed for good, or claimed by another broadcaster that is still alive.
        """
        day, stamp = session.isoformat(), to_text(now)
        with self._db.transaction() as sql:
            row = sql.execute(
                "SELECT * FROM deliveries WHERE chat_id = ? AND session = ?", (chat_id, day)
            ).fetchone()
            if row is None:
                sql.execute(
                    "INSERT INTO deliveries (chat_id, session, status, owner, claimed_at, "
                    "attempts, updated_at) VALUES (?, ?, 'pending', ?, ?, 1, ?)",
                    (chat_id, day, owner, stamp, stamp),
                )
                return 0
            if row["status"] in (Status.SENT, Status.FAILED):
                return None
            holder = row["owner"]
            claimed_at = row["claimed_at"]
            if (
                holder
                and holder != owner
                and claimed_at
                and _owner_alive(holder, from_text(claimed_at), now)
            ):
                return None
            sql.execute(
                "UPDATE deliveries SET owner = ?, claimed_at = ?, attempts = attempts + 1, "
                "updated_at = ? WHERE chat_id = ? AND session = ?",
                (owner, stamp, stamp, chat_id, day),
            )
            return int(row["parts_sent"])

    def begin_part(self, chat_id: int, session: date, part: int, total: int, now: datetime) -> None:
        """Record that part ``part`` (0-based) of ``total`` is about to be sent."""
        stamp = to_text(now)
        with self._db.transaction() as sql:
            sql.execute(
                "UPDATE deliveries SET status = 'sending', parts_total = ?, parts_sent = ?, "
                "claimed_at = ?, updated_at = ? WHERE chat_id = ? AND session = ?",
                (total, part, stamp, stamp, chat_id, session.isoformat()),
            )

    def part_sent(self, chat_id: int, session: date, part: int, total: int, now: datetime) -> None:
        """Record that Telegram acknowledged part ``part``; the last part completes the row."""
        done = part + 1 >= total
        with self._db.transaction() as sql:
            sql.execute(
                "UPDATE deliveries SET status = ?, parts_sent = ?, last_error = NULL, "
                "owner = CASE WHEN ? THEN NULL ELSE owner END, updated_at = ? "
                "WHERE chat_id = ? AND session = ?",
                (
                    Status.SENT if done else Status.PENDING,
                    part + 1,
                    done,
                    to_text(now),
                    chat_id,
                    session.isoformat(),
                ),
            )

    def release(self, chat_id: int, session: date, error: str, now: datetime) -> None:
        """Leave a delivery pending for the next catch-up, noting why it stopped."""
        self._finish(chat_id, session, Status.PENDING, error, now)

    def fail(self, chat_id: int, session: date, error: str, now: datetime) -> None:
        """Give a delivery up for good (blocked, removed, or refused by Telegram)."""
        self._finish(chat_id, session, Status.FAILED, error, now)

    def _finish(
        self, chat_id: int, session: date, status: Status, error: str, now: datetime
    ) -> None:
        with self._db.transaction() as sql:
            sql.execute(
                "UPDATE deliveries SET status = ?, last_error = ?, owner = NULL, updated_at = ? "
                "WHERE chat_id = ? AND session = ?",
                (status, error[:500], to_text(now), chat_id, session.isoformat()),
            )

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Move a chat's delivery rows to the id of the supergroup it became.

        Where the supergroup already has a row for a session, that row wins.
        """
        with self._db.transaction() as sql:
            sql.execute(
                "DELETE FROM deliveries WHERE chat_id = ? AND session IN "
                "(SELECT session FROM deliveries WHERE chat_id = ?)",
                (old_chat_id, new_chat_id),
            )
            sql.execute(
                "UPDATE deliveries SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )

    def forget_failures(self, chat_id: int) -> None:
        """Let a chat that subscribes again receive sessions that failed before."""
        with self._db.transaction() as sql:
            sql.execute(
                "DELETE FROM deliveries WHERE chat_id = ? AND status = 'failed'", (chat_id,)
            )

    def get(self, chat_id: int, session: date) -> DeliveryRecord | None:
        """Return the log row of one delivery."""
        rows = self._db.query(
            "SELECT * FROM deliveries WHERE chat_id = ? AND session = ?",
            (chat_id, session.isoformat()),
        )
        return _record(rows[0]) if rows else None

    def counts(self, session: date | None = None) -> Mapping[str, int]:
        """Return deliveries per status, for one session or all."""
        return status_counts(self._db, "deliveries", session)

    def finished(self, session: date) -> set[int]:
        """Return the chats whose delivery of ``session`` is sent or given up for good."""
        rows = self._db.query(
            "SELECT chat_id FROM deliveries WHERE session = ? AND status IN ('sent', 'failed')",
            (session.isoformat(),),
        )
        return {row["chat_id"] for row in rows}


class Outcome(StrEnum):
    """How delivering to one chat ended."""

    SENT = "sent"
    SKIPPED = "skipped"
    """Already sent (or being sent by another broadcaster)."""
    PENDING = "pending"
    """Stopped by transient errors; left for the next catch-up."""
    FAILED = "failed"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class BroadcastReport:
    """What one broadcast of a session did, chat by chat."""

    session: date
    outcomes: Mapping[int, Outcome] = field(default_factory=dict)
    migrated: Mapping[int, int] = field(default_factory=dict)
    error: str | None = None

    def count(self, outcome: Outcome) -> int:
        """Return how many chats ended with ``outcome``."""
        return sum(1 for value in self.outcomes.values() if value is outcome)

    def summary(self) -> str:
        """Return a one-line summary, e.g. "2026-11-20: 3 sent, 1 skipped"."""
        parts = [f"{self.count(o)} {o.value}" for o in Outcome if self.count(o)]
        if self.migrated:
            parts.append(f"{len(self.migrated)} migrated")
        if self.error:
            parts.append(f"not sent: {self.error}")
        return f"{self.session.isoformat()}: {', '.join(parts) or 'no chats due'}"


@dataclass(frozen=True)
class RetryPolicy:
    """How transient send errors (network, 5xx, exhausted 429 retries) are retried per part."""

    attempts: int = 4
    first_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Return the backoff before retry ``attempt`` (1-based): first_delay * 2**(attempt-1)."""
        return float(min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


class Broadcaster:
    """Deliver a session's briefing, rendered once, to many chats through the delivery log."""

    def __init__(
        self,
        bot: ExtBot[Any],
        desk: MarketDesk,
        subscriptions: SubscriptionStore,
        deliveries: DeliveryLog,
        *,
        charts: ChartDesk | None = None,
        clock: Clock = utc_now,
        retry: RetryPolicy | None = None,
        concurrency: int = 64,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.charts = charts
        self.subscriptions = subscriptions
        self.deliveries = deliveries
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency
        self.owner = new_owner()
        self._clock = clock
        self._in_flight: set[tuple[int, date]] = set()
        self._background = BackgroundTasks(BroadcastReport)
        self.keep_going: Callable[[], bool] = lambda: True
        """Checked before each chat; the application sets it to "while running"."""

    def close(self) -> None:
        """Give up this broadcaster's claims (a later broadcaster may take them over at once)."""
        retire_owner(self.owner)

    def track(self, task: asyncio.Task[BroadcastReport]) -> None:
        """Remember a background broadcast so ``wait_idle`` can await it."""
        self._background.track(task)

    async def wait_idle(self) -> list[BroadcastReport]:
        """Wait for every tracked background broadcast; return their reports."""
        return await self._background.wait_idle()

    async def broadcast(self, session: date, chats: Sequence[Subscription]) -> BroadcastReport:
        """Send ``session``'s briefing to every chat in ``chats`` that has not had it."""
        finished = self.deliveries.finished(session)
        outcomes: dict[int, Outcome] = {s.chat_id: Outcome.SKIPPED for s in chats}
        due = [
            s
            for s in chats
            if s.chat_id not in finished and (s.chat_id, session) not in self._in_flight
        ]
        if not due:
            return BroadcastReport(session, outcomes)
        try:
            rendered = await self.desk.rendered(session)
        except DataNotReady as exc:
            log.warning("briefing for %s not sent to %d chats: %s", session, len(due), exc)
            outcomes.update({s.chat_id: Outcome.PENDING for s in due})
            return BroadcastReport(session, outcomes, error=str(exc))
        messages = rendered.messages
        charts = await self._charts(rendered, due)
        migrated: dict[int, int] = {}
        queue: asyncio.Queue[Subscription] = asyncio.Queue()
        for subscription in due:
            queue.put_nowait(subscription)
            self._in_flight.add((subscription.chat_id, session))

        async def worker() -> None:
            while not queue.empty():
                subscription = queue.get_nowait()
                if not self.keep_going():
                    # Shutting down: leave the rest for the catch-up after the restart.
                    outcomes[subscription.chat_id] = Outcome.PENDING
                    self._in_flight.discard((subscription.chat_id, session))
                    continue
                try:
                    outcomes[subscription.chat_id] = await self._deliver(
                        subscription,
                        session,
                        messages,
                        charts.get(subscription.chart or ""),
                        migrated,
                    )
                except Exception:
                    log.exception("delivery to chat %s failed unexpectedly", subscription.chat_id)
                    self.deliveries.release(
                        subscription.chat_id, session, "internal error", self._clock()
                    )
                    outcomes[subscription.chat_id] = Outcome.PENDING
                finally:
                    self._in_flight.discard((subscription.chat_id, session))

        workers = min(self.concurrency, len(due))
        await asyncio.gather(*(worker() for _ in range(workers)))
        report = BroadcastReport(session, outcomes, migrated)
        log.info("broadcast %s", report.summary())
        return report

    async def _charts(
        self, rendered: RenderedBriefing, chats: Sequence[Subscription]
    ) -> dict[str, Chart]:
        """Draw each chart the chats chose once; a chart that fails is left out, not the text."""
        charts: dict[str, Chart] = {}
        if self.charts is None:
            return charts
        names = {s.chart for s in chats if s.chart is not None and s.chart in BRIEFING_CHARTS}
        for name in sorted(names):
            try:
                charts[name] = await self.charts.chart(rendered.snapshot, BRIEFING_CHARTS[name])
            except Exception:
                log.exception("chart %s of %s not drawn", name, rendered.briefing.as_of)
        return charts

    async def _send_part(
        self,
        chat_id: int,
        thread_id: int | None,
        messages: Sequence[str],
        chart: Chart | None,
        part: int,
        session: date,
    ) -> None:
        """Send text part ``part`` (the last with the view buttons), or the chart photo after it."""
        if part < len(messages):
            await self.bot.send_message(
                chat_id,
                messages[part],
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
                reply_markup=view_keyboard(session) if part == len(messages) - 1 else None,
                rate_limit_args=BULK,
            )
        elif chart is not None and self.charts is not None:
            await self.charts.send(
                self.bot, chat_id, chart, thread_id=thread_id, rate_limit_args=BULK
            )

    async def _deliver(
        self,
        subscription: Subscription,
        session: date,
        messages: Sequence[str],
        chart: Chart | None,
        migrated: dict[int, int],
    ) -> Outcome:
        chat_id, thread_id = subscription.chat_id, subscription.thread_id
        start = self.deliveries.claim(chat_id, session, self.owner, self._clock())
        if start is None:
            return Outcome.SKIPPED
        total = len(messages) + (1 if chart is not None and self.charts is not None else 0)
        part, failures, hops = start, 0, 0
        if part >= total:
            # Parts acknowledged before a restart cover a re-rendered (shorter) briefing.
            self.deliveries.part_sent(chat_id, session, total - 1, total, self._clock())
        while part < total:
            self.deliveries.begin_part(chat_id, session, part, total, self._clock())
            try:
                await self._send_part(chat_id, thread_id, messages, chart, part, session)
            except Forbidden as exc:
                self._deactivate(chat_id, session, f"forbidden: {exc.message}")
                return Outcome.DEACTIVATED
            except ChatMigrated as exc:
                hops += 1
                if hops > MAX_MIGRATIONS:
                    self.deliveries.release(chat_id, session, "migration loop", self._clock())
                    return Outcome.PENDING
                new_chat_id = int(exc.new_chat_id)
                self.subscriptions.migrate(chat_id, new_chat_id, self._clock())
                self.deliveries.migrate(chat_id, new_chat_id)
                log.info("chat %s migrated to %s; resending there", chat_id, new_chat_id)
                migrated[chat_id] = chat_id = new_chat_id
                resumed = self.deliveries.claim(chat_id, session, self.owner, self._clock())
                if resumed is None:
                    return Outcome.SKIPPED  # the supergroup already has it
                part = max(part, resumed)
                continue
            except BadRequest as exc:
                reason = exc.message.lower()
                if thread_id is not None and "thread not found" in reason:
                    log.info("topic %s of chat %s is gone; sending to the chat", thread_id, chat_id)
                    self.subscriptions.clear_thread(chat_id, self._clock())
                    thread_id = None
                    continue
                if "chat not found" in reason:
                    self._deactivate(chat_id, session, f"chat not found: {exc.message}")
                    return Outcome.DEACTIVATED
                log.error("Telegram refused the briefing for chat %s: %s", chat_id, exc.message)
                self.deliveries.fail(chat_id, session, f"bad request: {exc.message}", self._clock())
                return Outcome.FAILED
            except (NetworkError, RetryAfter) as exc:
                failures += 1
                if failures >= self.retry.attempts:
                    log.warning(
                        "chat %s: giving up on %s for now after %d attempts (%s); left pending",
                        chat_id,
                        session,
                        failures,
                        exc,
                    )
                    self.deliveries.release(chat_id, session, str(exc), self._clock())
                    return Outcome.PENDING
                delay = self.retry.delay(failures)
                if isinstance(exc, RetryAfter):
                    delay = max(delay, retry_after_seconds(exc))
                await asyncio.sleep(delay)
                continue
            self.deliveries.part_sent(chat_id, session, part, total, self._clock())
            part, failures = part + 1, 0
        return Outcome.SENT

    def _deactivate(self, chat_id: int, session: date, reason: str) -> None:
        now = self._clock()
        self.subscriptions.deactivate(chat_id, reason, now)
        self.deliveries.fail(chat_id, session, reason, now)
        log.info("chat %s deactivated (%s)", chat_id, reason)

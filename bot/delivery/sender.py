"""Send parcels to many chats through the outbox log, with Telegram's error policy written once.

Everything the bot pushes (a session's briefing, its regime-change alerts) becomes a
``Delivery`` per chat: parcels of parts (text, a chart photo), each parcel carrying the outbox
items it completes. The sender claims a parcel's items, marks each part "sending" before it
goes out and counts it once Telegram acknowledges it (see ``bot.delivery.outbox``), and reacts
to what Telegram answers:

- ``Forbidden`` (blocked, kicked) or a chat that is gone: that purpose is stopped for the chat
  (unsubscribed, or alerts off) and its items fail for good;
- ``ChatMigrated``: the chat's settings and log rows move to the supergroup and sending goes on
  there (more than ``MAX_MIGRATIONS`` hops: left pending);
- a deleted forum topic: the chat itself gets this and every later message of that purpose;
- any other 400: the items fail for good;
- network errors, 5xx and a 429 the flood limiter gave up on: retried with backoff, then left
  pending for the next catch-up.

A request that timed out is retried like any network error, and Telegram has no idempotency
key, so a timeout whose message did arrive is the other way one part can reach a chat twice.
Log writes run on the database's threads, never on the event loop; the per-part ones are
group-committed (``Database.write``). A one-part message costs two: the claim, which also marks
its first part as sending, and the acknowledgement.

A text part's request body (its text, parse mode and keyboard, with the bot's ``Defaults``
such as no link previews) is built once for every chat, and Telegram's answer to it stays
JSON: nothing here reads the sent message, and turning each answer into PTB's ``Message`` was a
fifth of a broadcast's CPU. Errors still arrive as PTB's exceptions, as the request still goes
through the bot (its flood limiter and HTTP client).
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Defaults, ExtBot
from telegram.warnings import PTBUserWarning

from bot.delivery.outbox import OutboxLog, new_owner, retire_owner
from bot.delivery.ratelimit import BULK, PAID_FLAG, FloodLimiter
from bot.desk.chart_desk import Chart, ChartDesk
from bot.store.chats import ChatStore, Purpose
from bot.store.database import Database
from bot.telegram_errors import Refusal, refusal, retry_after_seconds
from briefings import Clock, utc_now

log = logging.getLogger(__name__)

#: A chat that "migrates" more often than this within one delivery is left for later.
MAX_MIGRATIONS = 3

# PTB warns when ``do_api_request`` names one of its own methods, pointing to the typed one;
# text parts call sendMessage that way on purpose (see the module's docstring). Only that
# warning, and only for the calls made here, is silenced (pyproject.toml says so for pytest).
warnings.filterwarnings(
    "ignore",
    message=re.escape("Please use 'Bot.sendMessage' instead of 'Bot.do_api_request("),
    category=PTBUserWarning,
    module=re.escape(__name__) + r"\Z",
)


class PreparedMarkup(InlineKeyboardMarkup):
    """An inline keyboard turned into its JSON form once, not once per chat of a broadcast."""

    def __init__(self, markup: InlineKeyboardMarkup) -> None:
        super().__init__(markup.inline_keyboard)
        # The class has no slots of its own: the prepared form lives beside PTB's frozen fields.
        object.__setattr__(self, "_prepared", markup.to_dict())

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        """Return the keyboard's JSON form, made when the keyboard was prepared."""
        prepared: dict[str, Any] = self.__dict__["_prepared"]
        return dict(prepared)


@dataclass(frozen=True)
class TextPart:
    """A Telegram HTML message, with its inline keyboard if it has one (prepared once)."""

    html: str
    reply_markup: InlineKeyboardMarkup | None = None
    request: Mapping[str, Any] = field(init=False, repr=False, compare=False)
    """The sendMessage parameters every chat gets alike: text, parse mode, keyboard."""

    def __post_init__(self) -> None:
        markup = self.reply_markup
        if markup is not None and not isinstance(markup, PreparedMarkup):
            markup = PreparedMarkup(markup)
            object.__setattr__(self, "reply_markup", markup)
        request: dict[str, Any] = {"text": self.html, "parse_mode": ParseMode.HTML.value}
        if markup is not None:
            request["reply_markup"] = markup.to_dict()
        object.__setattr__(self, "request", request)


@dataclass(frozen=True)
class PhotoPart:
    """A chart, sent as a photo with its caption."""

    chart: Chart


Part = TextPart | PhotoPart


@dataclass(frozen=True)
class Parcel:
    """Parts sent in order that together complete ``items`` of the outbox log."""

    items: tuple[str, ...]
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Delivery:
    """What one chat gets for one purpose: parcels in order, to a topic or the chat."""

    chat_id: int
    thread_id: int | None
    purpose: Purpose
    parcels: tuple[Parcel, ...]


class Outcome(StrEnum):
    """How sending to one chat ended."""

    SENT = "sent"
    SKIPPED = "skipped"
    """Nothing due: already sent (or being sent by another sender)."""
    PENDING = "pending"
    """Stopped by transient errors; left for the next catch-up."""
    FAILED = "failed"
    DEACTIVATED = "deactivated"
    """The chat blocked the bot or is gone: that purpose was stopped for it."""


@dataclass(frozen=True)
class SendReport:
    """What one push of a session did, chat by chat."""

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


def _message_defaults(defaults: Defaults | None) -> dict[str, Any]:
    """Return the sendMessage parameters the bot's ``Defaults`` give its typed methods."""
    fields: dict[str, Any] = {}
    if defaults is None:
        return fields
    if defaults.link_preview_options is not None:
        fields["link_preview_options"] = defaults.link_preview_options.to_dict()
    if defaults.disable_notification is not None:
        fields["disable_notification"] = defaults.disable_notification
    if defaults.protect_content is not None:
        fields["protect_content"] = defaults.protect_content
    return fields


#: Chats in flight at the free rate, and at most at any rate.
MIN_CONCURRENCY = 64
MAX_CONCURRENCY = 256
#: Round trip to the Bot API allowed for at full rate, in seconds.
ROUND_TRIP = 0.15


def in_flight_for(rate: float) -> int:
    """Return the chats to send to at once for ``rate`` messages/s: rate * ROUND_TRIP, clamped.

    Against a local server the rate and CPU per message do not change from 16 to 128 in flight
    (the limiter sets the pace); Telegram's round trip needs rate * round trip in flight.
    """
    return max(MIN_CONCURRENCY, min(MAX_CONCURRENCY, round(rate * ROUND_TRIP)))


@dataclass(frozen=True)
class RetryPolicy:
    """How transient send errors (network, 5xx, exhausted 429 retries) are retried per part."""

    attempts: int = 4
    first_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Return the backoff before retry ``attempt`` (1-based): first_delay * 2**(attempt-1)."""
        return float(min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


@dataclass
class _Progress:
    """Where one chat's delivery stands while it is being sent."""

    chat_id: int
    thread_id: int | None
    failures: int = 0
    hops: int = 0


class _Stop(Exception):
    """End a chat's delivery with ``outcome`` (raised inside the policy)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


class Sender:
    """Send deliveries to many chats at once: the worker pool and the Telegram policy."""

    def __init__(
        self,
        bot: ExtBot[Any],
        database: Database,
        chats: ChatStore,
        outbox: OutboxLog,
        *,
        charts: ChartDesk | None = None,
        clock: Clock = utc_now,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
    ) -> None:
        limiter = bot.rate_limiter
        paid_rate = 0.0
        if isinstance(limiter, FloodLimiter) and limiter.paid_broadcast:
            paid_rate = limiter.limits.paid_broadcast_per_second
        paid = paid_rate > 0
        self.bot = bot
        self.charts = charts
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency or in_flight_for(paid_rate)
        """Chats sent to at once (each one message at a time)."""
        self.owner = new_owner()
        self._db = database
        self._chats = chats
        self._outbox = outbox
        self._clock = clock
        self._in_flight: set[tuple[int, date, Purpose]] = set()
        self._broadcast_options: dict[str, Any] = {"rate_limit_args": BULK}
        self._broadcast_fields = _message_defaults(bot.defaults)
        if paid:
            # The limiter paces flagged messages at the paid rate; everything else stays free.
            self._broadcast_options[PAID_FLAG] = True
            self._broadcast_fields[PAID_FLAG] = True
        self.keep_going: Callable[[], bool] = lambda: True
        """Checked before each chat; the application sets it to "while running"."""

    def close(self) -> None:
        """Give up this sender's claims (a later sender may take them over at once)."""
        retire_owner(self.owner)

    def busy(self, chat_id: int, session: date, purpose: Purpose) -> bool:
        """Return True while this sender is delivering ``purpose`` of ``session`` to a chat."""
        return (chat_id, session, purpose) in self._in_flight

    async def send(self, session: date, deliveries: Sequence[Delivery]) -> SendReport:
        """Send every delivery (chats not already being sent to), ``concurrency`` at a time."""
        outcomes: dict[int, Outcome] = {}
        migrated: dict[int, int] = {}
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        for delivery in deliveries:
            key = (delivery.chat_id, session, delivery.purpose)
            if key in self._in_flight:
                outcomes[delivery.chat_id] = Outcome.SKIPPED
                continue
            self._in_flight.add(key)
            queue.put_nowait(delivery)

        async def worker() -> None:
            while not queue.empty():
                delivery = queue.get_nowait()
                try:
                    outcomes[delivery.chat_id] = await self._deliver_or_stop(
                        session, delivery, migrated
                    )
                finally:
                    self._in_flight.discard((delivery.chat_id, session, delivery.purpose))

        workers = min(self.concurrency, queue.qsize())
        await asyncio.gather(*(worker() for _ in range(workers)))
        return SendReport(session, outcomes, migrated)

    async def _deliver_or_stop(
        self, session: date, delivery: Delivery, migrated: dict[int, int]
    ) -> Outcome:
        if not self.keep_going():
            # Shutting down: leave the rest for the catch-up after the restart.
            return Outcome.PENDING
        progress = _Progress(delivery.chat_id, delivery.thread_id)
        current: Parcel | None = None
        try:
            sent_any = False
            for current in delivery.parcels:
                sent_any = await self._send_parcel(session, delivery, current, progress) or sent_any
            return Outcome.SENT if sent_any else Outcome.SKIPPED
        except _Stop as stop:
            return stop.outcome
        except Exception:
            log.exception("sending to chat %s failed unexpectedly", progress.chat_id)
            if current is not None:
                await self._release(session, current, progress, "internal error")
            return Outcome.PENDING
        finally:
            if progress.chat_id != delivery.chat_id:
                migrated[delivery.chat_id] = progress.chat_id

    async def _send_parcel(
        self, session: date, delivery: Delivery, parcel: Parcel, progress: _Progress
    ) -> bool:
        """Send the parcel's unsent parts; return False when it had been sent already."""
        items, total = parcel.items, len(parcel.parts)
        start = await self._claim(session, parcel, progress, parts=total)
        if start is None:
            return False
        if start >= total:
            # Parts acknowledged before a restart cover a re-rendered (shorter) briefing.
            await self._acknowledged(progress, session, items, total - 1, total)
            return True
        part = start
        begun: int | None = start  # the claim marked its first part as sending
        while part < total:
            if part != begun:
                await self._begin(progress, session, items, part, total)
            begun = None
            try:
                await self._send_part(progress, parcel.parts[part])
            except Exception as error:
                resumed = await self._handle(error, session, delivery, parcel, progress)
                if resumed is not None:
                    part = max(part, resumed)
                continue
            await self._acknowledged(progress, session, items, part, total)
            part, progress.failures = part + 1, 0
        return True

    async def _claim(
        self, session: date, parcel: Parcel, progress: _Progress, *, parts: int | None = None
    ) -> int | None:
        """Claim the parcel's items; with ``parts``, also mark the first part due as sending."""
        return await self._db.write(
            self._outbox.claim,
            progress.chat_id,
            session,
            parcel.items,
            self.owner,
            self._clock(),
            parts=parts,
        )

    async def _begin(
        self, progress: _Progress, session: date, items: tuple[str, ...], part: int, total: int
    ) -> None:
        """Mark part ``part`` of ``total`` as in flight."""
        await self._db.write(
            self._outbox.begin_part, progress.chat_id, session, items, part, total, self._clock()
        )

    async def _acknowledged(
        self, progress: _Progress, session: date, items: tuple[str, ...], part: int, total: int
    ) -> None:
        """Count part ``part`` of ``total`` as sent (the last one completes the items)."""
        await self._db.write(
            self._outbox.part_sent, progress.chat_id, session, items, part, total, self._clock()
        )

    async def _send_part(self, progress: _Progress, part: Part) -> None:
        if isinstance(part, TextPart):
            request = {**part.request, **self._broadcast_fields, "chat_id": progress.chat_id}
            if progress.thread_id is not None:
                request["message_thread_id"] = progress.thread_id
            try:
                # The answer (the sent message as JSON) is not needed: see the module's docstring.
                await self.bot.do_api_request("sendMessage", request, rate_limit_args=BULK)
            except EndPointNotFound as error:
                # do_api_request calls a refused token an unknown method; sendMessage is known.
                if isinstance(error.__cause__, InvalidToken):
                    raise error.__cause__ from None
                raise
        elif self.charts is not None:
            await self.charts.send(
                self.bot,
                progress.chat_id,
                part.chart,
                thread_id=progress.thread_id,
                **self._broadcast_options,
            )

    async def _handle(
        self,
        error: Exception,
        session: date,
        delivery: Delivery,
        parcel: Parcel,
        progress: _Progress,
    ) -> int | None:
        """Apply the Telegram policy to a failed part; return a new start part after a hop.

        Return None to retry the same part; raise ``_Stop`` to end the chat's delivery.
        """
        chat_id, purpose = progress.chat_id, delivery.purpose
        if isinstance(error, Forbidden):
            await self._stop(session, delivery, parcel, progress, f"forbidden: {error.message}")
        if isinstance(error, ChatMigrated):
            return await self._migrate(session, parcel, progress, int(error.new_chat_id))
        if isinstance(error, BadRequest):
            meaning = refusal(error)
            if meaning is Refusal.THREAD_GONE and progress.thread_id is not None:
                log.info(
                    "topic %s of chat %s is gone; sending to the chat", progress.thread_id, chat_id
                )
                await self._db.run(self._chats.clear_thread, chat_id, purpose, self._clock())
                progress.thread_id = None
                return None
            if meaning is Refusal.CHAT_GONE:
                await self._stop(
                    session, delivery, parcel, progress, f"chat not found: {error.message}"
                )
            log.error("Telegram refused the %s for chat %s: %s", purpose, chat_id, error.message)
            await self._fail_rest(
                session, delivery, parcel, progress, f"bad request: {error.message}"
            )
            raise _Stop(Outcome.FAILED)
        if isinstance(error, NetworkError | RetryAfter):
            progress.failures += 1
            if progress.failures >= self.retry.attempts:
                log.warning(
                    "chat %s: giving up on the %s of %s for now after %d attempts (%s); "
                    "left pending",
                    chat_id,
                    purpose,
                    session,
                    progress.failures,
                    error,
                )
                await self._release(session, parcel, progress, str(error))
                raise _Stop(Outcome.PENDING)
            delay = self.retry.delay(progress.failures)
            if isinstance(error, RetryAfter):
                delay = max(delay, retry_after_seconds(error))
            await asyncio.sleep(delay)
            return None
        raise error

    async def _migrate(
        self, session: date, parcel: Parcel, progress: _Progress, new_chat_id: int
    ) -> int:
        progress.hops += 1
        old_chat_id = progress.chat_id
        if progress.hops > MAX_MIGRATIONS:
            await self._release(session, parcel, progress, "migration loop")
            raise _Stop(Outcome.PENDING)
        await self._db.run(self._chats.migrate, old_chat_id, new_chat_id, self._clock())
        await self._db.run(self._outbox.migrate, old_chat_id, new_chat_id)
        log.info("chat %s migrated to %s; resending there", old_chat_id, new_chat_id)
        progress.chat_id = new_chat_id
        resumed = await self._claim(session, parcel, progress)
        if resumed is None:
            raise _Stop(Outcome.SKIPPED)  # the supergroup already has it
        return resumed

    async def _stop(
        self,
        session: date,
        delivery: Delivery,
        parcel: Parcel,
        progress: _Progress,
        reason: str,
    ) -> None:
        """Stop the purpose for a chat that is gone; its remaining items fail for good."""
        await self._db.run(
            self._chats.stop, progress.chat_id, delivery.purpose, reason, self._clock()
        )
        await self._fail_rest(session, delivery, parcel, progress, reason)
        log.info("chat %s: %s stopped (%s)", progress.chat_id, delivery.purpose, reason)
        raise _Stop(Outcome.DEACTIVATED)

    async def _fail_rest(
        self,
        session: date,
        delivery: Delivery,
        parcel: Parcel,
        progress: _Progress,
        reason: str,
    ) -> None:
        """Give up this parcel's items and those of the parcels after it, for good."""
        index = delivery.parcels.index(parcel)
        items = tuple(item for later in delivery.parcels[index:] for item in later.items)
        await self._db.run(
            self._outbox.fail, progress.chat_id, session, items, reason, self._clock()
        )

    async def _release(
        self, session: date, parcel: Parcel, progress: _Progress, reason: str
    ) -> None:
        """Leave this parcel's items pending for the next catch-up or evaluation."""
        await self._db.run(
            self._outbox.release, progress.chat_id, session, parcel.items, reason, self._clock()
        )

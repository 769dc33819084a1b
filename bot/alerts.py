"""Push regime-change alerts: the latest session against the one before, once per chat.

Which alerts are pushed (``briefings.alerts`` detects more; a push must be worth a buzz):

- ``quadrant``: a rotation pair (not a single sector) that enters Leading or Lagging, i.e.
  takes or loses leadership. Leading <-> Weakening and Lagging <-> Improving are momentum
  wiggles that come and go from day to day.
- ``cross50``: every watched lead/lag ratio crossing its 50-session average.
- ``breadth200``: every basket whose majority above the 200-day average turns on or off.
- ``record``: a benchmark's record close that starts a run; the records that follow it on the
  next sessions are news the briefing already carries.

On the real closes of Jun 2025 - Jul 2026 that is 1.0 alerts per session (all detected
alerts: 2.6; ``tests/perf/quadrant_changes.py --alerts``), in one message.

Alerts are news: only the last completed session is pushed (one the bot missed while down is
not pushed later), and only to chats that turned alerts on before that session closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import ExtBot

from bot.alert_chats import AlertChat, AlertChatStore
from bot.alert_log import AlertLog
from bot.background import BackgroundTasks
from bot.delivery import MAX_MIGRATIONS, RetryPolicy
from bot.market import Clock, MarketDesk, utc_now
from bot.ratelimit import BULK, retry_after_seconds
from briefings.alerts import Alert, detect_alerts
from briefings.calendar import session_close
from briefings.model import Briefing
from briefings.render import TELEGRAM_LIMIT, render_template, split_message
from briefings.service import NoDataError, Snapshot

log = logging.getLogger(__name__)

#: RRG quadrants whose entry by a rotation pair is pushed.
PUSHED_QUADRANTS = frozenset({"Leading", "Lagging"})


def worth_pushing(alert: Alert) -> bool:
    """Return True for the alerts that are pushed (see the module docstring)."""
    if alert.kind == "quadrant":
        return alert.message.get("scope") == "pair" and (
            alert.message.get("to_quadrant") in PUSHED_QUADRANTS
        )
    if alert.kind == "record":
        return not alert.message.get("extends_run")
    return True


@dataclass(frozen=True)
class AlertMessage:
    """One Telegram message of a session's alerts and the alert keys it carries."""

    keys: tuple[str, ...]
    text: str


def render_alerts(briefing: Briefing, alerts: Sequence[Alert]) -> str:
    """Render ``alerts`` of ``briefing``'s session as Telegram HTML (templates/alerts.html.j2)."""
    return render_template("alerts.html.j2", b=briefing, alerts=list(alerts))


def alert_messages(briefing: Briefing, alerts: Sequence[Alert]) -> list[AlertMessage]:
    """Return the fewest messages holding ``alerts`` in order, each under Telegram's limit.

    Alerts are grouped whole, so each message's keys are known; a single alert too long for
    one message (never seen) is split with ``split_message`` and its keys go with the last part.
    """
    messages: list[AlertMessage] = []
    group: list[Alert] = []
    for alert in alerts:
        if group and len(render_alerts(briefing, [*group, alert])) > TELEGRAM_LIMIT:
            messages.extend(_messages(briefing, group))
            group = []
        group.append(alert)
    if group:
        messages.extend(_messages(briefing, group))
    return messages


def _messages(briefing: Briefing, group: Sequence[Alert]) -> list[AlertMessage]:
    parts = split_message(render_alerts(briefing, group))
    keys = tuple(alert.key for alert in group)
    return [
        AlertMessage(keys if index == len(parts) - 1 else (), part)
        for index, part in enumerate(parts)
    ]


class Outcome(StrEnum):
    """How pushing a session's alerts to one chat ended."""

    SENT = "sent"
    SKIPPED = "skipped"
    """Nothing due: already sent, or alerts turned on after the session closed."""
    PENDING = "pending"
    """Stopped by transient errors; retried by the next evaluation."""
    FAILED = "failed"
    DISABLED = "disabled"
    """The chat blocked the bot or is gone: its alerts were turned off."""


@dataclass(frozen=True)
class AlertReport:
    """What one evaluation did: the session, the alerts pushed and each chat's outcome."""

    session: date | None
    keys: tuple[str, ...] = ()
    outcomes: Mapping[int, Outcome] = field(default_factory=dict)
    reason: str | None = None
    """Why nothing was evaluated (no chats, no data, the store is behind)."""

    def count(self, outcome: Outcome) -> int:
        """Return how many chats ended with ``outcome``."""
        return sum(1 for value in self.outcomes.values() if value is outcome)


class AlertSender:
    """Evaluate the latest session's regime changes and push them to opted-in chats."""

    def __init__(
        self,
        bot: ExtBot[Any],
        desk: MarketDesk,
        chats: AlertChatStore,
        alert_log: AlertLog,
        *,
        clock: Clock = utc_now,
        retry: RetryPolicy | None = None,
        concurrency: int = 32,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.chats = chats
        self.log = alert_log
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency
        self._clock = clock
        self._lock = asyncio.Lock()
        self._background = BackgroundTasks(AlertReport)

    def track(self, task: asyncio.Task[AlertReport]) -> None:
        """Remember a background evaluation so ``wait_idle`` can await it."""
        self._background.track(task)

    async def wait_idle(self) -> list[AlertReport]:
        """Wait for every tracked background evaluation; return their reports."""
        return await self._background.wait_idle()

    async def session_alerts(self, current: Snapshot) -> tuple[Alert, ...]:
        """Return the pushed alerts of ``current``'s session against the stored one before it."""
        before = current.previous_session()
        if before is None:
            return ()
        previous = await self.desk.stored_snapshot(before)
        alerts = detect_alerts(previous.briefing, current.briefing)
        return tuple(alert for alert in alerts if worth_pushing(alert))

    async def evaluate(self) -> AlertReport:
        """Push the last completed session's alerts to every opted-in chat that lacks them."""
        async with self._lock:  # the refresh job and a catch-up must not push the same alert
            chats = self.chats.enabled()
            if not chats:
                return AlertReport(None, reason="no chat has alerts on")
            try:
                current = await self.desk.stored_snapshot()
            except NoDataError:
                return AlertReport(None, reason="no stored prices")
            briefing = current.briefing
            session = briefing.as_of
            expected = self.desk.expected_session()
            if session != expected:
                return AlertReport(
                    session, reason=f"stored session {session} is not the last one, {expected}"
                )
            alerts = await self.session_alerts(current)
            outcomes: dict[int, Outcome] = {}
            queue: asyncio.Queue[AlertChat] = asyncio.Queue()
            for chat in chats:
                queue.put_nowait(chat)

            async def worker() -> None:
                while not queue.empty():
                    chat = queue.get_nowait()
                    try:
                        outcomes[chat.chat_id] = await self._push(chat, briefing, alerts)
                    except Exception:
                        log.exception("alerts to chat %s failed unexpectedly", chat.chat_id)
                        outcomes[chat.chat_id] = Outcome.PENDING

            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(chats)))))
            report = AlertReport(session, tuple(a.key for a in alerts), outcomes)
            if report.count(Outcome.SENT):
                log.info("alerts of %s sent to %d chats", session, report.count(Outcome.SENT))
            return report

    async def _push(self, chat: AlertChat, briefing: Briefing, alerts: Sequence[Alert]) -> Outcome:
        session = briefing.as_of
        if chat.enabled_at is not None and chat.enabled_at > session_close(session):
            return Outcome.SKIPPED
        done = self.log.done(chat.chat_id, session)
        due = [alert for alert in alerts if alert.key not in done]
        if not due:
            return Outcome.SKIPPED
        chat_id, thread_id = chat.chat_id, chat.thread_id
        messages = alert_messages(briefing, due)
        index, failures, hops = 0, 0, 0
        while index < len(messages):
            message = messages[index]
            self.log.begin(chat_id, session, message.keys, self._clock())
            try:
                await self.bot.send_message(
                    chat_id,
                    message.text,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread_id,
                    rate_limit_args=BULK,
                )
            except Forbidden as exc:
                self._give_up(chat_id, session, messages[index:], f"forbidden: {exc.message}")
                return Outcome.DISABLED
            except ChatMigrated as exc:
                hops += 1
                if hops > MAX_MIGRATIONS:
                    return Outcome.PENDING
                new_chat_id = int(exc.new_chat_id)
                self.chats.migrate(chat_id, new_chat_id, self._clock())
                self.log.migrate(chat_id, new_chat_id)
                chat_id = new_chat_id
                continue
            except BadRequest as exc:
                reason = exc.message.lower()
                if thread_id is not None and "thread not found" in reason:
                    self.chats.clear_thread(chat_id, self._clock())
                    thread_id = None
                    continue
                if "chat not found" in reason:
                    self._give_up(chat_id, session, messages[index:], f"chat not found: {reason}")
                    return Outcome.DISABLED
                log.error("Telegram refused the alerts for chat %s: %s", chat_id, exc.message)
                keys = [key for m in messages[index:] for key in m.keys]
                self.log.fail(chat_id, session, keys, self._clock())
                return Outcome.FAILED
            except (NetworkError, RetryAfter) as exc:
                failures += 1
                if failures >= self.retry.attempts:
                    log.warning("alerts to chat %s left for the next evaluation: %s", chat_id, exc)
                    return Outcome.PENDING
                delay = self.retry.delay(failures)
                if isinstance(exc, RetryAfter):
                    delay = max(delay, retry_after_seconds(exc))
                await asyncio.sleep(delay)
                continue
            self.log.sent(chat_id, session, message.keys, self._clock())
            index, failures = index + 1, 0
        return Outcome.SENT

    def _give_up(
        self, chat_id: int, session: date, unsent: Sequence[AlertMessage], reason: str
    ) -> None:
        now = self._clock()
        self.chats.turn_off(chat_id, reason, now)
        self.log.fail(chat_id, session, [key for m in unsent for key in m.keys], now)
        log.info("alerts of chat %s turned off (%s)", chat_id, reason)

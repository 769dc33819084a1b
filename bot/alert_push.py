"""Push regime-change alerts: the latest session against the one before, once per chat.

Which alerts are pushed is the domain's rule (``briefings.alerts.worth_pushing``), and how they
read is ``briefings.render.alerts``; this module decides who gets them and hands them to the
sender, one parcel per message, each parcel carrying the alert keys it completes.

Alerts are news: only the last completed session is pushed (one the bot missed while down is
not pushed later), and only to chats that turned alerts on before that session closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.delivery.background import BackgroundTasks
from bot.store.chats import AlertChat, ChatStore, Purpose
from bot.store.database import Database
from bot.desk.reader_language import chat_language
from bot.desk.market_desk import MarketDesk
from bot.delivery.outbox import OutboxLog, alert_item
from bot.delivery.sender import Delivery, Outcome, Parcel, Part, Sender, TextPart
from briefings.alerts import Alert, pushed_alerts
from briefings.calendar import session_close
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.model import Briefing
from briefings.snapshot import Snapshot
from bot.desk.alert_messages import alert_messages
from briefings.service import NoDataError

log = logging.getLogger(__name__)


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


def alert_parcels(
    briefing: Briefing, alerts: Sequence[Alert], lang: str = DEFAULT_LANGUAGE
) -> tuple[Parcel, ...]:
    """Return one parcel per alert message; an over-long message's parts travel together."""
    parcels: list[Parcel] = []
    parts: list[Part] = []
    for message in alert_messages(briefing, alerts, lang):
        parts.append(TextPart(message.text))
        if message.keys:
            parcels.append(Parcel(tuple(alert_item(key) for key in message.keys), tuple(parts)))
            parts = []
    return tuple(parcels)


class AlertPush:
    """Evaluate the latest session's regime changes and push them to opted-in chats."""

    def __init__(
        self,
        sender: Sender,
        desk: MarketDesk,
        database: Database,
        chats: ChatStore,
        outbox: OutboxLog,
    ) -> None:
        self.sender = sender
        self.desk = desk
        self._db = database
        self._chats = chats
        self._outbox = outbox
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
        return pushed_alerts(previous.briefing, current.briefing)

    async def evaluate(self) -> AlertReport:
        """Push the last completed session's alerts to every opted-in chat that lacks them."""
        async with self._lock:  # the refresh job and a catch-up must not push the same alert
            chats = await self._db.run(self._chats.alert_chats)
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
            deliveries = []
            rendered: dict[tuple[tuple[str, ...], str], tuple[Parcel, ...]] = {}
            for chat in chats:
                delivery = await self._delivery(chat, briefing, alerts, rendered)
                if delivery is None:
                    outcomes[chat.chat_id] = Outcome.SKIPPED
                else:
                    deliveries.append(delivery)
            report = await self.sender.send(session, deliveries)
            outcomes.update(report.outcomes)
            result = AlertReport(session, tuple(a.key for a in alerts), outcomes)
            if result.count(Outcome.SENT):
                log.info("alerts of %s sent to %d chats", session, result.count(Outcome.SENT))
            return result

    async def _delivery(
        self,
        chat: AlertChat,
        briefing: Briefing,
        alerts: Sequence[Alert],
        rendered: dict[tuple[tuple[str, ...], str], tuple[Parcel, ...]],
    ) -> Delivery | None:
        """Return what ``chat`` still lacks of the session's alerts, None when nothing.

        ``rendered`` holds the parcels already rendered this evaluation, by alerts and language:
        chats that lack the same alerts and read the same language share them.
        """
        session = briefing.as_of
        if chat.enabled_at is not None and chat.enabled_at > session_close(session):
            return None
        done = await self._db.run(self._outbox.done_alerts, chat.chat_id, session)
        due = [alert for alert in alerts if alert.key not in done]
        if not due:
            return None
        lang = chat_language(chat.language, chat.chat_type, None)
        key = (tuple(alert.key for alert in due), lang)
        if key not in rendered:
            rendered[key] = alert_parcels(briefing, due, lang)
        return Delivery(chat.chat_id, chat.thread_id, Purpose.ALERTS, rendered[key])

"""Push the weekly and monthly recaps after the period's last session, with the briefing.

A chat opts in with ``/settings recaps weekly|monthly|both``. After the briefing of a week's
(or month's) last NYSE session goes out, the recap follows, through the outbox as item
``recap:week`` or ``recap:month`` of that session: each reaches a chat once, and a catch-up after
a restart sends only what is missing. Each recap is rendered once per language.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date

from bot.delivery.outbox import OutboxLog
from bot.delivery.sender import Delivery, Outcome, Parcel, Sender, SendReport, TextPart
from bot.desk.market_desk import MarketDesk
from bot.desk.reader_language import chat_language
from bot.desk.split import split_message
from bot.store.chats import ChatStore, Purpose, Subscription
from bot.store.database import Database
from briefings import PeriodKind, RecapPeriodError, market_recap, recaps_ending, render_recap

log = logging.getLogger(__name__)

#: The recap choices of /settings recaps, and the periods each brings.
RECAP_CHOICES: dict[str, tuple[str, ...]] = {
    "weekly": ("week",),
    "monthly": ("month",),
    "both": ("week", "month"),
}
RECAPS_OFF = "off"


def recap_item(kind: str) -> str:
    """Return the outbox item of a recap: ``recap:week`` or ``recap:month``."""
    return f"recap:{kind}"


class RecapPush:
    """Deliver the recaps that end at a session to the opted-in chats that lack them."""

    def __init__(
        self,
        sender: Sender,
        desk: MarketDesk,
        database: Database,
        outbox: OutboxLog,
        chats: ChatStore,
    ) -> None:
        self.sender = sender
        self.desk = desk
        self._db = database
        self._outbox = outbox
        self._chats = chats
        self._rendered: dict[tuple[date, str, str], tuple[str, ...]] = {}

    async def broadcast(self, session: date, chats: Sequence[Subscription]) -> SendReport:
        """Send ``session``'s due recaps to the chats in ``chats`` that chose them."""
        kinds = recaps_ending(session)
        if not kinds or not chats:
            return SendReport(session)
        choices = await self._db.run(self._chats.recap_choices)
        parcels: dict[int, list[Parcel]] = {}
        for kind in kinds:
            item = recap_item(kind)
            finished = await self._db.run(self._outbox.finished, session, item)
            for subscription in chats:
                wanted = RECAP_CHOICES.get(choices.get(subscription.chat_id, ""), ())
                if kind not in wanted or subscription.chat_id in finished:
                    continue
                lang = chat_language(subscription.language, subscription.chat_type, None)
                try:
                    messages = await self._render(session, kind, lang)
                except RecapPeriodError as exc:
                    log.warning("the %s recap of %s not sent: %s", kind, session, exc)
                    return SendReport(session, error=str(exc))
                parts = tuple(TextPart(html) for html in messages)
                parcels.setdefault(subscription.chat_id, []).append(Parcel((item,), parts))
        by_id = {s.chat_id: s for s in chats}
        deliveries = [
            Delivery(chat_id, by_id[chat_id].thread_id, Purpose.BRIEFING, tuple(chat_parcels))
            for chat_id, chat_parcels in parcels.items()
        ]
        if not deliveries:
            return SendReport(session, {s.chat_id: Outcome.SKIPPED for s in chats})
        report = await self.sender.send(session, deliveries)
        log.info("recaps %s", report.summary())
        return report

    async def _render(self, session: date, kind: PeriodKind, lang: str) -> tuple[str, ...]:
        key = (session, kind, lang)
        found = self._rendered.get(key)
        if found is None:
            recap = await asyncio.to_thread(market_recap, self.desk.service, kind, session)
            html = await asyncio.to_thread(render_recap, recap, "html", lang)
            found = tuple(split_message(html))
            self._rendered[key] = found
        return found

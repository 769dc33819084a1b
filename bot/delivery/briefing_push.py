"""Push a session's briefing, rendered once, to many chats through the sender.

A chart a chat chose with ``/settings chart`` is the parcel's last part, a photo after the
text, counted like the text parts: a restart after the text went out sends only the photo, one
after the photo sends nothing. Each chart is drawn once per session and kind (the chart desk).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import date

from telegram import InlineKeyboardButton
from telegram.constants import ChatType

from bot.delivery.background import BackgroundTasks
from bot.delivery.outbox import BRIEFING, OutboxLog
from bot.delivery.sender import (
    Delivery,
    Outcome,
    Parcel,
    Part,
    PhotoPart,
    Sender,
    SendReport,
    TextPart,
)
from bot.desk.chart_desk import BRIEFING_CHARTS, Chart, ChartDesk
from bot.desk.lab_button import with_lab_row
from bot.desk.market_desk import DataNotReady, MarketDesk, RenderedBriefing
from bot.desk.reader_language import chat_language
from bot.desk.summary_keyboard import view_keyboard
from bot.store.chats import Purpose, Subscription
from bot.store.database import Database

log = logging.getLogger(__name__)


#: Make the Lab's button for a chat (private or not) in a language; None where it cannot open.
LabButton = Callable[[bool, str], InlineKeyboardButton | None]


class BriefingPush:
    """Deliver a session's briefing to chats that have not had it."""

    def __init__(
        self,
        sender: Sender,
        desk: MarketDesk,
        database: Database,
        outbox: OutboxLog,
        charts: ChartDesk | None = None,
        lab_button: LabButton | None = None,
    ) -> None:
        self.sender = sender
        self._lab_button = lab_button
        self.desk = desk
        self.charts = charts
        self._db = database
        self._outbox = outbox
        self._background = BackgroundTasks(SendReport)

    def track(self, task: asyncio.Task[SendReport]) -> None:
        """Remember a background broadcast so ``wait_idle`` can await it."""
        self._background.track(task)

    async def wait_idle(self) -> list[SendReport]:
        """Wait for every tracked background broadcast; return their reports."""
        return await self._background.wait_idle()

    async def broadcast(self, session: date, chats: Sequence[Subscription]) -> SendReport:
        """Send ``session``'s briefing to every chat in ``chats`` that has not had it."""
        finished = await self._db.run(self._outbox.finished, session, BRIEFING)
        outcomes: dict[int, Outcome] = {s.chat_id: Outcome.SKIPPED for s in chats}
        due = [
            s
            for s in chats
            if s.chat_id not in finished
            and not self.sender.busy(s.chat_id, session, Purpose.BRIEFING)
        ]
        if not due:
            return SendReport(session, outcomes)
        by_language: dict[str, list[Subscription]] = {}
        for subscription in due:
            lang = chat_language(subscription.language, subscription.chat_type, None)
            by_language.setdefault(lang, []).append(subscription)
        deliveries = []
        # Rendered once per language (the desk keeps it for the session), not once per chat.
        for lang, chats_of_language in sorted(by_language.items()):
            try:
                rendered = await self.desk.rendered(session, lang)
            except DataNotReady as exc:
                log.warning("briefing for %s not sent to %d chats: %s", session, len(due), exc)
                outcomes.update({s.chat_id: Outcome.PENDING for s in due})
                return SendReport(session, outcomes, error=str(exc))
            deliveries.extend(await self._deliveries(session, rendered, chats_of_language, lang))
        sent = await self.sender.send(session, deliveries)
        outcomes.update(sent.outcomes)
        report = SendReport(session, outcomes, sent.migrated)
        log.info("broadcast %s", report.summary())
        return report

    async def _deliveries(
        self,
        session: date,
        rendered: RenderedBriefing,
        chats: Sequence[Subscription],
        lang: str,
    ) -> list[Delivery]:
        """Return the deliveries of ``rendered`` (in ``lang``) to ``chats``, charts included."""
        charts = await self._charts(rendered, chats, lang)
        # The summary's last part carries the view buttons (bot.desk.summary_keyboard).
        *head, last = rendered.messages
        keyboard = view_keyboard(session, lang=lang)
        texts: dict[bool, tuple[Part, ...]] = {}
        for private in (True, False):
            button = None if self._lab_button is None else self._lab_button(private, lang)
            texts[private] = (
                *(TextPart(html) for html in head),
                TextPart(last, with_lab_row(keyboard, button)),
            )
        deliveries = []
        for subscription in chats:
            chart = charts.get(subscription.chart or "")
            text = texts[subscription.chat_type == ChatType.PRIVATE]
            parts = text if chart is None else (*text, PhotoPart(chart))
            deliveries.append(
                Delivery(
                    subscription.chat_id,
                    subscription.thread_id,
                    Purpose.BRIEFING,
                    (Parcel((BRIEFING,), parts),),
                )
            )
        return deliveries

    async def _charts(
        self, rendered: RenderedBriefing, chats: Sequence[Subscription], lang: str
    ) -> dict[str, Chart]:
        """Draw each chart the chats chose once; a chart that fails is left out, not the text."""
        charts: dict[str, Chart] = {}
        if self.charts is None:
            return charts
        names = {s.chart for s in chats if s.chart is not None and s.chart in BRIEFING_CHARTS}
        for name in sorted(names):
            try:
                charts[name] = await self.charts.chart(
                    rendered.snapshot, BRIEFING_CHARTS[name], lang
                )
            except Exception:
                log.exception("chart %s of %s not drawn", name, rendered.briefing.as_of)
        return charts

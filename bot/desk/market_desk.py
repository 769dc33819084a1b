"""The bot's async door to the market service: refresh off the event loop, render once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.desk.close_time import with_close_time
from bot.desk.split import split_message
from briefings import (
    DEFAULT_LANGUAGE,
    Briefing,
    Clock,
    Format,
    Freshness,
    Lru,
    MarketService,
    NoDataError,
    RefreshReport,
    Snapshot,
    render_briefing,
    render_summary,
    settled_session,
    utc_now,
)

log = logging.getLogger(__name__)

#: After a failed refresh, on-demand commands use stored data for this long before trying again.
REFRESH_RETRY_AFTER = timedelta(minutes=10)
#: How long the latest snapshot is served from memory before the store is asked again (another
#: process, such as `marketbrief refresh`, may have added a session meanwhile).
LATEST_RECHECK_SECONDS = 30.0
#: Rendered briefings kept (least recently used out): only the latest sessions are asked again.
MAX_RENDERED = 8
#: Rendered window views kept (least recently used out): three views x seven windows x two
#: languages of the latest session, with room for the session before.
MAX_VIEWS = 96

#: A window view's renderer: (briefing, window, format, language) -> Telegram HTML.
ViewRenderer = Callable[[Briefing, str, Format, str], str]


class DataNotReady(RuntimeError):
    """Raise when the store lacks the session a delivery needs (the refresh failed or lags)."""


@dataclass(frozen=True)
class RenderedBriefing:
    """A session's briefing rendered once as Telegram HTML, split into sendable messages."""

    briefing: Briefing
    messages: tuple[str, ...]
    """What the daily push and /brief send: the summary (one message)."""
    snapshot: Snapshot = field(repr=False, compare=False)
    """What the briefing was built from (charts sent with it draw from the same data)."""
    full: tuple[str, ...] = ()
    """The whole briefing (/brief full and the summary's Full button)."""


class MarketDesk:
    """Serve snapshots and rendered briefings to handlers and broadcasts without blocking."""

    def __init__(self, service: MarketService, clock: Clock = utc_now) -> None:
        self.service = service
        self._clock = clock
        self._refresh_lock = asyncio.Lock()
        self._last_attempt: datetime | None = None
        self._last_report: RefreshReport | None = None
        self._refreshes = 0
        self._rendered: Lru[tuple[date, str, str], RenderedBriefing] = Lru(MAX_RENDERED)
        self._views: Lru[tuple[str, str, date, str, str, str], str] = Lru(MAX_VIEWS)
        # Per period: (snapshot, when checked). Served for LATEST_RECHECK_SECONDS while its
        # session is the expected one; emptied by every refresh.
        self._latest: dict[str, tuple[Snapshot, float]] = {}

    def expected_session(self) -> date:
        """Return the last completed NYSE session now."""
        return settled_session(self._clock())

    async def freshness(self) -> Freshness:
        """Return what the store holds and when it was last refreshed."""
        return await asyncio.to_thread(self.service.freshness)

    async def refresh(self) -> RefreshReport:
        """Fetch what the store lacks (one refresh at a time; later callers reuse its result)."""
        generation = self._refreshes
        async with self._refresh_lock:
            if self._refreshes != generation and self._last_report is not None:
                return self._last_report  # a refresh finished while this call waited
            report = await asyncio.to_thread(self.service.refresh)
            self._last_attempt, self._last_report = self._clock(), report
            self._refreshes += 1
            self._latest.clear()
        if report.error:
            log.warning("refresh from %s failed: %s", self.service.source_name, report.error)
        else:
            log.info("refreshed %s through %s", self.service.source_name, report.through)
        return report

    async def ensure_current(self, *, patient: bool = False) -> Freshness:
        """Refresh when the store is behind the last completed session.

        Unless ``patient``, a refresh that failed recently is not retried, so every command
        during an outage does not wait on the source again.
        """
        freshness = await self.freshness()
        if freshness.last_session is not None and freshness.last_session >= self.expected_session():
            return freshness
        recent = self._last_attempt is not None and (
            self._clock() - self._last_attempt < REFRESH_RETRY_AFTER
        )
        if recent and not patient and freshness.last_session is not None:
            return freshness
        await self.refresh()
        return await self.freshness()

    async def snapshot(self, period: str = "MTD") -> Snapshot:
        """Return the briefing snapshot of the latest stored session (refreshing if behind).

        Commands ask for it on every message, so while it is current and recently checked it
        comes from memory: no SQLite, no thread hop.
        """
        cached = self._latest.get(period)
        if (
            cached is not None
            and time.monotonic() - cached[1] < LATEST_RECHECK_SECONDS
            and cached[0].briefing.as_of >= self.expected_session()
        ):
            return cached[0]
        await self.ensure_current()
        try:
            snapshot = await asyncio.to_thread(self.service.snapshot, None, period)
        except NoDataError:
            await self.refresh()
            snapshot = await asyncio.to_thread(self.service.snapshot, None, period)
        self._latest[period] = (snapshot, time.monotonic())
        return snapshot

    async def stored_snapshot(self, session: date | None = None) -> Snapshot:
        """Return the snapshot of ``session`` (default: the latest stored) without refreshing."""
        return await asyncio.to_thread(self.service.snapshot, session)

    async def rendered(
        self, session: date | None = None, lang: str = DEFAULT_LANGUAGE
    ) -> RenderedBriefing:
        """Return the briefing for ``session`` (default: latest stored) rendered once as HTML.

        Once per session, data version and language: every chat reading ``lang`` shares it.
        """
        if session is not None:
            freshness = await self.freshness()
            if freshness.last_session is None or freshness.last_session < session:
                await self.refresh()
                freshness = await self.freshness()
            if freshness.last_session is None or freshness.last_session < session:
                stored = freshness.last_session.isoformat() if freshness.last_session else "none"
                raise DataNotReady(
                    f"the store holds no closes for {session.isoformat()} yet "
                    f"(latest stored session: {stored})"
                )
            snapshot = await asyncio.to_thread(self.service.snapshot, session)
        else:
            snapshot = await self.snapshot()
        briefing = snapshot.briefing
        key = (briefing.as_of, briefing.data_version, lang)
        cached = self._rendered.get(key)
        if cached is None:
            html = await asyncio.to_thread(render_briefing, briefing, "html", lang)
            summary = await asyncio.to_thread(render_summary, briefing, "html", lang)
            summary = with_close_time(summary, briefing.as_of)
            cached = RenderedBriefing(
                briefing, tuple(split_message(summary)), snapshot, tuple(split_message(html))
            )
            self._rendered.put(key, cached)
        return cached

    def rendered_view(
        self, briefing: Briefing, view: str, window: str, lang: str, render: ViewRenderer
    ) -> str:
        """Return ``render(briefing, window, "html", lang)``, rendered once per data and view.

        Keyed on the data (source, version, session), the view, the window and the language:
        every chat asking the same thing shares one render (a view with numbers formatted for
        the locale costs about a millisecond, more than the rest of a reply).
        """
        key = (briefing.source, briefing.data_version, briefing.as_of, view, window, lang)
        text = self._views.get(key)
        if text is None:
            text = render(briefing, window, "html", lang)
            self._views.put(key, text)
        return text

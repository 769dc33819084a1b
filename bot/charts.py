"""Charts for the bot: render off the event loop, once per key, and upload each image once.

One ``ChartDesk`` per application owns the ``ChartCache`` and a small thread pool. Requests for
the same chart (data version, session, kind and arguments) share one render even when they
arrive together (the cache's de-duplication); after the first upload of a chart, Telegram's
``file_id`` is sent instead of the bytes (the most recent ``MAX_FILE_IDS`` are remembered).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.desk.reader_language import current_language
from bot.telegram_errors import Refusal, refusal
from briefings.charts import (
    ChartCache,
    ChartKey,
    ChartKind,
    cached_chart,
    chart_key,
    chart_summary,
)
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.lru import Lru
from briefings.snapshot import Snapshot
from briefings.render.templates import render_template

log = logging.getLogger(__name__)

#: Threads drawing charts. Drawing holds the GIL nearly all the time, so a second thread draws
#: no faster (measured: ten charts take 2.8-3.2 s with one thread or two) and only makes the
#: event loop wait longer for the GIL.
DEFAULT_WORKERS = 1
#: Seconds a thread may hold the GIL before handing it over (Python's default is 0.005).
GIL_SWITCH_INTERVAL = 0.001
#: Charts kept in memory (about 250 KiB each).
DEFAULT_CACHE_ENTRIES = 32
#: Telegram file_ids remembered (one per chart uploaded; older ones are forgotten first).
MAX_FILE_IDS = 64
#: The window the ratio chart starts from (``briefings.charts.data.DEFAULT_RATIO_WINDOW``).
PAIRS_WINDOW = "3M"


@dataclass(frozen=True)
class ChartRequest:
    """Which chart to draw: its kind and, for sector bars, the window."""

    kind: ChartKind
    window: str = "MTD"

    def key(self, snapshot: Snapshot, lang: str = DEFAULT_LANGUAGE) -> ChartKey:
        """Return the cache key of this chart for ``snapshot`` drawn in ``lang``."""
        return chart_key(snapshot, self.kind, window=self.window, language=lang)


#: What ``/settings chart NAME`` adds to a chat's daily briefing.
BRIEFING_CHARTS: Mapping[str, ChartRequest] = {
    "rrg": ChartRequest("rrg-sectors"),
    "pairs": ChartRequest("pairs"),
    "sectors": ChartRequest("sectors", "MTD"),
    "breadth": ChartRequest("breadth"),
}


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its key, the PNG bytes and the caption (Telegram HTML)."""

    key: ChartKey
    image: bytes
    caption: str


PhotoSender = Callable[[str | bytes], Awaitable[Message]]


def chart_caption(snapshot: Snapshot, request: ChartRequest, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the photo caption: what the chart shows in words, the session, the data's source.

    The words come from the chart's own data (``chart_summary``): the names in each RRG
    quadrant, the pairs that rose and fell most, the best and worst bar and the benchmark.
    """
    return render_template(
        "bot/chart_caption.html.j2",
        lang,
        b=snapshot.briefing,
        kind=request.kind,
        window=request.window,
        pairs_window=PAIRS_WINDOW,
        benchmark=snapshot.universe.benchmark,
        summary=chart_summary(snapshot, request.kind, window=request.window),
    ).strip()


def share_the_gil_often() -> None:
    """Make threads hand over the GIL every millisecond in the bot's process (default: 5 ms).

    While a chart is drawn the event loop gets the GIL back only at a switch, several times per
    reply it sends; a shorter interval keeps replies quick (see tests/perf/bot_charts.py).
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)


class ChartDesk:
    """Serve charts to handlers and broadcasts without blocking the event loop."""

    def __init__(
        self,
        cache: ChartCache | None = None,
        *,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.cache = cache if cache is not None else ChartCache(DEFAULT_CACHE_ENTRIES)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chart")
        self._file_ids: Lru[ChartKey, str] = Lru(MAX_FILE_IDS)
        self._uploads: dict[ChartKey, asyncio.Lock] = {}

    async def chart(
        self, snapshot: Snapshot, request: ChartRequest, lang: str | None = None
    ) -> Chart:
        """Return the chart for ``snapshot``, drawn in the pool at most once per key.

        The chart and its caption are in ``lang`` (default: the language of the chat answered).

        The chart cache renders each key once: a request for a key being drawn waits for that
        render, and a request for a drawn key is answered from memory.
        """
        loop = asyncio.get_running_loop()
        lang = lang or current_language()
        image, caption = await loop.run_in_executor(
            self._executor, self._draw, snapshot, request, lang
        )
        return Chart(request.key(snapshot, lang), image, caption)

    def _draw(self, snapshot: Snapshot, request: ChartRequest, lang: str) -> tuple[bytes, str]:
        """Return the chart's PNG (from the cache) and its caption; runs in the pool."""
        image = cached_chart(
            self.cache, snapshot, request.kind, window=request.window, language=lang
        )
        return image, chart_caption(snapshot, request, lang)

    async def send(
        self,
        bot: ExtBot[Any],
        chat_id: int,
        chart: Chart,
        *,
        thread_id: int | None = None,
        **send_options: Any,
    ) -> Message:
        """Send ``chart`` as a photo: its Telegram file_id once uploaded, else the bytes.

        The first upload of a key runs alone; the callers queued behind it then send the
        file_id it got, so a chart goes over the wire once, not once per chat.
        """

        async def send_photo(photo: str | bytes) -> Message:
            return await bot.send_photo(
                chat_id,
                photo,
                caption=chart.caption,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
                **send_options,
            )

        file_id = self._file_ids.get(chart.key)
        if file_id is not None:
            sent = await self._send_known(send_photo, chart.key, file_id)
            if sent is not None:
                return sent
        lock = self._uploads.setdefault(chart.key, asyncio.Lock())
        async with lock:
            file_id = self._file_ids.get(chart.key)
            if file_id is not None:
                sent = await self._send_known(send_photo, chart.key, file_id)
                if sent is not None:
                    return sent
            message = await send_photo(chart.image)
            if message.photo:
                self._remember(chart.key, message.photo[-1].file_id)
            return message

    def _remember(self, key: ChartKey, file_id: str) -> None:
        self._file_ids.put(key, file_id)
        self._uploads.pop(key, None)

    async def _send_known(
        self, send_photo: PhotoSender, key: ChartKey, file_id: str
    ) -> Message | None:
        """Send by file_id; forget an id Telegram no longer accepts and return None."""
        try:
            message = await send_photo(file_id)
        except BadRequest as exc:
            if refusal(exc) is not Refusal.FILE_REFUSED:
                raise
            log.info("file_id of %s refused (%s); uploading again", key.kind, exc.message)
            self._file_ids.pop(key)
            return None
        return message

    def close(self) -> None:
        """Stop the pool; renders in flight finish, queued ones are dropped."""
        self._executor.shutdown(wait=False, cancel_futures=True)

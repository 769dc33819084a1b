"""A bounded, thread-safe LRU cache of rendered charts that renders each key once.

This is the one place a chart's render is de-duplicated: callers asking for a key being
rendered wait for that render (the bot's chart desk relies on it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date

from briefings.lru import Lru


@dataclass(frozen=True)
class ChartKey:
    """What a chart's bytes depend on: the data, the session, the chart, its arguments, language."""

    source: str
    data_version: str
    as_of: date
    kind: str
    arguments: tuple[tuple[str, Hashable], ...] = ()
    language: str = "en"


@dataclass(frozen=True)
class CacheStats:
    """Counters since the cache was made: renders run, hits served, entries held."""

    renders: int
    hits: int
    entries: int


class ChartCache:
    """Keep the last ``max_entries`` charts; concurrent requests for one key share one render."""

    def __init__(self, max_entries: int = 64) -> None:
        self._entries: Lru[ChartKey, bytes] = Lru(max_entries)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._pending: dict[ChartKey, Future[bytes]] = {}
        self._renders = 0
        self._hits = 0

    def get(self, key: ChartKey, render: Callable[[], bytes]) -> bytes:
        """Return the cached bytes for ``key``, else render them once and keep them.

        A caller arriving while another thread renders the same key waits for that render
        instead of starting its own; a failed render is not cached and its error reaches every
        waiting caller.
        """
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._hits += 1
                return cached
            pending = self._pending.get(key)
            if pending is None:
                pending = Future()
                self._pending[key] = pending
                owner = True
            else:
                self._hits += 1
                owner = False
        if not owner:
            return pending.result()
        try:
            with self._lock:
                self._renders += 1
            image = render()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            pending.set_exception(exc)
            raise
        with self._lock:
            self._entries.put(key, image)
            del self._pending[key]
        pending.set_result(image)
        return image

    def stats(self) -> CacheStats:
        """Return the render and hit counters and the number of entries held."""
        with self._lock:
            return CacheStats(renders=self._renders, hits=self._hits, entries=len(self._entries))

    def clear(self) -> None:
        """Drop every entry (renders in flight still complete for their callers)."""
        with self._lock:
            self._entries.clear()

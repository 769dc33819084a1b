"""The Lab's views as JSON bytes, each built once per (data version, session) and then kept."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Literal, get_args

from briefings.i18n import check_language
from briefings.lab import views
from briefings.lab.words import lab_words, view_names
from briefings.lru import Lru
from briefings.service import MarketService
from briefings.snapshot import Snapshot

LabView = Literal["rrg-sectors", "rrg-pairs", "heatmap", "breadth", "pairs"]
LAB_VIEWS: tuple[LabView, ...] = get_args(LabView)
#: Views kept: every view of the latest version and of the one before it.
MAX_CACHED_VIEWS = 2 * len(LAB_VIEWS)


class UnknownLabView(ValueError):
    """Raise when asked for a view the Lab does not have."""


@dataclass(frozen=True)
class _Key:
    data_version: str
    session: str
    view: LabView


class LabViews:
    """Every Lab view of a market service's latest session, as compact JSON, built once."""

    def __init__(self, service: MarketService) -> None:
        self._service = service
        self._lock = threading.Lock()
        self._cache: Lru[_Key, bytes] = Lru(MAX_CACHED_VIEWS)
        self._words: dict[str, bytes] = {}
        self.builds = 0
        """How many views were built (not served from the cache): for tests and /stats."""

    def view_json(self, view: str) -> bytes:
        """Return ``view``'s JSON (UTF-8) for the latest session; raise UnknownLabView if none."""
        if view not in LAB_VIEWS:
            raise UnknownLabView(f"unknown view {view!r}; use one of {', '.join(LAB_VIEWS)}")
        snapshot = self._service.snapshot()
        briefing = snapshot.briefing
        key = _Key(briefing.data_version, briefing.as_of.isoformat(), view)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = json.dumps(
                    self._build(view, snapshot), ensure_ascii=False, separators=(",", ":")
                ).encode()
                self.builds += 1
                self._cache.put(key, cached)
            return cached

    def words_json(self, language: str) -> bytes:
        """Return the page's words in ``language`` (checked) with the views' names, built once."""
        check_language(language)
        with self._lock:
            cached = self._words.get(language)
            if cached is None:
                snapshot = self._service.snapshot()
                indexes = self._service.member_book().indexes
                names = view_names(
                    snapshot.universe,
                    (sector for index in indexes for sector in index.sectors),
                    (index.spec.name for index in indexes),
                )
                cached = json.dumps(
                    json.loads(lab_words(language, names)),
                    ensure_ascii=False,
                    separators=(",", ":"),
                ).encode()
                self._words[language] = cached
            return cached

    def _build(self, view: str, snapshot: Snapshot) -> views.JsonObject:
        if view == "rrg-sectors":
            return views.rrg_view(snapshot, "sectors")
        if view == "rrg-pairs":
            return views.rrg_view(snapshot, "pairs")
        if view == "heatmap":
            return views.heatmap_view(snapshot)
        if view == "breadth":
            return views.breadth_view(snapshot, self._service.member_book().indexes)
        return views.pairs_view(snapshot)

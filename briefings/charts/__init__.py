"""Charts of a snapshot as PNG bytes: relative rotation, pair ratios and sector bars.

``render_chart(snapshot, kind)`` draws one; ``cached_chart(cache, snapshot, kind)`` draws it at
most once per data version, session and arguments.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from typing import TYPE_CHECKING, Literal, get_args

from briefings.charts.breadth import BreadthChart, breadth_chart_data
from briefings.charts.cache import CacheStats, ChartCache, ChartKey
from briefings.charts.data import (
    MAX_TAIL_WEEKS,
    BarChart,
    Provenance,
    RatioChart,
    RatioLine,
    RRGChart,
    RRGTrail,
    pairs_chart_data,
    rrg_chart_data,
    sectors_chart_data,
)
from briefings.charts.summary import (
    QuadrantMembers,
    RatioMove,
    RatioSummary,
    RRGSummary,
    summarize_ratios,
    summarize_rrg,
)
from briefings.i18n import DEFAULT_LANGUAGE, check_language

if TYPE_CHECKING:
    from briefings.charts.breadth_plot import plot_breadth
    from briefings.charts.plot import plot_ratios, plot_rrg, plot_sector_bars
    from briefings.snapshot import Snapshot

#: Loaded on first use: matplotlib takes about half a second to import, which `run` and `push`
#: should not pay at start-up (nor anything that only needs the cache or the data).
_PLOTTERS = frozenset({"plot_ratios", "plot_rrg", "plot_sector_bars"})
_BREADTH_PLOTTERS = frozenset({"plot_breadth"})


def __getattr__(name: str) -> object:
    if name in _PLOTTERS:
        from briefings.charts import plot

        return getattr(plot, name)
    if name in _BREADTH_PLOTTERS:
        from briefings.charts import breadth_plot

        return getattr(breadth_plot, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ChartKind = Literal["rrg-sectors", "rrg-pairs", "pairs", "sectors", "breadth"]
CHART_KINDS: tuple[ChartKind, ...] = get_args(ChartKind)
ChartSummary = RRGSummary | RatioSummary | BarChart | BreadthChart
"""What a chart shows: its quadrants (RRG), its pairs' moves (ratios), its bars (sectors) or its
sectors' breadth (breadth)."""

__all__ = [
    "CHART_KINDS",
    "MAX_TAIL_WEEKS",
    "BarChart",
    "BreadthChart",
    "CacheStats",
    "ChartCache",
    "ChartKey",
    "ChartKind",
    "ChartSummary",
    "Provenance",
    "QuadrantMembers",
    "RRGChart",
    "RRGSummary",
    "RRGTrail",
    "RatioChart",
    "RatioLine",
    "RatioMove",
    "RatioSummary",
    "breadth_chart_data",
    "cached_chart",
    "chart_key",
    "chart_summary",
    "pairs_chart_data",
    "plot_breadth",
    "plot_ratios",
    "plot_rrg",
    "plot_sector_bars",
    "render_chart",
    "rrg_chart_data",
    "sectors_chart_data",
]


def _check_kind(kind: str) -> ChartKind:
    for known in CHART_KINDS:
        if kind == known:
            return known
    raise ValueError(f"unknown chart {kind!r}; use one of {', '.join(CHART_KINDS)}")


def render_chart(
    snapshot: Snapshot,
    kind: ChartKind,
    *,
    window: str = "MTD",
    start: date | None = None,
    tail_weeks: int | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """Draw ``kind`` for the snapshot's session as PNG bytes, its words in ``language``.

    ``window`` is the sector bars' window; ``start`` the ratio chart's base date (None: the
    3M window's base); ``tail_weeks`` the RRG tail length (None: fewer weeks the more tails,
    ``data.default_tail_weeks``). Arguments a kind does not use are ignored.
    """
    from briefings.charts.breadth_plot import plot_breadth
    from briefings.charts.plot import plot_ratios, plot_rrg, plot_sector_bars

    kind = _check_kind(kind)
    provenance = Provenance.of(snapshot.briefing)
    if kind == "rrg-sectors" or kind == "rrg-pairs":
        rrg_kind: Literal["sectors", "pairs"] = "sectors" if kind == "rrg-sectors" else "pairs"
        return plot_rrg(
            rrg_chart_data(snapshot.closes, snapshot.universe, rrg_kind, provenance, tail_weeks),
            language,
        )
    if kind == "breadth":
        return plot_breadth(breadth_chart_data(snapshot.briefing), language)
    if kind == "pairs":
        return plot_ratios(
            pairs_chart_data(snapshot.closes, snapshot.universe, provenance, start), language
        )
    return plot_sector_bars(
        sectors_chart_data(snapshot.briefing, window, snapshot.universe.benchmark), language
    )


def chart_summary(
    snapshot: Snapshot,
    kind: ChartKind,
    *,
    window: str = "MTD",
    start: date | None = None,
    tail_weeks: int | None = None,
) -> ChartSummary | None:
    """Return what ``render_chart`` with these arguments shows, from the data it draws.

    None for a kind with nothing to sum up in words.
    """
    kind = _check_kind(kind)
    provenance = Provenance.of(snapshot.briefing)
    if kind == "rrg-sectors" or kind == "rrg-pairs":
        rrg_kind: Literal["sectors", "pairs"] = "sectors" if kind == "rrg-sectors" else "pairs"
        return summarize_rrg(
            rrg_chart_data(snapshot.closes, snapshot.universe, rrg_kind, provenance, tail_weeks)
        )
    if kind == "pairs":
        return summarize_ratios(
            pairs_chart_data(snapshot.closes, snapshot.universe, provenance, start)
        )
    if kind == "sectors":
        return sectors_chart_data(snapshot.briefing, window, snapshot.universe.benchmark)
    if kind == "breadth":
        return breadth_chart_data(snapshot.briefing)
    return None


def chart_key(
    snapshot: Snapshot,
    kind: ChartKind,
    *,
    window: str = "MTD",
    start: date | None = None,
    tail_weeks: int | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> ChartKey:
    """Return the cache key of a chart: data version, session, kind, arguments and language."""
    kind = _check_kind(kind)
    arguments: tuple[tuple[str, Hashable], ...]
    if kind == "sectors":
        arguments = (("window", window.upper()),)
    elif kind == "pairs":
        arguments = (("start", start),)
    elif kind == "breadth":
        arguments = ()
    else:
        arguments = (("tail_weeks", tail_weeks),)
    briefing = snapshot.briefing
    return ChartKey(
        source=briefing.source,
        data_version=briefing.data_version,
        as_of=briefing.as_of,
        kind=kind,
        arguments=arguments,
        language=check_language(language),
    )


def cached_chart(
    cache: ChartCache,
    snapshot: Snapshot,
    kind: ChartKind,
    *,
    window: str = "MTD",
    start: date | None = None,
    tail_weeks: int | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """Return ``render_chart(...)`` from ``cache``, rendering only on the first request."""
    key = chart_key(
        snapshot, kind, window=window, start=start, tail_weeks=tail_weeks, language=language
    )
    return cache.get(
        key,
        lambda: render_chart(
            snapshot, kind, window=window, start=start, tail_weeks=tail_weeks, language=language
        ),
    )

"""Charts of a snapshot as PNG bytes: relative rotation, pair ratios and sector bars.

``render_chart(snapshot, kind)`` draws one; ``cached_chart(cache, snapshot, kind)`` draws it at
most once per data version, session and arguments.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from typing import TYPE_CHECKING, Literal, get_args

from briefings.charts.breadth import BreadthChart, breadth_chart_data, plot_breadth
from briefings.charts.cache import CacheStats, ChartCache, ChartKey
from briefings.charts.data import (
    DEFAULT_TAIL_WEEKS,
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
from briefings.charts.plot import plot_ratios, plot_rrg, plot_sector_bars

if TYPE_CHECKING:
    from briefings.service import Snapshot

ChartKind = Literal["rrg-sectors", "rrg-pairs", "pairs", "sectors", "breadth"]
CHART_KINDS: tuple[ChartKind, ...] = get_args(ChartKind)

__all__ = [
    "CHART_KINDS",
    "BarChart",
    "BreadthChart",
    "CacheStats",
    "ChartCache",
    "ChartKey",
    "ChartKind",
    "Provenance",
    "RRGChart",
    "RRGTrail",
    "RatioChart",
    "RatioLine",
    "breadth_chart_data",
    "cached_chart",
    "chart_key",
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
    tail_weeks: int = DEFAULT_TAIL_WEEKS,
) -> bytes:
    """Draw ``kind`` for the snapshot's session as PNG bytes.

    ``window`` is the sector bars' window; ``start`` the ratio chart's base date (None: the
    3M window's base); ``tail_weeks`` the RRG tail length. Arguments a kind does not use are
    ignored.
    """
    kind = _check_kind(kind)
    provenance = Provenance.of(snapshot.briefing)
    if kind == "rrg-sectors" or kind == "rrg-pairs":
        rrg_kind: Literal["sectors", "pairs"] = "sectors" if kind == "rrg-sectors" else "pairs"
        return plot_rrg(
            rrg_chart_data(snapshot.closes, snapshot.universe, rrg_kind, provenance, tail_weeks)
        )
    if kind == "breadth":
        return plot_breadth(breadth_chart_data(snapshot.briefing))
    if kind == "pairs":
        return plot_ratios(pairs_chart_data(snapshot.closes, snapshot.universe, provenance, start))
    return plot_sector_bars(sectors_chart_data(snapshot.briefing, window))


def chart_key(
    snapshot: Snapshot,
    kind: ChartKind,
    *,
    window: str = "MTD",
    start: date | None = None,
    tail_weeks: int = DEFAULT_TAIL_WEEKS,
) -> ChartKey:
    """Return the cache key of a chart: data version, session, kind and the arguments it uses."""
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
    )


def cached_chart(
    cache: ChartCache,
    snapshot: Snapshot,
    kind: ChartKind,
    *,
    window: str = "MTD",
    start: date | None = None,
    tail_weeks: int = DEFAULT_TAIL_WEEKS,
) -> bytes:
    """Return ``render_chart(...)`` from ``cache``, rendering only on the first request."""
    key = chart_key(snapshot, kind, window=window, start=start, tail_weeks=tail_weeks)
    return cache.get(
        key,
        lambda: render_chart(snapshot, kind, window=window, start=start, tail_weeks=tail_weeks),
    )

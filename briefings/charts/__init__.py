"""Charts of a snapshot as PNG bytes: relative rotation, pair ratios, sector bars and breadth.

``render_chart(snapshot, kind)`` draws one; ``cached_chart(cache, snapshot, kind)`` draws it at
most once per data version, session and arguments. Each kind is a ``ChartSpec`` in its own module
under ``kinds/``; ``CHARTS`` maps every kind to its spec.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from briefings.charts.cache import CacheStats, ChartCache, ChartKey
from briefings.charts.data import (
    MAX_TAIL_WEEKS,
    BarChart,
    BreadthChart,
    ChartSummary,
    Provenance,
    QuadrantMembers,
    RatioChart,
    RatioLine,
    RatioMove,
    RatioSummary,
    RRGChart,
    RRGSummary,
    RRGTrail,
)
from briefings.charts.kinds.breadth import breadth_chart_data
from briefings.charts.kinds.pairs import pairs_chart_data
from briefings.charts.kinds.rrg import rrg_chart_data
from briefings.charts.kinds.sectors import sectors_chart_data
from briefings.charts.registry import CHARTS, chart_spec
from briefings.charts.spec import CHART_KINDS, ChartKind, ChartOptions, ChartSpec
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


__all__ = [
    "CHARTS",
    "CHART_KINDS",
    "MAX_TAIL_WEEKS",
    "BarChart",
    "BreadthChart",
    "CacheStats",
    "ChartCache",
    "ChartKey",
    "ChartKind",
    "ChartOptions",
    "ChartSpec",
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
    "chart_spec",
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
    options = ChartOptions(window=window, start=start, tail_weeks=tail_weeks)
    return chart_spec(kind).render(snapshot, options, language)


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
    options = ChartOptions(window=window, start=start, tail_weeks=tail_weeks)
    return chart_spec(kind).summarize(snapshot, options)


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
    spec = chart_spec(kind)
    options = ChartOptions(window=window, start=start, tail_weeks=tail_weeks)
    briefing = snapshot.briefing
    return ChartKey(
        source=briefing.source,
        data_version=briefing.data_version,
        as_of=briefing.as_of,
        kind=spec.kind,
        arguments=spec.key_arguments(options),
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

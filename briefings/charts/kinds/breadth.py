"""The sector breadth chart (breadth): each sector's share of members above the 200-day average.

Drawn by ``briefings.charts.breadth_plot`` (imported only when a chart is drawn: matplotlib is
slow to import). The bars are their own summary: widest and narrowest sector and the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefings.charts.data import (
    BreadthBar,
    BreadthChart,
    Provenance,
)
from briefings.charts.spec import ChartOptions, ChartSpec, KeyArguments
from briefings.model import Briefing

if TYPE_CHECKING:
    from briefings.snapshot import Snapshot


def breadth_chart_data(briefing: Briefing, index: str | None = None) -> BreadthChart:
    """Return the sector breadth of ``index`` (default: the first index with members)."""
    chosen = next(
        (m for m in briefing.members if index is None or m.index == index),
        None,
    )
    if chosen is None:
        return BreadthChart("Index members", (), None, Provenance.of(briefing))
    bars = tuple(
        BreadthBar(
            sector=s.sector,
            counted=s.breadth.counted_200d,
            pct_above_200d=s.breadth.pct_above_200d or 0.0,
            pct_above_50d=s.breadth.pct_above_50d,
            members=s.members,
        )
        for s in chosen.breadth_ranked()
    )
    return BreadthChart(
        index_name=chosen.name,
        bars=bars,
        index_pct_above_200d=chosen.breadth.pct_above_200d,
        provenance=Provenance.of(briefing),
    )


def _data(snapshot: Snapshot, options: ChartOptions) -> BreadthChart:
    return breadth_chart_data(snapshot.briefing)


def _plot(data: BreadthChart, language: str) -> bytes:
    from briefings.charts.breadth_plot import plot_breadth

    return plot_breadth(data, language)


def _summary(data: BreadthChart) -> BreadthChart:
    return data


def _key_arguments(options: ChartOptions) -> KeyArguments:
    return ()


BREADTH = ChartSpec(
    kind="breadth",
    data=_data,
    plot=_plot,
    summary=_summary,
    key_arguments=_key_arguments,
)

"""The sector bars (sectors): the briefing's sector leaderboard for one window.

The bars are their own summary: best and worst sector and the benchmark's return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefings.build import BriefingInputError
from briefings.charts.data import (
    BarChart,
    Provenance,
)
from briefings.charts.spec import ChartOptions, ChartSpec, KeyArguments
from briefings.model import Briefing
from briefings.windows import WINDOWS

if TYPE_CHECKING:
    from briefings.snapshot import Snapshot


def sectors_chart_data(briefing: Briefing, window: str, benchmark: str | None = None) -> BarChart:
    """Return the briefing's sector leaderboard for ``window`` (the analytics' own rows).

    ``benchmark`` (a ticker) adds its return for the window from the briefing's returns.
    """
    window = window.upper()
    if window not in WINDOWS:
        raise BriefingInputError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    benchmark_return = None
    if benchmark is not None:
        benchmark_return = briefing.returns.get(benchmark, {}).get(window)
    return BarChart(
        window=window,
        rows=tuple(briefing.leaderboards.get(window, ())),
        provenance=Provenance.of(briefing),
        benchmark=benchmark,
        benchmark_return_pct=benchmark_return,
    )


def _data(snapshot: Snapshot, options: ChartOptions) -> BarChart:
    return sectors_chart_data(snapshot.briefing, options.window, snapshot.universe.benchmark)


def _plot(data: BarChart, language: str) -> bytes:
    from briefings.charts.plot import plot_sector_bars

    return plot_sector_bars(data, language)


def _summary(data: BarChart) -> BarChart:
    return data


def _key_arguments(options: ChartOptions) -> KeyArguments:
    return (("window", options.window.upper()),)


SECTORS = ChartSpec(
    kind="sectors",
    data=_data,
    plot=_plot,
    summary=_summary,
    key_arguments=_key_arguments,
)

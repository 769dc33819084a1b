"""What every chart kind declares: the numbers it draws, how it draws and sums them up, its key.

Each kind's module in ``briefings.charts.kinds`` declares a ``ChartSpec``;
``briefings.charts.registry`` maps every kind to its spec.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, get_args

from briefings.charts.data import ChartSummary

if TYPE_CHECKING:
    from briefings.snapshot import Snapshot

ChartKind = Literal["rrg-sectors", "rrg-pairs", "pairs", "sectors", "breadth"]
CHART_KINDS: tuple[ChartKind, ...] = get_args(ChartKind)

KeyArguments = tuple[tuple[str, Hashable], ...]
"""The (name, value) of each option a chart uses, in its cache key."""

ChartData = TypeVar("ChartData")


@dataclass(frozen=True)
class ChartOptions:
    """How a chart is asked for besides its kind; a kind ignores the options it does not use."""

    window: str = "MTD"
    """The sector bars' window."""
    start: date | None = None
    """The ratio chart's base date (None: the 3M window's base)."""
    tail_weeks: int | None = None
    """The RRG tail length (None: fewer weeks the more tails, ``data.default_tail_weeks``)."""


@dataclass(frozen=True)
class ChartSpec(Generic[ChartData]):
    """One chart kind: its data from a snapshot, its drawing, its summary and its key arguments."""

    kind: ChartKind
    data: Callable[[Snapshot, ChartOptions], ChartData]
    """The numbers the chart draws, from the snapshot's closes or briefing."""
    plot: Callable[[ChartData, str], bytes]
    """Draw the numbers as PNG bytes with words in a language (imports matplotlib when called)."""
    summary: Callable[[ChartData], ChartSummary | None]
    """What the chart shows, for a caption to say in words; None when there is nothing to say."""
    key_arguments: Callable[[ChartOptions], KeyArguments]
    """The options the chart's bytes depend on."""

    def render(self, snapshot: Snapshot, options: ChartOptions, language: str) -> bytes:
        """Draw the chart of ``snapshot`` as PNG bytes, its words in ``language``."""
        return self.plot(self.data(snapshot, options), language)

    def summarize(self, snapshot: Snapshot, options: ChartOptions) -> ChartSummary | None:
        """Return what ``render`` with these options shows, from the data it draws."""
        return self.summary(self.data(snapshot, options))

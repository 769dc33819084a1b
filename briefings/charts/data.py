"""What charts are made of: provenance and each kind's numbers and summary.

Shared by the builders (``briefings.charts.kinds``) and the drawers (``plot``, ``breadth_plot``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from briefings.analytics.leaders import SectorRow
from briefings.analytics.rrg import RRGPoint
from briefings.model import Briefing

RRGKind = Literal["sectors", "pairs"]

#: RRG tail lengths: the weeks of tail points shared out among the legs, within these bounds.
TAIL_POINTS_BUDGET = 56
MIN_DEFAULT_TAIL_WEEKS = 4
MAX_DEFAULT_TAIL_WEEKS = 10
#: The longest tail a chart draws.
MAX_TAIL_WEEKS = 26


def default_tail_weeks(legs: int) -> int:
    """Return the tail length for ``legs`` tails: budget / legs, kept within 4..10 weeks.

    Eleven sectors get 5 weeks, seven pairs 8: the more tails, the shorter each, so a crowded
    graph stays readable.
    """
    weeks = TAIL_POINTS_BUDGET // max(legs, 1)
    return max(MIN_DEFAULT_TAIL_WEEKS, min(MAX_DEFAULT_TAIL_WEEKS, weeks))


@dataclass(frozen=True)
class Provenance:
    """The session a chart shows, where its prices come from and whether they are simulated."""

    as_of: date
    source: str
    simulated: bool

    @classmethod
    def of(cls, briefing: Briefing) -> Provenance:
        """Return the provenance of ``briefing``."""
        return cls(as_of=briefing.as_of, source=briefing.source, simulated=briefing.simulated)


@dataclass(frozen=True)
class RRGTrail:
    """One leg's weekly RRG points, oldest first; the last is the session's position."""

    key: str
    label: str
    name: str
    points: tuple[RRGPoint, ...]

    @property
    def head(self) -> RRGPoint:
        """Return the latest point."""
        return self.points[-1]


@dataclass(frozen=True)
class RRGChart:
    """A relative rotation graph: sectors against the benchmark, or rotation pairs lead vs lag."""

    kind: RRGKind
    benchmark: str | None
    """The benchmark every sector is measured against; None for pairs (each has its own lag)."""
    tail_weeks: int
    trails: tuple[RRGTrail, ...]
    provenance: Provenance
    missing: tuple[str, ...] = ()
    """Legs left out: no RRG point in the last ``tail_weeks`` weeks."""


@dataclass(frozen=True)
class QuadrantMembers:
    """The legs whose latest point is in one RRG quadrant, highest RS-Ratio first."""

    quadrant: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class RRGSummary:
    """Which legs sit in which quadrant of a relative rotation graph."""

    quadrants: tuple[QuadrantMembers, ...]
    """Every quadrant in rotation order, empty ones included."""
    missing: tuple[str, ...]


@dataclass(frozen=True)
class RatioLine:
    """A rotation pair's lead/lag price ratio, rebased: values[i] = 100 * R(dates[i]) / R(start).

    R = lead / lag; dates where either leg has no close are left out; dates[0] is the start.
    """

    name: str
    lead: str
    lag: str
    dates: tuple[date, ...]
    values: tuple[float, ...]

    @property
    def key(self) -> str:
        """Return "LEAD/LAG"."""
        return f"{self.lead}/{self.lag}"


@dataclass(frozen=True)
class RatioChart:
    """The rotation pairs' rebased price ratios from ``start`` to the session."""

    start: date
    lines: tuple[RatioLine, ...]
    provenance: Provenance
    missing: tuple[str, ...] = ()
    """Pairs left out: a leg has no close on the start session."""


@dataclass(frozen=True)
class RatioMove:
    """A rotation pair's ratio change since the chart's start, in percent."""

    name: str
    change_pct: float
    """100 * (R_end / R_start - 1) for R = lead / lag: the last rebased value minus 100."""


@dataclass(frozen=True)
class RatioSummary:
    """The rotation pairs' ratio moves since the start, biggest rise first."""

    start: date
    moves: tuple[RatioMove, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class BarChart:
    """The sector leaderboard for one window, best to worst."""

    window: str
    rows: tuple[SectorRow, ...]
    provenance: Provenance
    benchmark: str | None = None
    """The market the sectors are read against (its return is the reference line)."""
    benchmark_return_pct: float | None = None
    """The benchmark's return for the window; None when it has none."""

    @property
    def beating(self) -> tuple[SectorRow, ...]:
        """Return the rows whose return is above the benchmark's (all rows when it has none)."""
        if self.benchmark_return_pct is None:
            return self.rows
        return tuple(row for row in self.rows if row.return_pct > self.benchmark_return_pct)


@dataclass(frozen=True)
class BreadthBar:
    """One sector: members counted and the shares (%) above the 200- and 50-day averages."""

    sector: str
    counted: int
    pct_above_200d: float
    pct_above_50d: float | None
    members: int = 0
    """All the sector's members; ``counted`` leaves out those without 200 sessions of closes."""

    @property
    def label_count(self) -> str:
        """Return the count a label shows: "68", or "67/68" when some members lack 200 closes."""
        if self.members and self.members != self.counted:
            return f"{self.counted}/{self.members}"
        return str(self.counted)


@dataclass(frozen=True)
class BreadthChart:
    """An index's sectors by breadth, widest first, and the index's own share above 200d."""

    index_name: str
    bars: tuple[BreadthBar, ...]
    index_pct_above_200d: float | None
    provenance: Provenance


ChartSummary = RRGSummary | RatioSummary | BarChart | BreadthChart

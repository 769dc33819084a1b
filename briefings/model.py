"""The briefing as typed, frozen data: what analytics hand to rendering and to the bot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from briefings.universe import Universe

from briefings.members.model import IndexMembers
from briefings.sanity import QuarantinedClose

#: Trailing windows, in display order. See ``briefings.analytics.returns`` for definitions.
WINDOWS: tuple[str, ...] = ("1D", "1W", "MTD", "1M", "3M", "YTD", "1Y")

#: RRG quadrants, clockwise from top right.
QUADRANTS: tuple[str, ...] = ("Leading", "Weakening", "Lagging", "Improving")


@dataclass(frozen=True)
class TickerLine:
    """One ticker's trailing returns in percent (None where history is too short)."""

    ticker: str
    name: str
    returns: Mapping[str, float | None]
    close: float | None = None


@dataclass(frozen=True)
class GroupBlock:
    """A universe group's members, for the returns table."""

    key: str
    title: str
    lines: tuple[TickerLine, ...]


@dataclass(frozen=True)
class SectorRow:
    """One row of a leaderboard: a ticker and its return for the window."""

    ticker: str
    name: str
    return_pct: float


@dataclass(frozen=True)
class RelativeRotation:
    """JdK-style RS-Ratio and RS-Momentum of a leg against a benchmark (100 = neutral)."""

    rs_ratio: float
    rs_momentum: float
    quadrant: str
    held_sessions: int = 1
    """Sessions in a row, this one included, the leg has been in ``quadrant`` (capped by the
    look-back of ``briefings.analytics.rrg``)."""
    settled_quadrant: str | None = None
    """The quadrant the leg last held for the required sessions in a row (None: none seen)."""

    @property
    def reported_quadrant(self) -> str:
        """Return the quadrant changes are reported against: the settled one, else ``quadrant``."""
        return self.settled_quadrant or self.quadrant


@dataclass(frozen=True)
class RotationLine:
    """A rotation pair: lead vs lag, spreads in percentage points and the ratio's trend."""

    name: str
    lead: str
    lag: str
    lead_name: str
    lag_name: str
    spread: Mapping[str, float | None]
    ratio_vs_50d: float | None
    """Percent the lead/lag price ratio stands above (+) or below (-) its 50-session average."""
    rrg: RelativeRotation | None
    lead_returns: Mapping[str, float | None] = field(default_factory=dict)
    """The lead leg's own return per window, percent."""
    lag_returns: Mapping[str, float | None] = field(default_factory=dict)
    """The lag leg's own return per window, percent."""

    @property
    def trend(self) -> str | None:
        """Return "up" when the ratio is above its 50-session average, "down" below."""
        if self.ratio_vs_50d is None:
            return None
        return "up" if self.ratio_vs_50d >= 0 else "down"

    @property
    def quadrant(self) -> str | None:
        """Return the RRG quadrant, if known."""
        return self.rrg.quadrant if self.rrg else None


@dataclass(frozen=True)
class SinceLow:
    """Returns since a benchmark's recent low close."""

    benchmark: str
    benchmark_name: str
    low_date: date
    low_close: float
    lookback_sessions: int
    returns: tuple[SectorRow, ...]
    """Every leg with a return: the key groups' legs and baskets, then the other tickers."""
    highlights: tuple[SectorRow, ...] = ()
    """The key groups and the cyclical industries, best first: what text and HTML show."""
    sessions_since: int = 0
    """Sessions from the low's close to the briefing's session (0: the low is today)."""


@dataclass(frozen=True)
class SinceDate:
    """Returns from the close of ``start`` to the briefing's session."""

    start: date
    returns: tuple[SectorRow, ...]
    """Every leg with a return: the key groups' legs and baskets, then the other tickers."""
    highlights: tuple[SectorRow, ...] = ()
    """The key groups and the cyclical industries, best first: what text and HTML show."""


@dataclass(frozen=True)
class Breadth:
    """Share of a basket's members above their 50- and 200-session averages."""

    key: str
    title: str
    members: int
    above_50: int
    above_200: int
    counted_50: int
    counted_200: int

    @property
    def pct_above_50(self) -> float | None:
        """Return 100 * above_50 / counted_50."""
        return 100.0 * self.above_50 / self.counted_50 if self.counted_50 else None

    @property
    def pct_above_200(self) -> float | None:
        """Return 100 * above_200 / counted_200."""
        return 100.0 * self.above_200 / self.counted_200 if self.counted_200 else None


@dataclass(frozen=True)
class Streak:
    """Consecutive up (positive) or down (negative) closes ending on the session."""

    ticker: str
    name: str
    days: int


@dataclass(frozen=True)
class Verdict:
    """The one-line reading of the key spreads: broadening, narrow or mixed."""

    id: str
    text: str
    figures: Mapping[str, float] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    """The sentence in every language (``text`` is the English one)."""


@dataclass(frozen=True)
class Takeaway:
    """One ranked sentence of the story, with the figures its numbers come from."""

    id: str
    text: str
    figures: Mapping[str, float]
    significance: float
    """Size of the move against the pair's typical move (records rank first regardless)."""
    texts: Mapping[str, str] = field(default_factory=dict)
    """The sentence in every language (``text`` is the English one)."""


@dataclass(frozen=True)
class Change:
    """One thing that changed since the previous session (an alert comparison)."""

    id: str
    kind: str
    text: str
    texts: Mapping[str, str] = field(default_factory=dict)
    """The sentence in every language (``text`` is the English one)."""


@dataclass(frozen=True)
class Day:
    """The session's moves: the benchmarks' and the biggest movers' 1D returns."""

    benchmarks: tuple[SectorRow, ...]
    up: tuple[SectorRow, ...]
    down: tuple[SectorRow, ...]


@dataclass(frozen=True)
class Story:
    """What the briefing says in words: verdict, the day, takeaways, what changed."""

    verdict: Verdict
    day: Day
    takeaways: tuple[Takeaway, ...]
    changes: tuple[Change, ...]
    previous_session: date | None


@dataclass(frozen=True)
class Briefing:
    """Everything the daily briefing shows, computed once per data version and session."""

    as_of: date
    source: str
    simulated: bool
    data_version: str
    period: str
    groups: tuple[GroupBlock, ...]
    returns: Mapping[str, Mapping[str, float | None]]
    leaderboards: Mapping[str, tuple[SectorRow, ...]]
    """Sector leaderboard, best to worst, for every window in WINDOWS."""
    rotation: tuple[RotationLine, ...]
    sector_rotation: tuple[RotationLine, ...]
    since_low: SinceLow | None
    since: SinceDate | None
    record_highs: tuple[str, ...]
    highs_52w: tuple[str, ...]
    streaks: tuple[Streak, ...]
    breadth: tuple[Breadth, ...]
    stale: tuple[str, ...]
    names: Mapping[str, str] = field(default_factory=dict)
    stale_last_close: Mapping[str, date] = field(default_factory=dict)
    """The last close before the session of each stale ticker that has one."""
    typical_spreads: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    """Pair "LEAD/LAG" -> window (or "since_low") -> typical absolute spread, pp."""
    story: Story | None = None
    """Verdict, the day, takeaways and changes (``briefings.story``); None until told."""
    members: tuple[IndexMembers, ...] = ()
    """Each enabled index's member figures (top N vs the rest, sectors, breadth, movers)."""
    quarantined: tuple[QuarantinedClose, ...] = ()
    """Closes of the universe and the members, dated in the week to the session, that failed a
    sanity check and were not used (``briefings.sanity``)."""

    @property
    def sectors(self) -> tuple[SectorRow, ...]:
        """Return the sector leaderboard for the briefing's period."""
        return self.leaderboards.get(self.period, ())


@dataclass(frozen=True)
class Snapshot:
    """A briefing plus the closes it was built from, for follow-up questions."""

    briefing: Briefing
    universe: Universe
    closes: pd.DataFrame = field(repr=False, compare=False)

    def since(self, start: date) -> SinceDate:
        """Return the key groups' returns from ``start``'s close to the briefing's session."""
        # Imported here: briefings.build builds the types of this module.
        from briefings.build import returns_since_date

        return returns_since_date(self.closes, self.universe, self.briefing.as_of, start)

    def previous_session(self) -> date | None:
        """Return the stored session before the briefing's, None when it is the first."""
        index = pd.DatetimeIndex(self.closes.index)
        earlier = index[index < pd.Timestamp(self.briefing.as_of)]
        return None if earlier.empty else pd.Timestamp(earlier[-1]).date()

    def pair(self, lead: str, lag: str) -> RotationLine:
        """Compare two universe tickers over every window."""
        from briefings.build import compare_pair

        return compare_pair(self.closes, self.universe, lead, lag, self.briefing.as_of)

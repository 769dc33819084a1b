"""The briefing as typed, frozen data: what analytics hand to rendering and to the bot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from briefings.analytics.breadth import Breadth
from briefings.analytics.leaders import SectorRow
from briefings.analytics.rotation import RotationLine
from briefings.members.model import IndexMembers
from briefings.sanity import QuarantinedClose

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
class Streak:
    """Consecutive up (positive) or down (negative) closes ending on the session."""

    ticker: str
    name: str
    days: int


@dataclass(frozen=True)
class Episode:
    """One earlier session whose move reached the threshold, and what followed."""

    session: date
    move: float
    """The figure at the episode (pp)."""
    outcome_end: date
    outcome: float
    """The pair's spread from the episode's close to ``outcome_end``'s (pp)."""

    def as_json(self) -> dict[str, object]:
        """Return the episode as JSON-ready data: its dates and figures."""
        return {
            "date": self.session.isoformat(),
            "move_pp": round(self.move, 4),
            "outcome_end": self.outcome_end.isoformat(),
            "outcome_pp": round(self.outcome, 4),
        }


@dataclass(frozen=True)
class Sentence:
    """How a fact is told: a template of ``templates/story/`` and what it reads, no words."""

    template: str
    context: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The one-line reading of the key spreads: broadening, narrow or mixed."""

    id: str
    sentence: Sentence
    figures: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Fact:
    """One ranked fact of the session's story: what it is about and the figures, no words.

    Every surface (summary, full briefing, JSON, alerts) tells it in words at the edge, once per
    language (``briefings.render.words``).
    """

    id: str
    kind: str
    sentence: Sentence
    subjects: tuple[str, ...] = ()
    """The tickers, pairs or sectors the fact is about."""
    figures: Mapping[str, float] = field(default_factory=dict)
    significance: float = 0.0
    """Size of the move against the pair's typical move (records rank first regardless)."""
    supersedes: tuple[str, ...] = ()
    """The ids of facts this one says as well (a view that shows it may leave them out)."""
    episodes: tuple[Episode, ...] = ()
    """The earlier episodes a count of what followed stands on, for anyone to check."""


#: A takeaway and a change are facts: the ranked sentences and what changed since last session.
Takeaway = Fact
Change = Fact


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
    history: tuple[Fact, ...] = ()
    """What history says of the session (``briefings.story_history``): full surfaces only."""

    @property
    def facts(self) -> tuple[Fact, ...]:
        """Return the session's one ranked list of facts: the takeaways, then what changed."""
        return (*self.takeaways, *self.changes)


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
    served_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """A source chain's fallbacks and the universe's tickers each last served (the first source
    served the rest), credited in the footer (``briefings.sources.chain``)."""

    @property
    def sectors(self) -> tuple[SectorRow, ...]:
        """Return the sector leaderboard for the briefing's period."""
        return self.leaderboards.get(self.period, ())

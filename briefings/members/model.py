"""Index members' figures as typed, frozen data: what the members analytics hand to rendering.

Percent figures are in percent; contributions in percentage points. A window's figures are
None where no member has a return for it (history too short).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

#: Where index members' figures begin: their closes and one weight snapshot reach back no further.
MEMBERS_SAMPLE_START = date(2023, 1, 1)


@dataclass(frozen=True)
class Member:
    """One index member as its holdings list it: Yahoo ticker, name, GICS sector, weight (%)."""

    ticker: str
    name: str
    sector: str
    weight: float | None


@dataclass(frozen=True)
class Holdings:
    """An index's membership as of a date, and where it came from."""

    index: str
    members: tuple[Member, ...]
    as_of: date | None
    origin: str
    """Who published the list, e.g. "SPDR SPY daily holdings" or "pytickersymbols"."""
    simulated: bool = False
    dropped: int = 0
    """Rows of the list left out as unusable (a weight below or at zero, or not a number)."""

    @property
    def has_weights(self) -> bool:
        """Return True when every member has an index weight (cap-weighted figures possible)."""
        return bool(self.members) and all(m.weight is not None for m in self.members)

    @property
    def tickers(self) -> tuple[str, ...]:
        """Return the members' tickers in list order."""
        return tuple(member.ticker for member in self.members)


@dataclass(frozen=True)
class GroupSplit:
    """Top N by weight against the rest for one window: cap- and equal-weighted returns (%)."""

    top_cap: float | None
    rest_cap: float | None
    top_equal: float | None
    rest_equal: float | None


@dataclass(frozen=True)
class BreadthCounts:
    """Members above their 50- and 200-session averages, and the session's moves.

    ``counted_*`` are the members with enough closes for that average; the percentages are
    100 * above / counted. 52-week highs and lows: the close is the max / min of the last 252
    closes (members with a full 252-session history only).
    """

    members: int
    above_50d: int
    above_200d: int
    counted_50d: int
    counted_200d: int
    advancers: int
    decliners: int
    new_highs_52w: int
    new_lows_52w: int

    @property
    def pct_above_50d(self) -> float | None:
        """Return 100 * above_50d / counted_50d."""
        return 100.0 * self.above_50d / self.counted_50d if self.counted_50d else None

    @property
    def pct_above_200d(self) -> float | None:
        """Return 100 * above_200d / counted_200d."""
        return 100.0 * self.above_200d / self.counted_200d if self.counted_200d else None


@dataclass(frozen=True)
class SectorFigures:
    """One GICS sector measured from its members: returns per window and breadth."""

    sector: str
    members: int
    returns: Mapping[str, float | None]
    """Cap-weighted: sum w_i(base) r_i / sum w_i(base) over the sector's members, per window."""
    equal_returns: Mapping[str, float | None]
    """Equal-weighted: the mean r_i of the sector's members, per window."""
    breadth: BreadthCounts


@dataclass(frozen=True)
class Contribution:
    """A member's share of the index's move: pp = w_i(base) * r_i / sum_j w_j(base)."""

    ticker: str
    name: str
    sector: str
    pp: float | None
    """Percentage points of the cap-weighted index's return; None without weights."""
    return_pct: float


@dataclass(frozen=True)
class WindowMovers:
    """For one window: the top and bottom contributors and the biggest member moves."""

    top: tuple[Contribution, ...]
    bottom: tuple[Contribution, ...]
    gainers: tuple[Contribution, ...]
    losers: tuple[Contribution, ...]


@dataclass(frozen=True)
class IndexMembers:
    """Everything the briefing says about one index's members at the session."""

    index: str
    name: str
    weights_as_of: date | None
    origin: str
    simulated: bool
    count: int
    with_data: int
    missing: tuple[str, ...]
    """Members with no close on the session (no data, or a stale price)."""
    cap_weighted: bool
    """False when the holdings carry no weights: cap-weighted figures are then None."""
    top_n: int
    top_vs_rest: Mapping[str, GroupSplit]
    sectors: tuple[SectorFigures, ...]
    breadth: BreadthCounts
    movers: Mapping[str, WindowMovers]
    index_return: Mapping[str, float | None]
    """The members' cap-weighted return per window (equal-weighted without weights)."""
    note: str | None = None
    """Why the figures may be dated or partial, e.g. the last holdings fetch failed."""

    def sectors_by(self, window: str) -> tuple[SectorFigures, ...]:
        """Return the sectors best to worst by return for ``window`` (None last).

        The cap-weighted return ranks them, the equal-weighted one when there are no weights.
        """

        def key(sector: SectorFigures) -> tuple[bool, float]:
            value = (sector.returns if self.cap_weighted else sector.equal_returns).get(window)
            return (value is None, -(value or 0.0))

        return tuple(sorted(self.sectors, key=key))

    def breadth_ranked(self) -> tuple[SectorFigures, ...]:
        """Return the sectors from the widest to the narrowest share above the 200-day average."""
        counted = [s for s in self.sectors if s.breadth.pct_above_200d is not None]
        return tuple(sorted(counted, key=lambda s: -(s.breadth.pct_above_200d or 0.0)))

    def sector(self, name: str) -> SectorFigures | None:
        """Return the sector ``name`` means, case-insensitive: its full name, its initials
        ("IT"), or the start of one of its words ("tech", "health") when only one sector fits.
        """
        wanted = " ".join(name.split()).casefold()
        if not wanted:
            return None

        def initials(sector: str) -> str:
            return "".join(word[0] for word in sector.split()).casefold()

        for fits in (
            lambda s: s.casefold() == wanted,
            lambda s: len(s.split()) > 1 and initials(s) == wanted,
            lambda s: s.casefold().startswith(wanted),
            lambda s: any(word.casefold().startswith(wanted) for word in s.split()),
        ):
            found = [sector for sector in self.sectors if fits(sector.sector)]
            if len(found) == 1:
                return found[0]
        return None

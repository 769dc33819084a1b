"""A briefing with the closes it was built from, for the follow-up questions a chat asks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from briefings.analytics.rotation import RotationLine
from briefings.build import compare_pair, resolve_pair, returns_since_date
from briefings.model import Briefing, SinceDate
from briefings.universe import Universe


@dataclass(frozen=True)
class Snapshot:
    """A briefing plus the closes it was built from, for follow-up questions."""

    briefing: Briefing
    universe: Universe
    closes: pd.DataFrame = field(repr=False, compare=False)

    def since(self, start: date) -> SinceDate:
        """Return the key groups' returns from ``start``'s close to the briefing's session."""
        return returns_since_date(self.closes, self.universe, self.briefing.as_of, start)

    def previous_session(self) -> date | None:
        """Return the stored session before the briefing's, None when it is the first."""
        index = pd.DatetimeIndex(self.closes.index)
        earlier = index[index < pd.Timestamp(self.briefing.as_of)]
        return None if earlier.empty else pd.Timestamp(earlier[-1]).date()

    def pair(self, lead: str, lag: str) -> RotationLine:
        """Compare two universe tickers (or baskets) over every window.

        A pair the briefing already measured is answered with the briefing's own line, so
        ``/pair`` and the briefing show one figure computed once; any other pair is computed.
        """
        as_of = self.briefing.as_of
        pair = resolve_pair(self.closes, self.universe, lead, lag, as_of)
        for known in (*self.briefing.rotation, *self.briefing.sector_rotation):
            if (known.lead, known.lag) == (pair.lead, pair.lag):
                return replace(known, name=pair.name)
        return compare_pair(self.closes, self.universe, pair, as_of)

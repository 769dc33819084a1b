"""What the chart kinds share: where a chart's prices come from and the RRG tail lengths.

Each kind's own numbers live in its module in ``briefings.charts.kinds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from briefings.model import Briefing

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

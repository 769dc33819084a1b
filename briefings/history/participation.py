"""Participation: on how many sessions a leg beat its lag, and runs of up closes.

Sessions beaten over a stretch (start, end]: the sessions t after ``start`` up to ``end`` on
which both legs have a daily return r(t) = c_t / c_prev - 1 (the previous session's close) and
r_lead(t) > r_lag(t). An up streak is the run of consecutive higher closes ending at the as-of
session (``briefings.analytics.leaders.streaks``), with the session it began from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.leaders import streaks


@dataclass(frozen=True)
class Participation:
    """How many of a stretch's sessions the lead leg beat the lag leg on."""

    lead: str
    lag: str
    start: date
    end: date
    sessions: int
    """Sessions after ``start`` up to ``end`` with both legs' daily returns."""
    beaten: int
    """Of them, the sessions on which the lead's daily return beat the lag's."""


@dataclass(frozen=True)
class UpStreak:
    """A leg's run of consecutive higher closes ending at the as-of session."""

    leg: str
    sessions: int
    since: date
    """The close the run rose from (the session before its first up close)."""


def sessions_beaten(
    legs: pd.DataFrame, lead: str, lag: str, start: date | pd.Timestamp, end: date | pd.Timestamp
) -> Participation:
    """Return on how many sessions in (start, end] the lead's daily return beat the lag's."""
    index = pd.DatetimeIndex(legs.index)
    first = int(index.searchsorted(pd.Timestamp(start), side="right"))
    last = int(index.searchsorted(pd.Timestamp(end), side="right"))
    values = legs[[lead, lag]].to_numpy(dtype=float)[max(first - 1, 0) : last]
    with np.errstate(divide="ignore", invalid="ignore"):
        daily = values[1:] / values[:-1] - 1.0
    both = np.isfinite(daily).all(axis=1)
    return Participation(
        lead=lead,
        lag=lag,
        start=pd.Timestamp(start).date(),
        end=pd.Timestamp(end).date(),
        sessions=int(np.count_nonzero(both)),
        beaten=int(np.count_nonzero(both & (daily[:, 0] > daily[:, 1]))),
    )


def up_streaks(
    legs: pd.DataFrame, as_of: date | pd.Timestamp, min_sessions: int = 2
) -> tuple[UpStreak, ...]:
    """Return the legs closing higher at least ``min_sessions`` sessions in a row, longest first."""
    runs = streaks(legs, as_of)
    history = pd.DatetimeIndex(legs.loc[: pd.Timestamp(as_of)].index)
    found = [
        UpStreak(leg=str(leg), sessions=int(run), since=history[-1 - int(run)].date())
        for leg, run in runs.items()
        if run >= min_sessions and int(run) < len(history)
    ]
    return tuple(sorted(found, key=lambda streak: -streak.sessions))

"""Where today's value of a figure stands in its own history (the rule: ``briefings.history``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from briefings.members.model import MEMBERS_SAMPLE_START


@dataclass(frozen=True)
class HistoryRank:
    """A figure's value at a session and its standing in the sample up to that session."""

    session: date
    value: float
    direction: Literal["lead", "lag"]
    """A lead (value >= 0) is ranked among the highs, a lag among the lows."""
    sample_start: date
    """The first session of the sample (the first with a value on or after the sample's start)."""
    observations: int
    """N: the sessions of the sample with a value, today's included."""
    percentile: float
    """100 * #{x_t <= x_T} / N."""
    top_share: float
    """100 * #{x_t >= x_T} / N: "top 6 %" of the sample."""
    bottom_share: float
    """100 * #{x_t <= x_T} / N."""
    widest_since: date | None
    """The last earlier session with a value at least as extreme in the same direction."""
    sessions_since_wider: int | None
    """Sessions of the sample between that session and today (None: today is the extreme)."""
    members_sample: bool = False
    """The figure comes from index members: a short sample (since 2023), no analogs."""

    @property
    def is_extreme(self) -> bool:
        """Return True when no earlier session in the sample was as extreme."""
        return self.widest_since is None


def rank_in_history(
    history: pd.Series,
    session: date | pd.Timestamp,
    *,
    since: date | None = None,
    members: bool = False,
) -> HistoryRank | None:
    """Return the rank of the figure's value at ``session`` in its history (module doc rule).

    ``history`` holds the figure at every session (NaN where unknown); ``since`` starts the
    sample (``members``: MEMBERS_SAMPLE_START unless later). None when the figure has no value
    at ``session``.
    """
    start = max(since or MEMBERS_SAMPLE_START, MEMBERS_SAMPLE_START) if members else since
    index = pd.DatetimeIndex(history.index)
    end = int(index.searchsorted(pd.Timestamp(session), side="right"))
    if not end or index[end - 1] != pd.Timestamp(session):
        return None
    first = 0 if start is None else int(index.searchsorted(pd.Timestamp(start), side="left"))
    values = history.to_numpy(dtype=float)[first:end]
    today = values[-1]
    if not np.isfinite(today):
        return None
    known = np.isfinite(values)
    sample = values[known]
    count = len(sample)
    at_most = int(np.count_nonzero(sample <= today))
    at_least = int(np.count_nonzero(sample >= today))
    lead = today >= 0
    earlier = values[:-1]
    as_extreme = np.flatnonzero((earlier >= today) if lead else (earlier <= today))
    sessions = index[first:end]
    widest_since = None if not len(as_extreme) else sessions[as_extreme[-1]].date()
    since_wider = None
    if len(as_extreme):
        since_wider = int(np.count_nonzero(known[as_extreme[-1] + 1 : -1])) + 1
    return HistoryRank(
        session=sessions[-1].date(),
        value=float(today),
        direction="lead" if lead else "lag",
        sample_start=sessions[int(np.argmax(known))].date(),
        observations=count,
        percentile=100.0 * at_most / count,
        top_share=100.0 * at_least / count,
        bottom_share=100.0 * at_most / count,
        widest_since=widest_since,
        sessions_since_wider=since_wider,
        members_sample=members,
    )

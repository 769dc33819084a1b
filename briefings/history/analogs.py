"""What followed similar moves: earlier episodes of a pair's lead and the pair's next 3 months.

An episode is a session t since ``since`` (2000-01-01) whose window spread x_t (the pair's 1M
spread) reached the threshold (x_t >= threshold; for a negative threshold x_t <= threshold).
Episodes are taken oldest first, each at least ``apart_months`` (1) calendar month after the
previous one. Its outcome is the pair's spread over the next ``horizon_months`` (3):

    outcome = r_lead(t, e) - r_lag(t, e),  r(t, e) = 100 * (c_e / c_t - 1),

e the last session on or before the same day 3 months later. Only episodes whose outcome is
known at the as-of session (e <= as-of) count. A hit is an outcome of the threshold's sign (a
further lead). Fewer than ``min_episodes`` (8) episodes: no analogs. This is history, not a
forecast; index members' figures (history since 2023) get none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.returns import IntArray, percent_change
from briefings.history.figures import forward_rows
from briefings.model import Episode

ANALOGS_SINCE = date(2000, 1, 1)
MIN_EPISODES = 8
APART_MONTHS = 1
HORIZON_MONTHS = 3


@dataclass(frozen=True)
class AnalogCalendar:
    """Per session row: where its outcome ends and where the next episode may start."""

    outcome_ends: IntArray
    """The last row on or before the same day ``horizon_months`` later (-1: beyond the data)."""
    next_starts: IntArray
    """The first row on or after the same day ``apart_months`` later."""


def analog_calendar(
    index: pd.DatetimeIndex, apart_months: int = APART_MONTHS, horizon_months: int = HORIZON_MONTHS
) -> AnalogCalendar:
    """Return the rows every session's outcome ends on and its next episode may start from."""
    days = pd.DatetimeIndex(index).normalize()
    next_starts = index.searchsorted(days + pd.DateOffset(months=apart_months), side="left")
    return AnalogCalendar(
        outcome_ends=forward_rows(index, horizon_months),
        next_starts=np.asarray(next_starts, dtype=np.intp),
    )


@dataclass(frozen=True)
class Analogs:
    """Earlier episodes like today's move and their outcomes: history, not a forecast."""

    threshold: float
    since: date
    """Where the sample starts: ``since`` or the figure's first value, the later."""
    horizon_months: int
    episodes: tuple[Episode, ...]
    hits: int
    """Episodes followed by an outcome of the threshold's sign."""
    median_outcome: float

    @property
    def count(self) -> int:
        """Return the number of episodes."""
        return len(self.episodes)

    def as_json(self) -> dict[str, object]:
        """Return the analogs as JSON-ready data, each episode's dates and figures included."""
        return {
            "threshold_pp": self.threshold,
            "since": self.since.isoformat(),
            "horizon_months": self.horizon_months,
            "count": self.count,
            "hits": self.hits,
            "median_outcome_pp": round(self.median_outcome, 4),
            "episodes": [episode.as_json() for episode in self.episodes],
        }


def analogs(
    figure: pd.Series,
    lead: pd.Series,
    lag: pd.Series,
    as_of: date | pd.Timestamp,
    threshold: float,
    *,
    since: date = ANALOGS_SINCE,
    apart_months: int = APART_MONTHS,
    horizon_months: int = HORIZON_MONTHS,
    min_episodes: int = MIN_EPISODES,
    calendar: AnalogCalendar | None = None,
) -> Analogs | None:
    """Return the episodes (module doc) of ``figure`` reaching ``threshold``, None if too few.

    ``figure`` is the pair's figure at every session; ``lead`` and ``lag`` are the legs' closes
    on the same index; ``calendar`` is ``analog_calendar(index, apart, horizon)`` when known.
    """
    index = pd.DatetimeIndex(figure.index)
    as_of_row = int(index.searchsorted(pd.Timestamp(as_of), side="right")) - 1
    if as_of_row < 0 or threshold == 0:
        return None
    values = figure.to_numpy(dtype=float)
    calendar = calendar or analog_calendar(index, apart_months, horizon_months)
    ends = calendar.outcome_ends
    qualifies = (values >= threshold) if threshold > 0 else (values <= threshold)
    qualifies &= (ends >= 0) & (ends <= as_of_row)
    qualifies[: int(index.searchsorted(pd.Timestamp(since)))] = False
    candidates = np.flatnonzero(qualifies)
    chosen: list[int] = []
    position = 0
    while position < len(candidates):
        row = int(candidates[position])
        chosen.append(row)
        position = int(np.searchsorted(candidates, calendar.next_starts[row], side="left"))
    if len(chosen) < min_episodes:
        return None
    rows = np.array(chosen, dtype=np.intp)
    lead_values, lag_values = lead.to_numpy(dtype=float), lag.to_numpy(dtype=float)
    outcomes = percent_change(lead_values[ends[rows]], lead_values[rows]) - percent_change(
        lag_values[ends[rows]], lag_values[rows]
    )
    episodes = tuple(
        Episode(
            session=index[row].date(),
            move=float(values[row]),
            outcome_end=index[ends[row]].date(),
            outcome=float(outcome),
        )
        for row, outcome in zip(rows, outcomes, strict=True)
    )
    sign = 1.0 if threshold > 0 else -1.0
    first = int(np.argmax(np.isfinite(values)))
    return Analogs(
        threshold=threshold,
        since=max(since, index[first].date()),
        horizon_months=horizon_months,
        episodes=episodes,
        hits=int(np.count_nonzero(sign * outcomes > 0)),
        median_outcome=float(np.nanmedian(outcomes)),
    )

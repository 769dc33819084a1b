"""The top N members' gap over the rest at every session of the members' sample.

gap_t = top_t - rest_t (pp), both cap-weighted by the weights carried to the window's base, at
every session t since ``since`` (the story asks from 2023-01-01: the members' closes and their one
weight snapshot reach no further back), each measured by ``members.window.member_window``
exactly as the session's own figure. The story ranks today's gap among them
(``briefings.history.rank``, members' sample); members' figures get no analogs.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.returns import FloatArray
from briefings.members.window import member_windows

#: Sessions measured in one pass: bounds the rows x members arrays of a large index.
ROWS_AT_ONCE = 256


def top_vs_rest_history(
    dates: pd.DatetimeIndex,
    prices: FloatArray,
    weights: FloatArray,
    at_holdings: FloatArray,
    window: str,
    top_n: int,
    since: date,
) -> pd.Series:
    """Return the top N's cap-weighted ``window`` gap over the rest at every session (pp)."""
    first = int(dates.searchsorted(pd.Timestamp(since)))
    rows = np.arange(first, len(dates))
    gaps = np.full(len(rows), np.nan)
    for start in range(0, len(rows), ROWS_AT_ONCE):
        chunk = rows[start : start + ROWS_AT_ONCE]
        split = member_windows(dates, prices, weights, at_holdings, chunk, window, top_n)
        gaps[start : start + len(chunk)] = split.top_cap - split.rest_cap
    return pd.Series(gaps, index=dates[first:])

"""One window of an index's members at a session: returns, weights carried to its base, top N.

The one computation behind a session's top N vs the rest (``members.book.index_members``) and
that figure's history (``members.top_history``), so both hold the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from briefings.analytics.returns import FloatArray, window_base_date
from briefings.members import analytics
from briefings.members.model import GroupSplit


@dataclass(frozen=True)
class MemberWindow:
    """The members' returns over a window, their weights carried to its base, the top N split."""

    base_row: int
    returns: FloatArray
    """r_i = 100 * (P_i(t) / P_i(base) - 1), NaN without a base (history too short)."""
    carried: FloatArray
    """w_i(base) = w_i(h) * P_i(base) / P_i(h)."""
    split: GroupSplit


def member_window(
    dates: pd.DatetimeIndex,
    prices: FloatArray,
    weights: FloatArray,
    at_holdings: FloatArray,
    row: int,
    window: str,
    top_n: int,
) -> MemberWindow:
    """Return the members' ``window`` at session ``row`` (see ``MemberWindow``)."""
    base = window_base_date(dates, dates[row], window)
    if base is None:
        returns = np.full(prices.shape[1], np.nan)
        base_row = row
    else:
        base_row = int(dates.searchsorted(base))
        returns = analytics.window_returns(prices, row, base_row)
    carried = analytics.carried_weights(weights, at_holdings, prices[base_row])
    split = GroupSplit(*analytics.split_returns(carried, returns, top_n))
    return MemberWindow(base_row=base_row, returns=returns, carried=carried, split=split)

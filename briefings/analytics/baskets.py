"""Equal-weight baskets of tickers, rebalanced daily."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from briefings.analytics.returns import FloatArray, column_values, last_close_rows

BASKET_START_LEVEL = 100.0


def previous_closes(values: FloatArray) -> FloatArray:
    """Return, per cell, the column's last close in an earlier row (NaN if none)."""
    last_rows = last_close_rows(values)
    columns = np.arange(values.shape[1])
    filled = np.where(last_rows >= 0, values[np.maximum(last_rows, 0), columns], np.nan)
    previous = np.full_like(filled, np.nan)
    previous[1:] = filled[:-1]
    return previous


def equal_weight_basket(closes: pd.DataFrame, members: Sequence[str]) -> pd.Series:
    """Return the daily-rebalanced equal-weight index of ``members``.

    level_t = level_{t-1} * (1 + mean_i r_i,t), level = 100 on the first session any member
    has a close. r_i,t = c_i,t / c_i,prev - 1, where c_i,prev is the member's last close
    before t (so a gap in one member's data neither loses nor invents a move). The mean is
    over the members with a return on t; a member's first close has none. The level is NaN
    on sessions where no member has a close, and before the first one. Members that are not
    columns of ``closes`` count as having no data.
    """
    values = column_values(closes, list(dict.fromkeys(members)))
    with np.errstate(divide="ignore", invalid="ignore"):
        member_returns = values / previous_closes(values) - 1.0
    has_return = np.isfinite(member_returns)
    counts = has_return.sum(axis=1)
    totals = np.where(has_return, member_returns, 0.0).sum(axis=1)
    mean_returns = np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)
    levels = BASKET_START_LEVEL * np.cumprod(1.0 + mean_returns)
    any_close = ~np.isnan(values).all(axis=1)
    return pd.Series(np.where(any_close, levels, np.nan), index=closes.index, dtype=float)

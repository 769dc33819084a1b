"""A figure's whole history: trailing-window returns and pair spreads at every session, vectorised.

Each window's base row (``briefings.analytics.returns.base_rows``) is the one
``window_base_date`` picks, for all sessions at once: 1D the previous session, 1W / 1M / 3M / 1Y
the last session on or before the same calendar day 7 days / 1 / 3 / 12 months earlier, MTD /
YTD the last session of the previous month / year. r(t) = 100 * (c_t / c_base(t) - 1); NaN
without both closes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from briefings.analytics.returns import FloatArray, IntArray, base_rows, percent_change


def forward_rows(index: pd.DatetimeIndex, months: int) -> IntArray:
    """Return, per row, the last session on or before the same day ``months`` later (-1: beyond)."""
    days = pd.DatetimeIndex(index).normalize()
    targets = days + pd.DateOffset(months=months)
    found: IntArray = index.searchsorted(targets, side="right").astype(np.intp) - 1
    found[targets > index[-1]] = -1
    return found


def window_returns(values: FloatArray, bases: IntArray) -> FloatArray:
    """Return r(t) = 100 * (c_t / c_base(t) - 1) per row of ``values`` (1-D or sessions x legs)."""
    base = np.full_like(values, np.nan)
    known = bases >= 0
    base[known] = values[bases[known]]
    return percent_change(values, base)


def spread_history(legs: pd.DataFrame, lead: str, lag: str, window: str) -> pd.Series:
    """Return the pair's spread x_t = r_lead(t) - r_lag(t) in pp at every session (NaN: unknown)."""
    index = pd.DatetimeIndex(legs.index)
    bases = base_rows(index, window)
    lead_returns = window_returns(legs[lead].to_numpy(dtype=float), bases)
    lag_returns = window_returns(legs[lag].to_numpy(dtype=float), bases)
    return pd.Series(lead_returns - lag_returns, index=index, name=f"{lead}/{lag} {window}")


def return_history(legs: pd.DataFrame, leg: str, window: str) -> pd.Series:
    """Return the leg's own ``window`` return in percent at every session (NaN: unknown)."""
    index = pd.DatetimeIndex(legs.index)
    returns = window_returns(legs[leg].to_numpy(dtype=float), base_rows(index, window))
    return pd.Series(returns, index=index, name=f"{leg} {window}")

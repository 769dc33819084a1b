"""One window of an index's members at a session: returns, weights carried to its base, top N.

The one computation behind a session's top N vs the rest (``members.book.index_members``) and
that figure's history (``members.top_history``), so both hold the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from briefings.analytics.returns import (
    FloatArray,
    IntArray,
    base_rows,
    finite_or_none,
    percent_change,
)
from briefings.members import analytics
from briefings.members.analytics import BoolArray
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


@dataclass(frozen=True)
class MemberWindows:
    """The top N split of many sessions' windows: one value per session row, NaN if unknown."""

    top_cap: FloatArray
    rest_cap: FloatArray
    top_equal: FloatArray
    rest_equal: FloatArray


def _base_rows(dates: pd.DatetimeIndex, rows: IntArray, window: str) -> tuple[IntArray, BoolArray]:
    """Return each row's base row (itself when history is too short) and whether it has one."""
    found = base_rows(dates, window)[rows]
    known = found >= 0
    return np.where(known, found, rows).astype(np.intp), known


def _measured(
    prices: FloatArray,
    weights: FloatArray,
    at_holdings: FloatArray,
    rows: IntArray,
    bases: IntArray,
    known: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """Return (returns, weights carried to each base): rows x members."""
    returns = np.where(known[:, None], percent_change(prices[rows], prices[bases]), np.nan)
    carried = analytics.carried_weights(weights, at_holdings, prices[bases])
    return returns, carried


def member_windows(
    dates: pd.DatetimeIndex,
    prices: FloatArray,
    weights: FloatArray,
    at_holdings: FloatArray,
    rows: IntArray,
    window: str,
    top_n: int,
) -> MemberWindows:
    """Return the top N split of ``window`` at each session of ``rows``, all rows at once."""
    bases, known = _base_rows(dates, rows, window)
    returns, carried = _measured(prices, weights, at_holdings, rows, bases, known)
    return MemberWindows(*analytics.split_rows(carried, returns, top_n))


def member_window(
    dates: pd.DatetimeIndex,
    prices: FloatArray,
    weights: FloatArray,
    at_holdings: FloatArray,
    row: int,
    window: str,
    top_n: int,
) -> MemberWindow:
    """Return the members' ``window`` at session ``row`` (see ``MemberWindow``).

    Its split is ``member_windows`` of that one row: the figure and its history are one
    computation.
    """
    rows = np.array([row], dtype=np.intp)
    bases, known = _base_rows(dates, rows, window)
    returns, carried = _measured(prices, weights, at_holdings, rows, bases, known)
    split = analytics.split_rows(carried, returns, top_n)
    return MemberWindow(
        base_row=int(bases[0]),
        returns=returns[0],
        carried=carried[0],
        split=GroupSplit(*(finite_or_none(float(values[0])) for values in split)),
    )

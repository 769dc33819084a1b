"""Leaders and extremes: leaderboards, record and 52-week closing highs, up/down streaks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.analytics.returns import FloatArray
from briefings.analytics.leaders import SectorRow

#: A year of sessions: the 52-week window, and the history a ticker needs before its highs count.
YEAR_SESSIONS = 252

# Streaks are counted on a recent slice first; it grows only while some streak fills it.
_STREAK_FIRST_SLICE = 32


def _history(closes: pd.DataFrame, as_of: date | pd.Timestamp) -> pd.DataFrame:
    """Return the rows of ``closes`` up to the last session on or before ``as_of``."""
    return closes.loc[: pd.Timestamp(as_of)]


def _counts(values: FloatArray) -> npt.NDArray[np.int64]:
    """Return the number of closes in each column."""
    counts: npt.NDArray[np.int64] = (~np.isnan(values)).sum(axis=0)
    return counts


def leaderboard(
    returns_table: pd.DataFrame, tickers: Iterable[str], window: str, names: Mapping[str, str]
) -> tuple[SectorRow, ...]:
    """Return ``tickers``' ``window`` returns best to worst; ties keep the given order.

    ``returns_table`` has tickers as rows and windows as columns; tickers without a finite
    return there are left out.
    """
    column = dict(
        zip(returns_table.index, returns_table[window].to_numpy(dtype=float), strict=True)
    )
    rows = []
    for ticker in dict.fromkeys(tickers):
        value = column.get(ticker, np.nan)
        if np.isfinite(value):
            rows.append(
                SectorRow(ticker=ticker, name=names.get(ticker, ticker), return_pct=float(value))
            )
    return tuple(sorted(rows, key=lambda row: -row.return_pct))


def record_highs(
    closes: pd.DataFrame, as_of: date | pd.Timestamp, min_history: int = YEAR_SESSIONS
) -> list[str]:
    """Return the tickers whose as-of close is the highest close of all their history to as_of.

    close_t >= max(close over all sessions to t), counted only for tickers with a close on the
    as-of session and at least ``min_history`` closes (about a year), so a new listing's first
    weeks are not records. Column order.
    """
    values = _history(closes, as_of).to_numpy(dtype=float)
    if not len(values):
        return []
    at_high = (values[-1] >= np.fmax.reduce(values, axis=0)) & (_counts(values) >= min_history)
    return [str(ticker) for ticker in closes.columns[at_high]]


def highs_52w(
    closes: pd.DataFrame, as_of: date | pd.Timestamp, sessions: int = YEAR_SESSIONS
) -> list[str]:
    """Return the tickers whose as-of close is the highest of the last ``sessions`` sessions.

    close_t >= max(close over the ``sessions`` sessions ending at t), counted only for tickers
    with a close on the as-of session and at least ``sessions`` closes in all. Column order.
    """
    values = _history(closes, as_of).to_numpy(dtype=float)
    if not len(values):
        return []
    peak = np.fmax.reduce(values[-sessions:], axis=0)
    at_high = (values[-1] >= peak) & (_counts(values) >= sessions)
    return [str(ticker) for ticker in closes.columns[at_high]]


def streaks(closes: pd.DataFrame, as_of: date | pd.Timestamp) -> pd.Series:
    """Return each ticker's run of consecutive higher (+n) or lower (-n) closes ending at as_of.

    n counts the session-to-session moves in the same direction ending on the as-of session;
    0 when the as-of close equals the previous one or either is missing. A missing close or
    an unchanged close ends a run.
    """
    history = _history(closes, as_of)
    values = history.to_numpy(dtype=float)
    rows = len(values)
    slice_rows = _STREAK_FIRST_SLICE
    while True:
        recent = values[-(slice_rows + 1) :]
        directions = np.sign(np.diff(recent, axis=0))
        if not len(directions):
            return pd.Series(0, index=history.columns, dtype=np.int64)
        last = directions[-1]
        same = (directions == last)[::-1]
        runs = np.where(same.all(axis=0), len(directions), same.argmin(axis=0))
        filled = runs == len(directions)
        if not filled[np.isfinite(last) & (last != 0)].any() or len(recent) == rows:
            break
        slice_rows *= 4
    signed = np.where(np.isfinite(last), last, 0.0) * runs
    return pd.Series(signed.astype(np.int64), index=history.columns)

"""Trailing-window returns, returns since a date and recent lows, from a wide frame of closes.

Every function takes ``closes``: a tz-naive DatetimeIndex of sessions (ascending) and one float
column per ticker, NaN where a ticker has no close. Returns are in percent:
``100 * (close_as_of / close_base - 1)``.

Window base dates (the session whose close a window is measured from):

- ``1D``: the previous session.
- ``MTD`` / ``YTD``: the last session of the previous month / year.
- ``1W``, ``1M``, ``3M``, ``1Y``: the last session on or before the same calendar date
  7 days / 1 / 3 / 12 months earlier (months by calendar: 31 Mar minus 1 month is 28 Feb).

A ticker's return is NaN when it has no close on the as-of session or on the base session
itself: an earlier close is never used in place of a missing base close, because that would
silently measure a longer window than the one shown.
"""

from __future__ import annotations

import calendar
import hashlib
import threading
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.lru import Lru
from briefings.windows import WINDOWS

_MONTHS_BACK: dict[str, int] = {"1M": 1, "3M": 3, "1Y": 12}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def months_before(day: date, months: int) -> date:
    """Return the same calendar day ``months`` earlier, clipped to that month's end."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


#: The first and last whole days a pandas timestamp (nanoseconds since 1970) can hold.
TIMESTAMP_DAYS = (
    (pd.Timestamp.min + pd.Timedelta(days=1)).date(),
    (pd.Timestamp.max - pd.Timedelta(days=1)).date(),
)


def finite_or_none(value: float) -> float | None:
    """Return ``value`` as a float, or None when it is NaN or infinite."""
    number = float(value)
    return number if np.isfinite(number) else None


def session_on_or_before(index: pd.DatetimeIndex, when: date | pd.Timestamp) -> pd.Timestamp | None:
    """Return the last session in ``index`` on or before ``when``, or None if there is none.

    A date beyond what a timestamp holds (before 1677-09-22 or after 2262-04-11) is before or
    after every session, not an error.
    """
    if not isinstance(when, pd.Timestamp) and not TIMESTAMP_DAYS[0] <= when <= TIMESTAMP_DAYS[1]:
        if when < TIMESTAMP_DAYS[0] or index.empty:
            return None
        return pd.Timestamp(index[-1])
    position = int(index.searchsorted(pd.Timestamp(when), side="right")) - 1
    return index[position] if position >= 0 else None


def window_base_date(
    index: pd.DatetimeIndex, as_of: date | pd.Timestamp, window: str
) -> pd.Timestamp | None:
    """Return the session ``window`` is measured from at ``as_of``, or None if history is short."""
    as_of = pd.Timestamp(as_of)
    if window == "1D":
        position = int(index.searchsorted(as_of, side="right")) - 1
        return index[position - 1] if position >= 1 else None
    day = as_of.date()
    if window == "MTD":
        target = day.replace(day=1) - timedelta(days=1)
    elif window == "YTD":
        target = date(day.year - 1, 12, 31)
    elif window == "1W":
        target = day - timedelta(days=7)
    elif window in _MONTHS_BACK:
        target = months_before(day, _MONTHS_BACK[window])
    else:
        raise ValueError(f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")
    return session_on_or_before(index, target)


#: Calendars whose base rows are kept: a process measures few calendars (the universe's, each
#: index's members') in many windows, pairs and sessions.
BASE_ROWS_KEPT = 32
_base_rows_kept: Lru[tuple[str, str, bytes], IntArray] = Lru(BASE_ROWS_KEPT)
_base_rows_lock = threading.Lock()


def base_rows(index: pd.DatetimeIndex, window: str) -> IntArray:
    """Return, per session row, the row ``window`` is measured from (-1: history too short).

    Computed once per calendar and window, then kept; the array is read-only.
    """
    index = pd.DatetimeIndex(index)
    stamps = index.asi8
    key = (window, str(index.dtype), hashlib.blake2b(stamps.tobytes(), digest_size=16).digest())
    with _base_rows_lock:
        found = _base_rows_kept.get(key)
    if found is None:
        found = _computed_base_rows(index, window)
        found.flags.writeable = False
        with _base_rows_lock:
            _base_rows_kept.put(key, found)
    return found


def _computed_base_rows(index: pd.DatetimeIndex, window: str) -> IntArray:
    """Return, per session row, the row ``window`` is measured from (see ``base_rows``)."""
    rows = np.arange(len(index), dtype=np.intp)
    if window == "1D":
        return rows - 1
    days = pd.DatetimeIndex(index).normalize()
    if window == "1W":
        targets = days - pd.Timedelta(days=7)
    elif window in _MONTHS_BACK:
        targets = days - pd.DateOffset(months=_MONTHS_BACK[window])
    elif window == "MTD":
        targets = days.to_period("M").to_timestamp() - pd.Timedelta(days=1)
    elif window == "YTD":
        targets = days.to_period("Y").to_timestamp() - pd.Timedelta(days=1)
    else:
        raise ValueError(f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")
    found: IntArray = index.searchsorted(targets, side="right").astype(np.intp) - 1
    return found


def column_values(closes: pd.DataFrame, tickers: Sequence[str]) -> FloatArray:
    """Return the closes of ``tickers`` as a (sessions x tickers) array, NaN for absent ones."""
    where = {column: position for position, column in enumerate(closes.columns)}
    positions = np.array([where.get(ticker, -1) for ticker in tickers], dtype=np.intp)
    values = closes.to_numpy(dtype=float)
    if not values.shape[1]:
        return np.full((len(values), len(positions)), np.nan)
    picked = values[:, np.maximum(positions, 0)]
    picked[:, positions < 0] = np.nan
    return picked


def last_close_rows(values: FloatArray) -> IntArray:
    """Return, per cell, the row of the column's last close at or before it (-1 if none)."""
    rows = np.arange(len(values), dtype=np.intp)[:, np.newaxis]
    last_rows: IntArray = np.maximum.accumulate(np.where(np.isnan(values), -1, rows), axis=0)
    return last_rows


def percent_change(now: FloatArray, base: FloatArray) -> FloatArray:
    """Return ``100 * (now / base - 1)`` elementwise; NaN where either is missing or base <= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        change = 100.0 * (now / base - 1.0)
    return np.where(base > 0, change, np.nan)


def trailing_returns(
    closes: pd.DataFrame, as_of: date | pd.Timestamp, windows: Sequence[str] = WINDOWS
) -> pd.DataFrame:
    """Return percent returns per ticker (rows) and window (columns) to the close of ``as_of``.

    ``as_of`` falls back to the last session on or before it. ret = 100 * (c_as_of / c_base - 1),
    NaN where the ticker has no close on the as-of or the base session, or history is too short.
    """
    index = pd.DatetimeIndex(closes.index)
    values = closes.to_numpy(dtype=float)
    table = np.full((values.shape[1], len(windows)), np.nan)
    session = session_on_or_before(index, as_of)
    if session is not None:
        now = values[index.searchsorted(session)]
        for column, window in enumerate(windows):
            base_date = window_base_date(index, session, window)
            if base_date is not None:
                table[:, column] = percent_change(now, values[index.searchsorted(base_date)])
    return pd.DataFrame(table, index=closes.columns, columns=list(windows))


def returns_since(
    closes: pd.DataFrame, start: date | pd.Timestamp, as_of: date | pd.Timestamp
) -> pd.Series:
    """Return percent returns from the close of ``start`` to the close of ``as_of``, per ticker.

    Both dates fall back to the last session on or before them.
    ret = 100 * (c_as_of / c_start - 1), NaN where a ticker lacks either close.
    """
    index = pd.DatetimeIndex(closes.index)
    start_session = session_on_or_before(index, start)
    end_session = session_on_or_before(index, as_of)
    if start_session is None or end_session is None:
        return pd.Series(np.nan, index=closes.columns, dtype=float)
    values = closes.to_numpy(dtype=float)
    now = values[index.searchsorted(end_session)]
    base = values[index.searchsorted(start_session)]
    return pd.Series(percent_change(now, base), index=closes.columns, dtype=float)


def recent_low(
    series: pd.Series, as_of: date | pd.Timestamp, lookback_sessions: int
) -> tuple[pd.Timestamp, float]:
    """Return the date and value of the lowest of the last ``lookback_sessions`` closes to as_of.

    Sessions are the series' own closes (NaN skipped); on a tie the earliest date wins.
    Raise ValueError when the series has no close on or before ``as_of``.
    """
    if lookback_sessions < 1:
        raise ValueError(f"lookback_sessions must be at least 1, not {lookback_sessions}")
    window = series.loc[: pd.Timestamp(as_of)].dropna().iloc[-lookback_sessions:]
    if window.empty:
        raise ValueError(f"{series.name!r} has no close on or before {as_of}")
    position = int(np.argmin(window.to_numpy(dtype=float)))
    return pd.Timestamp(window.index[position]), float(window.iloc[position])

"""Market breadth: how many of a basket's members close above their moving averages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.analytics.returns import FloatArray, column_values
from briefings.analytics.breadth import Breadth

SHORT_AVERAGE_SESSIONS = 50
LONG_AVERAGE_SESSIONS = 200

BoolArray = npt.NDArray[np.bool_]


def above_average(history: FloatArray, sessions: int) -> tuple[BoolArray, BoolArray]:
    """Return per column (counted, above): is it counted, and is close_t > SMA_sessions(close)_t.

    ``history`` holds closes (sessions x tickers) ending at the session t. SMA is the mean of
    the column's closes over the last ``sessions`` rows (missing closes skipped). A column is
    counted when it has a close on t and one on or before the window's first row, i.e. its
    history spans the whole window.
    """
    rows, columns = history.shape
    if rows < sessions:
        nothing = np.zeros(columns, dtype=bool)
        return nothing, nothing
    last = history[-1]
    window = history[-sessions:]
    present = ~np.isnan(window)
    totals = np.where(present, window, 0.0).sum(axis=0)
    counts = present.sum(axis=0)
    average = np.divide(totals, counts, out=np.full(columns, np.nan), where=counts > 0)
    spans_window = (~np.isnan(history[: rows - sessions + 1])).any(axis=0)
    counted = ~np.isnan(last) & spans_window
    return counted, counted & (last > average)


def breadth(
    closes: pd.DataFrame,
    members: Sequence[str],
    as_of: date | pd.Timestamp,
    *,
    key: str,
    title: str,
    short_sessions: int = SHORT_AVERAGE_SESSIONS,
    long_sessions: int = LONG_AVERAGE_SESSIONS,
) -> Breadth:
    """Return how many of ``members`` close above their 50- and 200-session simple averages.

    The session t is the last one on or before ``as_of``. ``members`` counts every listed
    ticker; ``counted_*`` only those with enough history (see ``above_average``); members
    that are not columns of ``closes`` are not counted.
    """
    distinct = list(dict.fromkeys(members))
    history = column_values(closes.loc[: pd.Timestamp(as_of)], distinct)
    counted_short, above_short = above_average(history, short_sessions)
    counted_long, above_long = above_average(history, long_sessions)
    return Breadth(
        key=key,
        title=title,
        members=len(distinct),
        above_50=int(above_short.sum()),
        above_200=int(above_long.sum()),
        counted_50=int(counted_short.sum()),
        counted_200=int(counted_long.sum()),
    )

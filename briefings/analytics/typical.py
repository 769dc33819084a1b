"""A pair's typical spread: how big a move of the same length usually is for that pair.

For a window that spans n sessions at the as-of session (1D: n = 1; MTD on the 11th: the
sessions since the last close of the previous month; "since the low": the sessions since the
low), the typical spread is

    typical_n = median over the last 252 sessions t of |r_lead(t, n) - r_lag(t, n)|,
    r(t, n)   = 100 * (close_t / close_{t-n} - 1)

in percentage points: the size of an ordinary n-session spread of that pair over the past
year. A spread divided by it says how unusual a move is for that pair (1 = an ordinary one).
None when fewer than 20 such spreads can be measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from briefings.analytics.returns import FloatArray, finite_or_none
from briefings.universe import PairSpec

#: Sessions whose spreads set the typical size (a year).
TYPICAL_LOOKBACK = 252
#: Fewest measured spreads a typical size needs.
TYPICAL_MIN_COUNT = 20


def pair_label(lead: str, lag: str) -> str:
    """Return the key a pair's figures are filed under: "LEAD/LAG"."""
    return f"{lead}/{lag}"


def typical_spreads(
    legs: pd.DataFrame,
    pairs: Sequence[PairSpec],
    session: pd.Timestamp,
    lengths: Mapping[str, int],
    lookback: int = TYPICAL_LOOKBACK,
) -> dict[str, dict[str, float | None]]:
    """Return pair label -> window -> typical spread (module doc) for every window in ``lengths``.

    ``legs`` holds daily closes with one column per leg; ``lengths`` maps a window name to the
    number of sessions it spans (windows of 0 sessions get None).
    """
    history = legs.loc[:session]
    longest = max([n for n in lengths.values() if n > 0], default=0)
    values = history.to_numpy(dtype=float)[-(lookback + longest) :]
    columns = {column: position for position, column in enumerate(history.columns)}
    result: dict[str, dict[str, float | None]] = {}
    for pair in pairs:
        lead, lag = values[:, columns[pair.lead]], values[:, columns[pair.lag]]
        result[pair_label(pair.lead, pair.lag)] = {
            window: _typical(lead, lag, n, lookback) for window, n in lengths.items()
        }
    return result


def _typical(lead: FloatArray, lag: FloatArray, n: int, lookback: int) -> float | None:
    if n <= 0 or len(lead) <= n:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        spreads = 100.0 * (lead[n:] / lead[:-n] - lag[n:] / lag[:-n])
    recent = np.abs(spreads[-lookback:])
    recent = recent[np.isfinite(recent)]
    if len(recent) < TYPICAL_MIN_COUNT:
        return None
    return finite_or_none(float(np.median(recent)))


def window_lengths(
    index: pd.DatetimeIndex, session: pd.Timestamp, bases: Mapping[str, pd.Timestamp | None]
) -> dict[str, int]:
    """Return the sessions each window spans: positions of ``session`` minus its base's."""
    end = int(index.searchsorted(session))
    return {
        window: 0 if base is None else end - int(index.searchsorted(base))
        for window, base in bases.items()
    }

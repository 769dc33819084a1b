"""The factor scoreboard: each factor fund's return and its spread against the benchmark.

For every window (``briefings.windows``): return r_f in percent (as ``analytics.returns``),
spread_f = r_f - r_benchmark in percentage points, and rank_f = 1 + the number of factors with a
higher return in that window (1 = best; factors without a return have no rank). Funds without
a close in the 400 sessions up to the as-of session are named in ``missing`` and left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.returns import finite_or_none, session_on_or_before, trailing_returns
from briefings.universe import FactorSpec
from briefings.windows import WINDOWS

#: Rows before the session every window's base lies within (1Y is about 253 sessions).
RECENT_ROWS = 400


@dataclass(frozen=True)
class FactorLine:
    """One factor fund's returns, spreads against the benchmark and ranks, per window."""

    factor: str
    ticker: str
    returns: Mapping[str, float | None]
    spread: Mapping[str, float | None]
    """Return minus the benchmark's, percentage points."""
    rank: Mapping[str, int | None]
    """1 = the best return among the factors in that window."""


@dataclass(frozen=True)
class FactorBoard:
    """The factor scoreboard at a session."""

    as_of: date | None
    benchmark: str
    benchmark_returns: Mapping[str, float | None]
    lines: tuple[FactorLine, ...]
    missing: tuple[str, ...]
    """Factor funds (or the benchmark) without closes: not on the board."""

    def ranked(self, window: str) -> tuple[FactorLine, ...]:
        """Return the lines best first in ``window``; those without a return last."""
        return tuple(
            sorted(self.lines, key=lambda line: (line.rank[window] is None, line.rank[window]))
        )


def _has_closes(closes: pd.DataFrame, ticker: str) -> bool:
    return ticker in closes.columns and bool(closes[ticker].notna().any())


def factor_board(
    closes: pd.DataFrame,
    factors: Sequence[FactorSpec],
    benchmark: str,
    as_of: date | pd.Timestamp | None,
    windows: Sequence[str] = WINDOWS,
) -> FactorBoard:
    """Return the scoreboard (module doc) at the last session on or before ``as_of``."""
    index = pd.DatetimeIndex(closes.index)
    session = None if as_of is None or index.empty else session_on_or_before(index, as_of)
    # The longest window (a year) reaches about 253 sessions back: read only the recent rows.
    end = 0 if session is None else int(index.searchsorted(session)) + 1
    recent = closes.iloc[max(end - RECENT_ROWS, 0) : end]
    present = [f for f in factors if _has_closes(recent, f.ticker)]
    missing = [f.ticker for f in factors if not _has_closes(recent, f.ticker)]
    if not _has_closes(recent, benchmark):
        missing.append(benchmark)
        present = []
    if session is None or not present:
        return FactorBoard(
            as_of=None if session is None else session.date(),
            benchmark=benchmark,
            benchmark_returns=dict.fromkeys(windows),
            lines=(),
            missing=tuple(missing),
        )
    tickers = [f.ticker for f in present]
    table = trailing_returns(recent[[*tickers, benchmark]], session, windows).to_numpy()
    factor_returns, benchmark_returns = table[:-1], table[-1]
    spreads = factor_returns - benchmark_returns
    known = np.isfinite(factor_returns)
    higher = (factor_returns[np.newaxis, :, :] > factor_returns[:, np.newaxis, :]) & known
    ranks = np.where(known, 1 + higher.sum(axis=1), 0)
    return FactorBoard(
        as_of=session.date(),
        benchmark=benchmark,
        benchmark_returns=dict(zip(windows, map(finite_or_none, benchmark_returns), strict=True)),
        lines=tuple(
            FactorLine(
                factor=spec.factor,
                ticker=spec.ticker,
                returns=dict(zip(windows, map(finite_or_none, factor_returns[row]), strict=True)),
                spread=dict(zip(windows, map(finite_or_none, spreads[row]), strict=True)),
                rank={
                    window: int(ranks[row, column]) if known[row, column] else None
                    for column, window in enumerate(windows)
                },
            )
            for row, spec in enumerate(present)
        ),
        missing=tuple(missing),
    )

"""Sweep: every real session replays with the figures of the CSV files.

Run: uv run python -m tests.sweeps.replay [--from 2025-01-02] [--to 2026-07-31]
Per session: the briefing is of that session, SPY's one-day return is the one of SPY.csv, the
sector board is complete and sorted, and the stale tickers are exactly those whose file lacks
the session (MDY has no file; GSPC.csv and NDX.csv end on 2026-07-10).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from briefings.service import MarketService
from tests.real_data import MARKET_DATA
from tests.sweeps._runner import Check, main

SPAN = (date(2025, 1, 2), date(2026, 7, 31))


def file_closes(directory: Path, ticker: str) -> pd.Series:
    """Return a ticker's closes from its CSV file by date (empty when there is no file)."""
    path = directory / f"{ticker.removeprefix('^')}.csv"
    if not path.is_file():
        return pd.Series(index=pd.DatetimeIndex([]), dtype=float)
    frame = pd.read_csv(path, parse_dates=["Date"], index_col="Date")
    return frame["Close"].dropna()


def closes_on_file(directory: Path, tickers: Sequence[str]) -> dict[str, pd.Series]:
    """Return each ticker's closes as its CSV file holds them."""
    return {ticker: file_closes(directory, ticker) for ticker in tickers}


def check_replay(service: MarketService, files: Mapping[str, pd.Series], session: date) -> None:
    """Check the briefing of ``session`` against the CSV files; raise AssertionError if off."""
    briefing = service.snapshot(as_of=session).briefing
    assert briefing.as_of == session, f"the briefing is of {briefing.as_of}"
    spy = files["SPY"].loc[: pd.Timestamp(session)]
    assert spy.index[-1] == pd.Timestamp(session), "SPY.csv has no close on the session"
    expected_1d = 100 * (spy.iloc[-1] / spy.iloc[-2] - 1)
    told_1d = briefing.returns["SPY"]["1D"]
    assert told_1d is not None, "no SPY 1D return"
    assert math.isclose(told_1d, expected_1d, abs_tol=1e-9), (told_1d, expected_1d)
    board = [row.return_pct for row in briefing.sectors]
    assert board == sorted(board, reverse=True), "the sector board is not sorted"
    assert len(board) == 11, f"{len(board)} sectors"
    lacking = {ticker for ticker, closes in files.items() if pd.Timestamp(session) not in closes}
    assert set(briefing.stale) == lacking, f"stale: {sorted(briefing.stale)}, lacking {lacking}"


def replay_check(service: MarketService) -> Check:
    """Return the replay check of one session on ``service``."""
    files = closes_on_file(MARKET_DATA, service.universe.tickers)
    return lambda session: check_replay(service, files, session)


def run(argv: Sequence[str] | None = None) -> int:
    """Sweep the replay check; return the exit status."""
    return main("replay", argv, SPAN, replay_check)


if __name__ == "__main__":
    sys.exit(run())

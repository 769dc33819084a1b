"""Replay real sessions from ../shared/market-data (skipped when a clone lacks the folder)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefings.calendar import sessions_in_range
from briefings.service import MarketService


def spy_closes(directory: Path) -> pd.Series:
    frame = pd.read_csv(directory / "SPY.csv", parse_dates=["Date"], index_col="Date")
    return frame["Close"]


def test_every_late_2025_session_replays(
    real_service: MarketService, market_data_dir: Path
) -> None:
    spy = spy_closes(market_data_dir)
    sessions = sessions_in_range(date(2025, 10, 1), date(2025, 12, 31))
    assert len(sessions) == 64  # SOURCES.md: 64 common dates in Oct-Dec 2025
    for session in sessions:
        briefing = real_service.snapshot(as_of=session).briefing
        assert briefing.as_of == session
        position = int(spy.index.get_indexer(pd.DatetimeIndex([pd.Timestamp(session)]))[0])
        expected_1d = 100 * (spy.iloc[position] / spy.iloc[position - 1] - 1)
        assert briefing.returns["SPY"]["1D"] == pytest.approx(expected_1d, abs=1e-9)
        board = [row.return_pct for row in briefing.sectors]
        assert board == sorted(board, reverse=True)
        assert len(board) == 11
        # The folder lacks only MDY: it, and only it, is stale.
        assert set(briefing.stale) == {"MDY"}


def test_thanksgiving_replays_the_session_before(real_service: MarketService) -> None:
    briefing = real_service.snapshot(as_of=date(2025, 11, 27)).briefing
    assert briefing.as_of == date(2025, 11, 26)


def test_since_the_november_low(real_service: MarketService, market_data_dir: Path) -> None:
    briefing = real_service.snapshot(as_of=date(2025, 12, 31)).briefing
    low = briefing.since_low
    assert low is not None
    gspc = pd.read_csv(market_data_dir / "GSPC.csv", parse_dates=["Date"], index_col="Date")
    window = gspc["Close"].loc[:"2025-12-31"].iloc[-63:]
    assert low.low_date == pd.Timestamp(str(window.idxmin())).date()
    assert low.low_close == pytest.approx(window.min())

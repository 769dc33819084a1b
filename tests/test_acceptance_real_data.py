"""Replay real sessions from ../shared/market-data (skipped when a clone lacks the folder).

Every session of 2025-2026 is replayed by the sweep ``python -m tests.sweeps.replay`` (run by
the CI after the tests); here its check runs on a sample.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefings.calendar import sessions_in_range
from briefings.service import MarketService
from tests.real_data import MARKET_DATA
from tests.sweeps.replay import check_replay, closes_on_file


@pytest.fixture(scope="module")
def files(real_service: MarketService) -> dict[str, pd.Series]:
    """Return the closes of every ticker of the universe as its CSV file holds them."""
    return closes_on_file(MARKET_DATA, real_service.universe.tickers)


def test_late_2025_has_the_64_sessions_of_the_files() -> None:
    # SOURCES.md: 64 common dates in Oct-Dec 2025 (the replay sweep checks each of them).
    assert len(sessions_in_range(date(2025, 10, 1), date(2025, 12, 31))) == 64


@pytest.mark.parametrize(
    "session",
    [
        date(2025, 1, 2),  # the first session of 2025
        date(2025, 4, 8),  # the tariff low
        date(2025, 11, 28),  # the half day after Thanksgiving
        date(2025, 12, 31),
        date(2026, 7, 13),  # the first after GSPC.csv and NDX.csv end
        date(2026, 7, 31),  # the folder's last
    ],
    ids=str,
)
def test_sampled_sessions_replay(
    real_service: MarketService, files: dict[str, pd.Series], session: date
) -> None:
    check_replay(real_service, files, session)


def test_in_late_2025_only_mdy_is_stale(real_service: MarketService) -> None:
    # The folder lacks only MDY's file.
    assert real_service.snapshot(as_of=date(2025, 11, 3)).briefing.stale == ("MDY",)


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


def test_the_replay_check_catches_a_briefing_of_another_session(
    real_service: MarketService, files: dict[str, pd.Series]
) -> None:
    # Thanksgiving replays the session before: the check of the 27th must not pass.
    with pytest.raises(AssertionError, match="the briefing is of 2025-11-26"):
        check_replay(real_service, files, date(2025, 11, 27))

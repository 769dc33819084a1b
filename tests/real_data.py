"""The real market data of the tests and sweeps: where it is, and a service refreshed on it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from briefings.service import MarketService
from briefings.sources.csvdir import CsvDirectorySource
from briefings.store import PriceStore
from briefings.universe import load_universe

REPO_ROOT = Path(__file__).resolve().parent.parent
MARKET_DATA = Path(
    os.environ.get("MARKETBRIEF_TEST_MARKET_DATA", REPO_ROOT.parent / "shared" / "market-data")
)
#: After the last close in the folder (RUT.csv's 2026-08-21), so every file is read to its end.
REAL_CLOCK = datetime(2026, 8, 24, 23, 0, tzinfo=UTC)


def has_market_data() -> bool:
    """Return whether the real market data folder is present (clones may lack it)."""
    return (MARKET_DATA / "SPY.csv").is_file()


def real_market_service(store_path: Path) -> MarketService:
    """Return a service on the real closes, refreshed into a new store at ``store_path``."""
    market = MarketService(
        CsvDirectorySource(MARKET_DATA),
        PriceStore(store_path),
        load_universe(),
        clock=lambda: REAL_CLOCK,
    )
    report = market.refresh()
    if report.error is not None:
        raise RuntimeError(f"the refresh of the real market data failed: {report.error}")
    return market

"""The simulated demo market: complete, plausible, reproducible and quick."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import time_machine

from briefings.calendar import sessions_in_range
from briefings.config import Settings
from briefings.service import MarketService
from briefings.sources import open_source
from briefings.sources.base import PriceSource, SourceSpecError
from briefings.sources.demo import ANCHOR, EPOCH, PROFILES, DemoSource, mean_reverting_changes
from briefings.universe import load_universe

UNIVERSE = load_universe()
SECTORS = list(UNIVERSE.group("sectors").members)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    """Return the whole default universe from EPOCH to the end of 2025."""
    return DemoSource().fetch(UNIVERSE.tickers, None, date(2025, 12, 31)).closes


def log_returns(closes: pd.DataFrame) -> pd.DataFrame:
    return closes.apply(np.log).diff().iloc[1:]


def test_is_a_simulated_price_source() -> None:
    source: PriceSource = DemoSource()
    assert source.name == "demo"
    assert source.simulated is True


def test_covers_every_universe_ticker_on_every_session(history: pd.DataFrame) -> None:
    assert list(history.columns) == list(UNIVERSE.tickers)
    assert history.index.name == "date"
    assert pd.DatetimeIndex(history.index).tz is None
    assert all(dtype == np.float64 for dtype in history.dtypes)
    expected = pd.DatetimeIndex(sessions_in_range(EPOCH, date(2025, 12, 31)))
    assert history.index.equals(expected)
    assert not history.isna().any().any()
    assert (history > 0).all().all()


def test_closes_do_not_depend_on_the_requested_range_or_other_tickers() -> None:
    wide = DemoSource().fetch(["SPY", "NVDA", "ZZZZ"], date(2020, 1, 1), date(2025, 11, 25))
    narrow = DemoSource().fetch(["ZZZZ", "SPY"], date(2025, 11, 17), date(2025, 11, 20))
    window = narrow.closes.index
    days = sessions_in_range(date(2025, 11, 17), date(2025, 11, 20))
    assert list(pd.DatetimeIndex(window).date) == days
    pd.testing.assert_frame_equal(
        narrow.closes, wide.closes.loc[window, ["ZZZZ", "SPY"]], check_exact=True
    )


@pytest.mark.parametrize("today", [datetime(2026, 1, 5, 12), datetime(2030, 6, 1, 12)])
def test_closes_do_not_depend_on_today(today: datetime) -> None:
    reference = DemoSource().fetch(["SPY", "XLE"], date(2025, 11, 3), date(2025, 11, 20)).closes
    with time_machine.travel(today, tick=False):
        later = DemoSource().fetch(["SPY", "XLE"], date(2025, 11, 3), date(2025, 11, 20)).closes
    pd.testing.assert_frame_equal(later, reference, check_exact=True)


def test_the_seed_changes_the_market_but_not_the_anchor_prices() -> None:
    one = DemoSource(seed=7).fetch(["SPY"], date(2024, 1, 2), ANCHOR).closes["SPY"]
    two = DemoSource(seed=8).fetch(["SPY"], date(2024, 1, 2), ANCHOR).closes["SPY"]
    assert one.iloc[-1] == pytest.approx(PROFILES["SPY"].price)
    assert two.iloc[-1] == pytest.approx(PROFILES["SPY"].price)
    assert not np.allclose(one.iloc[:-1].to_numpy(), two.iloc[:-1].to_numpy())


def test_unknown_tickers_get_stable_plausible_prices() -> None:
    first = DemoSource().fetch(["ACME", "ZZZZ"], None, date(2025, 12, 31)).closes
    again = DemoSource().fetch(["ACME"], None, date(2025, 12, 31)).closes
    pd.testing.assert_series_equal(first["ACME"], again["ACME"], check_exact=True)
    assert not np.allclose(first["ACME"].to_numpy(), first["ZZZZ"].to_numpy())
    assert (first > 0).all().all()
    assert log_returns(first).std().between(0.006, 0.035).all()


def test_daily_volatility_is_market_like(history: pd.DataFrame) -> None:
    vols = log_returns(history).std()
    assert 0.008 < vols["SPY"] < 0.012
    assert vols.between(0.006, 0.04).all(), vols[~vols.between(0.006, 0.04)]
    assert vols["NVDA"] > vols["XLK"] > vols["XLU"]
    assert vols["IWC"] > vols["IWM"] > vols["SPY"]


@pytest.mark.parametrize(
    ("index", "etf", "ratio"),
    [("^GSPC", "SPY", 10.0), ("^NDX", "QQQ", 41.2), ("^RUT", "IWM", 10.1)],
)
def test_indices_track_their_etfs_at_index_levels(
    history: pd.DataFrame, index: str, etf: str, ratio: float
) -> None:
    level_ratio = history[index] / history[etf]
    # The ETF's adjusted close also earns dividends, so the ratio drifts down by about 1% a year.
    assert level_ratio.loc[pd.Timestamp(ANCHOR)] == pytest.approx(ratio, rel=0.01)
    assert level_ratio.iloc[-1] < level_ratio.iloc[0]
    returns = log_returns(history)
    assert returns[index].corr(returns[etf]) > 0.999


def test_equal_weight_follows_the_sectors_and_momentum_follows_the_market(
    history: pd.DataFrame,
) -> None:
    returns = log_returns(history)
    sector_average = returns[SECTORS].mean(axis=1)
    assert returns["RSP"].corr(sector_average) > 0.95
    assert returns["MTUM"].corr(returns["SPY"]) > 0.8


def test_leadership_rotates(history: pd.DataFrame) -> None:
    recent = history.loc["2023-01-01":]
    monthly = recent.iloc[::21]
    leaders = (monthly[SECTORS] / monthly[SECTORS].shift(1)).iloc[1:].idxmax(axis=1)
    assert leaders.nunique() >= 6
    spread = (monthly["IWM"] / monthly["SPY"]).apply(np.log).diff().dropna()
    assert (spread > 0.02).any()
    assert (spread < -0.02).any()
    value_vs_growth = (monthly["IWD"] / monthly["IWF"]).apply(np.log).diff().dropna()
    assert (value_vs_growth > 0.01).any()
    assert (value_vs_growth < -0.01).any()


def test_new_highs_and_streaks_happen_regularly(history: pd.DataFrame) -> None:
    recent = history.loc["2020-01-01":]
    at_high = (history >= history.cummax()).loc["2020-01-01":]
    quarters = at_high.any(axis=1).groupby(pd.DatetimeIndex(recent.index).to_period("Q")).any()
    assert quarters.all()
    moves = recent.diff().iloc[1:].apply(np.sign)
    four_up = (moves > 0).rolling(4).sum() == 4
    assert four_up.any(axis=1).mean() > 0.2


def test_mean_reverting_changes_match_the_recursion() -> None:
    shocks = np.random.default_rng(3).standard_normal(700) * 0.01
    phi = np.exp(-1 / 40)
    level, expected = 0.0, []
    for shock in shocks:
        previous, level = level, phi * level + shock
        expected.append(level - previous)
    np.testing.assert_allclose(mean_reverting_changes(shocks, 40), expected, atol=1e-15)


def test_empty_and_out_of_range_requests() -> None:
    source = DemoSource()
    assert source.fetch(["SPY"], date(2025, 11, 29), date(2025, 11, 30)).closes.empty
    assert source.fetch(["SPY"], None, date(2011, 12, 30)).closes.empty
    nothing = source.fetch([], None, date(2025, 1, 31)).closes
    assert nothing.shape[1] == 0
    assert nothing.index.name == "date"


def test_whole_universe_history_is_quick() -> None:
    sessions_in_range(EPOCH, EPOCH)  # build the calendar first: it is shared, not the demo's cost
    started = time.perf_counter()
    DemoSource().fetch(UNIVERSE.tickers, None, date(2025, 12, 31))
    assert time.perf_counter() - started < 0.5  # typically ~60 ms; generous for slow CI


def test_open_source_demo_does_not_import_yfinance() -> None:
    code = (
        "import sys\n"
        "from briefings.sources import open_source\n"
        "source = open_source('demo')\n"
        "assert source.name == 'demo' and source.simulated, source\n"
        "assert 'yfinance' not in sys.modules, 'yfinance imported for --source demo'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("spec", ["", "yahoo", "Demo", "csv:", "csv", "/tmp"])
def test_open_source_names_the_valid_choices_for_anything_else(spec: str) -> None:
    with pytest.raises(SourceSpecError, match=r"csv:"):
        open_source(spec)


def test_index_members_follow_their_sector_etf_whatever_range_is_asked() -> None:
    wide = DemoSource().fetch(["XLF", "S001", "AAPL", "XLK"], None, date(2025, 12, 31)).closes
    narrow = DemoSource().fetch(["S001", "AAPL"], date(2025, 11, 17), date(2025, 11, 20)).closes
    pd.testing.assert_frame_equal(
        narrow, wide.loc[narrow.index, ["S001", "AAPL"]], check_exact=True
    )
    returns = log_returns(wide.loc["2024-01-01":])
    assert returns["AAPL"].corr(returns["XLK"]) > 0.6
    assert returns["S001"].corr(returns["XLF"]) > 0.6  # S001 is a financials member
    assert returns["AAPL"].std() > returns["XLK"].std()


def test_closes_another_demo_generation_stored_are_made_anew(demo_data: Path) -> None:
    # A store from a release whose simulation differed: another generation, other closes.
    service = MarketService.from_settings(Settings(data_dir=demo_data, source="demo"))
    stored = service.store.load("demo", ["SPY"])
    last = stored.index[-1]
    service.store.write("demo", stored.loc[[last]] * 2)
    with sqlite3.connect(Settings(data_dir=demo_data).store_path) as connection:
        connection.execute("UPDATE generations SET generation = 'an older simulation'")
    service.store.close()

    service = MarketService.from_settings(Settings(data_dir=demo_data, source="demo"))
    before = service.store.data_version("demo")
    assert service.freshness().regenerated
    assert not service.freshness().is_current
    assert service.refresh().error is None

    assert not service.freshness().regenerated
    assert service.store.data_version("demo") != before
    assert service.store.generation("demo") == DemoSource().generation
    fresh = DemoSource().fetch(["SPY"], last.date(), last.date()).closes
    assert service.store.load("demo", ["SPY"]).loc[last, "SPY"] == fresh.loc[last, "SPY"]
    assert service.holdings.indexes("demo")  # the members' holdings were made anew too

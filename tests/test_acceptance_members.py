"""Acceptance: the S&P 500's own members from the real closes (skipped when the folder is absent).

For 2025-11-28 and 2025-12-11 the test prints the members' figures and the indexes rebuilt from
members next to the funds (equal weight vs RSP, cap weight vs SPY), and checks what a real
late-2025 report said: in November the top 50 by weight fell while the other members rose,
health care was the best sector from members and information technology the worst.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.members.analytics import rebuilt_indexes
from briefings.members.book import IndexPrices
from briefings.members.model import IndexMembers
from briefings.service import MarketService
from briefings.sources.csvdir import CsvDirectorySource
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.conftest import MARKET_DATA

pytestmark = pytest.mark.market_data

SESSIONS = (date(2025, 11, 28), date(2025, 12, 11))
#: Tracking is measured from here to each session.
TRACK_FROM = date(2025, 6, 30)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> MarketService:
    """Refresh the real closes and members once for the module."""
    if not (MARKET_DATA / "sp500" / "members.csv").is_file():
        pytest.skip(f"real S&P 500 members not found at {MARKET_DATA / 'sp500'}")
    store = PriceStore(tmp_path_factory.mktemp("members") / "prices.sqlite3")
    service = MarketService(
        CsvDirectorySource(Path(MARKET_DATA)),
        store,
        load_universe(),
        clock=lambda: datetime(2025, 12, 12, 23, 0, tzinfo=UTC),
    )
    report = service.refresh()
    assert report.error is None
    return service


def members_at(service: MarketService, session: date, period: str = "MTD") -> IndexMembers:
    (members,) = service.snapshot(as_of=session, period=period).briefing.members
    return members


def tracking(service: MarketService, session: date) -> dict[str, tuple[float, float, float]]:
    """Return, per fund, (rebuilt return %, fund return %, correlation of daily returns)."""
    index: IndexPrices = service.member_book().indexes[0]
    dates = index.dates
    first = int(dates.searchsorted(pd.Timestamp(TRACK_FROM)))
    last = int(dates.searchsorted(pd.Timestamp(session)))
    assert index.holdings.as_of is not None
    holdings_row = int(dates.searchsorted(pd.Timestamp(index.holdings.as_of))) - first
    equal, cap = rebuilt_indexes(index.prices[first : last + 1], index.weights, holdings_row)
    closes = service.snapshot(as_of=session).closes
    window = closes.loc[pd.Timestamp(TRACK_FROM) : pd.Timestamp(session)]
    result = {}
    for fund, rebuilt in (("RSP", equal), ("SPY", cap)):
        fund_closes = window[fund].to_numpy(dtype=float)
        fund_daily = np.diff(fund_closes) / fund_closes[:-1]
        rebuilt_daily = np.diff(rebuilt) / rebuilt[:-1]
        result[fund] = (
            100 * (rebuilt[-1] / rebuilt[0] - 1),
            100 * (fund_closes[-1] / fund_closes[0] - 1),
            float(np.corrcoef(fund_daily, rebuilt_daily)[0, 1]),
        )
    return result


@pytest.mark.parametrize("session", SESSIONS)
def test_members_figures_and_rebuilt_indexes(service: MarketService, session: date) -> None:
    members = members_at(service, session)
    split = members.top_vs_rest["MTD"]
    print(f"\n{session}: {members.with_data} of {members.count} members with data")
    print(
        f"  MTD top {members.top_n}: cap {split.top_cap:+.2f}% equal {split.top_equal:+.2f}%;"
        f" rest: cap {split.rest_cap:+.2f}% equal {split.rest_equal:+.2f}%"
    )
    for sector in members.sectors_by("MTD"):
        print(
            f"  {sector.sector:24s} {sector.returns['MTD'] or 0:+6.2f}% cap"
            f" {sector.equal_returns['MTD'] or 0:+6.2f}% equal"
            f"  above 200d {sector.breadth.pct_above_200d or 0:5.1f}%"
        )
    breadth = members.breadth
    print(
        f"  breadth: {breadth.pct_above_200d:.1f}% above 200d, {breadth.pct_above_50d:.1f}% above"
        f" 50d; {breadth.advancers} up, {breadth.decliners} down;"
        f" 52w highs {breadth.new_highs_52w}, lows {breadth.new_lows_52w}"
    )
    movers = members.movers["MTD"]
    print("  top:", ", ".join(f"{c.ticker} {c.pp:+.2f}pp" for c in movers.top))
    print("  bottom:", ", ".join(f"{c.ticker} {c.pp:+.2f}pp" for c in movers.bottom))
    for fund, (rebuilt, actual, correlation) in tracking(service, session).items():
        print(
            f"  rebuilt vs {fund} since {TRACK_FROM}: {rebuilt:+.2f}% vs {actual:+.2f}%"
            f" (gap {rebuilt - actual:+.2f} pp), daily correlation {correlation:.4f}"
        )
        # The rebuilt indexes track their funds closely (the folder lacks 12 small members,
        # and RSP rebalances quarterly where the rebuilt index does daily).
        assert correlation > 0.97
        assert abs(rebuilt - actual) < 2.5

    assert members.count == members.with_data == 491
    assert members.weights_as_of == date(2025, 11, 18)
    assert breadth.counted_200d >= 480


def test_november_top_50_fell_while_the_rest_rose(service: MarketService) -> None:
    split = members_at(service, date(2025, 11, 28)).top_vs_rest["MTD"]
    assert split.top_cap is not None
    assert split.rest_cap is not None
    assert split.top_cap < 0 < split.rest_cap
    # The published figures were -0.6% and +1.3%.
    assert split.top_cap == pytest.approx(-0.6, abs=0.5)
    assert split.rest_cap == pytest.approx(1.3, abs=0.5)


def test_november_health_care_led_and_technology_lagged(service: MarketService) -> None:
    board = members_at(service, date(2025, 11, 28)).sectors_by("MTD")
    assert board[0].sector == "Health Care"
    assert board[-1].sector == "Information Technology"
    # The published figures were +9.1% and -4.4%.
    assert board[0].returns["MTD"] == pytest.approx(9.1, abs=1.5)
    assert board[-1].returns["MTD"] == pytest.approx(-4.4, abs=1.0)


def test_contributions_add_up_to_the_members_index(service: MarketService) -> None:
    members = members_at(service, date(2025, 12, 11), "1M")
    book = service.member_book()
    assert book.figures(date(2025, 12, 11))[0] is members  # computed once per session
    assert members.index_return["1M"] is not None

"""Index holdings: the SPDR workbook parser (recorded and malformed files), members.csv, demo
members, pytickersymbols, and keeping the last good holdings when a fetch fails."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from briefings.members.demo import demo_holdings
from briefings.members.holdings import (
    BROWSER_HEADERS,
    HoldingsError,
    check_count,
    fetch_spdr_workbook,
    parse_spdr_workbook,
    pytickersymbols_holdings,
    read_members_csv,
    spdr_holdings,
    yahoo_symbol,
)
from briefings.members.holdings_store import HoldingsStore, fetch_holdings, update_holdings
from briefings.members.model import Holdings, Member
from briefings.sources.base import PriceSource
from briefings.sources.csvdir import CsvDirectorySource
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import IndexSpec
from tests.fixtures.holdings.make_spdr_fixture import FIXTURE, HEADER, ROWS

SP500 = IndexSpec("sp500", "S&P 500", 503, {"yfinance": "SPY", "csv": "sp500", "demo": "sim"})


def recorded() -> bytes:
    return FIXTURE.read_bytes()


def workbook_bytes(rows: list[tuple[Any, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_recorded_spdr_file_parses_to_its_members() -> None:
    holdings = parse_spdr_workbook(recorded(), "sp500", "SPY")

    assert holdings.as_of == date(2025, 11, 28)
    assert holdings.origin == "SPDR SPY daily holdings"
    assert len(holdings.members) == len(ROWS) == 20
    assert holdings.members[0] == Member("NVDA", "NVIDIA CORP", "Information Technology", 7.52)
    tickers = holdings.tickers
    assert "BRK-B" in tickers  # Yahoo's share-class symbol
    assert "BF-B" in tickers
    # Cash, futures and the unassigned money-market row are not members.
    assert not {"CASH_USD", "ESZ5", "-"} & set(tickers)
    assert holdings.has_weights


def test_a_file_listing_under_90_percent_of_the_index_is_refused() -> None:
    holdings = parse_spdr_workbook(recorded(), "sp500", "SPY")
    assert check_count(holdings, 22) is holdings  # 20 >= 0.9 * 22
    with pytest.raises(HoldingsError, match="lists 20 members"):
        check_count(holdings, 503)


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([("Holdings:", "As of 28-Nov-2025"), ("Name", "Ticker", "Weight")], "no header row"),
        ([HEADER, ("APPLE INC", "AAPL", "x", "y", 6.8, "Information Technology")], "as of"),
        ([("Holdings:", "As of 28-Nov-2025"), HEADER], "no members"),
        ([("Holdings:", "As of someday"), HEADER], "unreadable holdings date"),
    ],
)
def test_malformed_workbooks_say_what_is_wrong(rows: list[tuple[Any, ...]], problem: str) -> None:
    with pytest.raises(HoldingsError, match=problem):
        parse_spdr_workbook(workbook_bytes(rows), "sp500", "SPY")


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(HoldingsError, match="not a readable workbook"):
        parse_spdr_workbook(b"<html>Access denied</html>", "sp500", "SPY")
    truncated = recorded()[:2000]
    with pytest.raises(HoldingsError, match="not a readable workbook"):
        parse_spdr_workbook(truncated, "sp500", "SPY")


def test_yahoo_symbols_use_a_dash_for_share_classes() -> None:
    assert yahoo_symbol("BRK.B") == "BRK-B"
    assert yahoo_symbol(" bf.b ") == "BF-B"
    assert yahoo_symbol("AAPL") == "AAPL"


class FakeResponse:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content


class FakeSession:
    """Answers like State Street's server: a browser User-Agent gets the file, others a 403."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.requests: list[tuple[str, dict[str, str]]] = []

    def get(self, url: str, headers: dict[str, str], timeout: object) -> FakeResponse:
        self.requests.append((url, headers))
        if "Mozilla" not in headers.get("User-Agent", ""):
            return FakeResponse(403, b"Forbidden")
        return FakeResponse(200, self.content)


def test_the_download_sends_a_browser_user_agent_to_the_fund_url() -> None:
    session = FakeSession(recorded())

    holdings = spdr_holdings("sp500", "SPY", expected=20, session=session)

    url, headers = session.requests[0]
    assert url.endswith("/fund-data/etfs/us/holdings-daily-us-en-spy.xlsx")
    assert headers["User-Agent"] == BROWSER_HEADERS["User-Agent"]
    assert len(holdings.members) == 20


def test_an_error_page_instead_of_a_workbook_is_refused() -> None:
    with pytest.raises(HoldingsError, match="not an xlsx"):
        fetch_spdr_workbook("SPY", session=FakeSession(b"<html>maintenance</html>"))


def test_pytickersymbols_ships_the_membership_without_weights() -> None:
    holdings = pytickersymbols_holdings("sp500")
    assert len(holdings.members) >= 0.9 * 503
    assert holdings.as_of is None
    assert not holdings.has_weights
    assert "BRK-B" in holdings.tickers
    sectors = {m.sector for m in holdings.members}
    assert "Information Technology" in sectors


def test_members_csv_lists_members_weights_and_the_as_of_date(tmp_path: Path) -> None:
    folder = tmp_path / "sp500"
    folder.mkdir()
    (folder / "members.csv").write_text(
        "ticker,name,sector,weight,as_of\n"
        "AAPL,Apple,Information Technology,7.0,2025-11-18\n"
        "BRK.B,Berkshire,Financials,1.6,2025-11-18\n"
        "XOM,Exxon,Energy,,2025-11-18\n"
    )
    holdings = read_members_csv(folder / "members.csv", "sp500")
    assert holdings.tickers == ("AAPL", "BRK-B", "XOM")
    assert holdings.as_of == date(2025, 11, 18)
    assert holdings.members[2].weight is None
    assert not holdings.has_weights


def test_members_csv_without_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text("symbol,weight\nAAPL,7\n")
    with pytest.raises(HoldingsError, match="needs columns"):
        read_members_csv(path, "sp500")


def test_demo_members_are_about_500_skewed_sectored_and_simulated() -> None:
    holdings = demo_holdings("sp500")
    assert holdings is demo_holdings("sp500")  # deterministic and built once
    assert len(holdings.members) == 500
    assert holdings.simulated
    assert "simulated" in holdings.origin
    weights = sorted((m.weight or 0.0 for m in holdings.members), reverse=True)
    assert sum(weights) == pytest.approx(100.0, abs=1e-3)
    assert sum(weights[:10]) > 30  # a few very large members
    assert len({m.sector for m in holdings.members}) == 11


def test_the_csv_source_reads_members_from_its_index_folder(tmp_path: Path) -> None:
    (tmp_path / "sp500").mkdir()
    (tmp_path / "sp500" / "members.csv").write_text(
        "ticker,name,sector,weight,as_of\nAAA,A,Energy,1,2025-01-02\n"
    )
    (tmp_path / "sp500" / "AAA.csv").write_text("Date,Close\n2025-01-02,10\n")
    source = CsvDirectorySource(tmp_path)

    holdings = fetch_holdings(source, SP500)
    result = source.fetch(["AAA"], None, date(2025, 1, 3))

    assert holdings.tickers == ("AAA",)
    assert result.closes["AAA"].tolist() == [10.0]


class FlakySource:
    """A price source whose holdings fetch is scripted by the test."""

    name = "yfinance"
    simulated = False

    def fetch(self, tickers: Any, start: Any, end: Any) -> Any:
        raise NotImplementedError


def good(index: str = "sp500") -> Holdings:
    return Holdings(index, (Member("AAA", "A", "Energy", 1.0),), date(2025, 11, 28), "SPDR SPY")


def test_a_failed_fetch_keeps_the_last_good_holdings_and_says_so(tmp_path: Path) -> None:
    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))
    source: PriceSource = FlakySource()
    found, notes = update_holdings(store, source, [SP500], fetch=lambda s, i: good())
    assert found == (good(),)
    assert notes == ()

    def broken(source: PriceSource, index: IndexSpec) -> Holdings:
        raise HoldingsError("the SPY holdings file answered HTTP 503")

    found, notes = update_holdings(store, source, [SP500], fetch=broken)

    assert found == (good(),)
    assert "HTTP 503" in notes[0]
    assert "kept those of 2025-11-28" in notes[0]
    stored = store.load("yfinance", "sp500")
    assert stored is not None
    assert stored.note == notes[0]


def test_without_any_holdings_yfinance_falls_back_to_pytickersymbols(tmp_path: Path) -> None:
    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))

    def offline(source: PriceSource, index: IndexSpec) -> Holdings:
        raise HoldingsError("cannot download the SPY holdings file: offline")

    found, notes = update_holdings(store, FlakySource(), [SP500], fetch=offline)

    assert found[0].origin == "pytickersymbols"
    assert not found[0].has_weights
    assert "without weights" in notes[0]


def test_the_demo_source_lists_its_members_through_the_dispatcher() -> None:
    holdings = fetch_holdings(DemoSource(), SP500)
    assert holdings.simulated
    assert len(holdings.members) == 500


def test_the_holdings_version_changes_with_any_member_change(tmp_path: Path) -> None:
    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))
    store.save("yfinance", good())
    before = store.version("yfinance")
    reweighted = Holdings("sp500", (Member("AAA", "A", "Energy", 2.0),), good().as_of, "SPDR SPY")

    store.save("yfinance", reweighted)

    assert store.version("yfinance") != before
    stored = store.load("yfinance", "sp500")
    assert stored is not None
    assert stored.holdings == reweighted


def test_a_holdings_table_of_another_layout_is_started_anew(tmp_path: Path) -> None:
    path = tmp_path / "prices.sqlite3"
    PriceStore(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE holdings (source TEXT, index_key TEXT, members TEXT)")
        connection.execute("INSERT INTO holdings VALUES ('yfinance', 'sp500', '[]')")

    store = HoldingsStore(PriceStore(path))
    store.save("yfinance", good())

    stored = store.load("yfinance", "sp500")
    assert stored is not None
    assert stored.holdings == good()


def test_an_index_with_no_holdings_for_the_source_is_left_out_and_said(tmp_path: Path) -> None:
    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))
    only_yahoo = IndexSpec("sp600", "S&P 600", 603, {"yfinance": "SPSM"})
    (tmp_path / "csv").mkdir()

    found, notes = update_holdings(store, CsvDirectorySource(tmp_path / "csv"), [only_yahoo])

    assert found == ()
    assert notes == ("S&P 600 members left out: the S&P 600 names no holdings for the csv source",)


def test_a_csv_folder_without_members_csv_is_left_out_and_said(tmp_path: Path) -> None:
    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))
    (tmp_path / "csv").mkdir()

    found, notes = update_holdings(store, CsvDirectorySource(tmp_path / "csv"), [SP500])

    assert found == ()
    assert "cannot read members.csv" in notes[0]


def test_a_read_only_store_still_serves_its_holdings(
    tmp_path: Path, mount_point: Callable[..., Path]
) -> None:
    writable = tmp_path / "writable"
    writable.mkdir()
    prices = PriceStore(writable / "prices.sqlite3")
    HoldingsStore(prices).save("yfinance", good())
    prices.close()
    read_only = mount_point("--bind", "-o", "ro", str(writable))

    prices = PriceStore(read_only / "prices.sqlite3")
    store = HoldingsStore(prices)

    assert prices.read_only
    stored = store.load("yfinance", "sp500")
    assert stored is not None
    assert stored.holdings == good()
    found, notes = update_holdings(store, FlakySource(), [SP500], fetch=lambda s, i: good())
    assert found == (good(),)
    assert "holdings not saved" in notes[0]
    assert "read-only" in notes[0]
    prices.close()


def test_members_csv_rows_with_unusable_weights_are_left_out_and_said(tmp_path: Path) -> None:
    folder = tmp_path / "csv" / "sp500"
    folder.mkdir(parents=True)
    (folder / "members.csv").write_text(
        "ticker,name,sector,weight,as_of\n"
        "AAPL,Apple,Information Technology,7.0,2025-11-18\n"
        "MSFT,Microsoft,Information Technology,-6.5,2025-11-18\n"
        "XOM,Exxon,Energy,nan,2025-11-18\n"
        "JPM,JPMorgan,Financials,1.5,2025-11-18\n"
        "KO,Coca-Cola,Consumer Staples,n/a,2025-11-18\n"
    )
    holdings = read_members_csv(folder / "members.csv", "sp500")
    assert holdings.tickers == ("AAPL", "JPM")
    assert holdings.has_weights
    assert holdings.dropped == 3

    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))
    found, notes = update_holdings(store, CsvDirectorySource(tmp_path / "csv"), [SP500])
    assert [h.tickers for h in found] == [("AAPL", "JPM")]
    said = (
        "sp500/members.csv: left out 3 rows with a weight of zero or below or not a number; "
        "kept the other 2 members"
    )
    assert notes == (said,)
    stored = store.load(CsvDirectorySource(tmp_path / "csv").name, "sp500")
    assert stored is not None
    assert stored.note == said


def test_an_empty_members_csv_is_said(tmp_path: Path) -> None:
    folder = tmp_path / "csv" / "sp500"
    folder.mkdir(parents=True)
    (folder / "members.csv").write_text("")
    store = HoldingsStore(PriceStore(tmp_path / "prices.sqlite3"))
    found, notes = update_holdings(store, CsvDirectorySource(tmp_path / "csv"), [SP500])
    assert found == ()
    assert notes == (
        "S&P 500 members left out: sp500/members.csv is empty; it needs a header "
        "ticker,name,sector,weight,as_of",
    )

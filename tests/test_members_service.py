"""Index members end to end through the market service: csv:DIR layout, store, refresh, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.members.book import MemberBook, first_date_needed
from briefings.members.holdings_store import fetch_holdings, stored_holdings
from briefings.members.model import Holdings
from briefings.render.views import render_briefing
from briefings.service import MarketService
from briefings.sources.base import FetchResult, PriceSource
from briefings.sources.csvdir import CsvDirectorySource
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import IndexSpec, Universe, default_universe_path, load_universe

SESSIONS = pd.bdate_range("2025-01-02", "2025-06-30", name="date")
CLOCK = datetime(2025, 6, 30, 22, 0, tzinfo=UTC)


def write_close(
    path: Path, closes: Sequence[float] | np.ndarray, dates: pd.DatetimeIndex = SESSIONS
) -> None:
    frame = pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": closes})
    frame.to_csv(path, index=False)


def tiny_universe(index: str = "tiny") -> Universe:
    """A one-ETF universe plus an index of csv members in ``DIR/<index>/``."""
    base = load_universe()
    spec = IndexSpec(index, "Tiny 4", 4, {"csv": index}, top_n=1)
    group = replace(base.groups[0], key="benchmarks", members=("SPY",))
    return replace(
        base,
        groups=(group,),
        names={"SPY": "SPY"},
        pairs=(),
        breadth_baskets=(),
        indexes=(spec,),
        benchmark="SPY",
        low_benchmark="SPY",
    )


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    """DIR/SPY.csv, and DIR/tiny/ with members.csv and three of its four members' closes."""
    directory = tmp_path / "prices"
    folder = directory / "tiny"
    folder.mkdir(parents=True)
    n = len(SESSIONS)
    write_close(directory / "SPY.csv", np.linspace(500, 550, n))
    write_close(folder / "BIG.csv", np.linspace(100, 120, n))
    write_close(folder / "MID.csv", np.linspace(50, 45, n))
    write_close(folder / "BRK-B.csv", np.linspace(400, 440, n))
    (folder / "members.csv").write_text(
        "ticker,name,sector,weight,as_of\n"
        "BIG,Big Co,Tech,60,2025-03-03\n"
        "MID,Mid Co,Tech,25,2025-03-03\n"
        "BRK.B,Berkshire,Financials,10,2025-03-03\n"
        "GONE,No Data Co,Energy,5,2025-03-03\n"
    )
    return directory


class CountingSource:
    """A csv source that counts the price requests a refresh makes."""

    def __init__(self, directory: Path) -> None:
        self.inner = CsvDirectorySource(directory)
        self.requests: list[tuple[str, ...]] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def simulated(self) -> bool:
        return False

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        self.requests.append(tuple(tickers))
        return self.inner.fetch(tickers, start, end)


def service_for(directory: Path, tmp_path: Path) -> tuple[MarketService, CountingSource, list[str]]:
    source = CountingSource(directory)
    fetched: list[str] = []

    def counting_fetch(source: PriceSource, index: IndexSpec) -> Holdings:
        fetched.append(index.key)
        return fetch_holdings(source, index)

    service = MarketService(
        source,
        PriceStore(tmp_path / "store.sqlite3"),
        tiny_universe(),
        clock=lambda: CLOCK,
        holdings_fetcher=counting_fetch,
    )
    return service, source, fetched


def test_members_are_refreshed_into_the_store_and_measured(csv_dir: Path, tmp_path: Path) -> None:
    service, source, fetched = service_for(csv_dir, tmp_path)

    report = service.refresh()
    members = service.snapshot().briefing.members[0]

    assert fetched == ["tiny"]
    assert {"BIG", "MID", "BRK-B", "GONE"} <= {t for r in source.requests for t in r}
    assert "GONE" in report.failed
    assert (members.count, members.with_data) == (4, 3)
    assert members.missing == ("GONE",)
    assert members.weights_as_of == date(2025, 3, 3)
    # MTD in June: BIG alone is the top 1, MID and BRK-B the rest.
    split = members.top_vs_rest["MTD"]
    assert split.top_cap is not None
    assert split.top_cap > 0
    financials = members.sector("financials")
    assert financials is not None
    assert financials.members == 1


def test_a_refresh_with_nothing_new_requests_nothing(csv_dir: Path, tmp_path: Path) -> None:
    service, source, fetched = service_for(csv_dir, tmp_path)
    service.refresh()
    requests, holdings_fetches = len(source.requests), len(fetched)

    again = service.refresh()

    assert again.up_to_date
    assert len(source.requests) == requests
    assert len(fetched) == holdings_fetches


def test_members_that_join_are_fetched_and_members_that_leave_are_dropped(
    csv_dir: Path, tmp_path: Path
) -> None:
    service, source, _ = service_for(csv_dir, tmp_path)
    service.refresh()
    folder = csv_dir / "tiny"
    write_close(folder / "NEW.csv", np.linspace(10, 12, len(SESSIONS)))
    (folder / "members.csv").write_text(
        "ticker,name,sector,weight,as_of\n"
        "BIG,Big Co,Tech,60,2025-03-03\n"
        "BRK.B,Berkshire,Financials,10,2025-03-03\n"
        "NEW,New Co,Energy,5,2025-03-03\n"
    )
    # A session later the store is behind, so the refresh reads the holdings again.
    service2 = MarketService(
        source,
        service.store,
        service.universe,
        clock=lambda: datetime(2025, 7, 2, 22, tzinfo=UTC),
    )
    write_close(csv_dir / "SPY.csv", np.linspace(500, 551, len(SESSIONS) + 1),
                pd.bdate_range("2025-01-02", periods=len(SESSIONS) + 1, name="date"))  # fmt: skip
    service2.refresh()
    members = service2.snapshot(as_of=date(2025, 6, 30)).briefing.members[0]

    assert (members.count, members.with_data) == (3, 3)
    assert "MID" not in {
        m.ticker for m in members.movers["1D"].gainers + members.movers["1D"].losers
    }
    assert "NEW" in service2.store.last_dates(source.name)


def test_the_json_members_block_has_every_documented_key(csv_dir: Path, tmp_path: Path) -> None:
    service, _, _ = service_for(csv_dir, tmp_path)
    service.refresh()
    payload = json.loads(render_briefing(service.snapshot(period="1M").briefing, "json"))

    (block,) = payload["members"]
    assert {"index", "name", "weights_as_of", "count", "with_data", "top_vs_rest", "sectors",
            "breadth", "contributors"} <= set(block)  # fmt: skip
    assert block["index"] == "tiny"
    assert (block["count"], block["with_data"]) == (4, 3)
    assert block["top_vs_rest"]["n"] == 1
    assert set(block["top_vs_rest"]["windows"]["MTD"]) == {
        "top_cap", "rest_cap", "top_equal", "rest_equal"
    }  # fmt: skip
    sector = block["sectors"][0]
    assert set(sector) >= {"sector", "members", "return", "equal_return", "above_50d",
                           "above_200d", "pct_above_50d", "pct_above_200d"}  # fmt: skip
    returns = [s["return"] for s in block["sectors"] if s["return"] is not None]
    assert returns == sorted(returns, reverse=True)  # best to worst for --period
    assert set(block["breadth"]) >= {"members", "above_50d", "above_200d", "pct_above_50d",
                                     "pct_above_200d", "advancers", "decliners",
                                     "new_highs_52w", "new_lows_52w"}  # fmt: skip
    assert set(block["contributors"]) == {"top", "bottom"}
    assert set(block["contributors"]["top"][0]) >= {"ticker", "name", "pp"}


def test_the_text_briefing_says_how_many_members_have_data(csv_dir: Path, tmp_path: Path) -> None:
    service, _, _ = service_for(csv_dir, tmp_path)
    service.refresh()
    briefing = service.snapshot().briefing

    html = render_briefing(briefing, "html")
    text = render_briefing(briefing, "text")

    assert "3 of 4 members with data" in html
    assert "Tiny 4 members" in text
    block = html[html.index("Tiny 4 members") :]
    for line in block.splitlines()[:16]:
        visible = line.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", "")
        assert len(visible) <= 44, line


def test_the_sp600_turned_on_gets_its_own_simulated_members(tmp_path: Path) -> None:
    text = default_universe_path().read_text().replace("enabled = false", "enabled = true")
    path = tmp_path / "universe.toml"
    path.write_text(text)
    service = MarketService(
        DemoSource(),
        PriceStore(tmp_path / "store.sqlite3"),
        load_universe(path),
        clock=lambda: datetime(2025, 11, 21, 22, 0, tzinfo=UTC),
    )
    service.refresh()

    sp500, sp600 = service.snapshot().briefing.members
    assert (sp500.name, sp600.name) == ("S&P 500", "S&P 600")
    assert sp600.simulated
    assert sp600.with_data == sp600.count == 500
    assert sp500.missing == ()
    gainers = {m.ticker for m in sp600.movers["1D"].gainers}
    assert gainers
    assert all(ticker.startswith("SP600-") for ticker in gainers)


def test_members_without_weights_are_equal_weighted_and_say_so(
    csv_dir: Path, tmp_path: Path
) -> None:
    (csv_dir / "tiny" / "members.csv").write_text(
        "ticker,name,sector,weight,as_of\nBIG,Big Co,Tech,,\nMID,Mid Co,Tech,,\n"
        "BRK.B,Berkshire,Financials,,\n"
    )
    service, _, _ = service_for(csv_dir, tmp_path)
    service.refresh()
    briefing = service.snapshot().briefing

    (block,) = json.loads(render_briefing(briefing, "json"))["members"]
    html = render_briefing(briefing, "html")

    assert block["cap_weighted"] is False
    assert block["weights_as_of"] is None
    assert block["top_vs_rest"]["windows"]["MTD"]["top_cap"] is None
    assert block["contributors"] == {"top": [], "bottom": []}
    assert block["sectors"][0]["equal_return"] is not None
    assert "No index weights: equal-weighted only." in html
    assert "Contributors" not in html


def test_a_store_made_before_its_index_was_configured_gets_the_members(
    csv_dir: Path, tmp_path: Path
) -> None:
    # The store is current for the universe's own tickers, but holds no index holdings: it was
    # made before the index existed (an upgrade). Its next freshness check asks for a refresh,
    # which fetches the holdings and every member's closes, once.
    store = PriceStore(tmp_path / "store.sqlite3")
    without_index = replace(tiny_universe(), indexes=())
    MarketService(CountingSource(csv_dir), store, without_index, clock=lambda: CLOCK).refresh()
    service, source, fetched = service_for(csv_dir, tmp_path)

    freshness = service.freshness()
    assert freshness.holdings_missing == ("tiny",)
    assert not freshness.is_current
    service.refresh()

    assert fetched == ["tiny"]
    assert {"BIG", "MID", "BRK-B"} <= {t for r in source.requests for t in r}
    assert service.snapshot().briefing.members[0].with_data == 3
    assert service.freshness().is_current


def test_a_source_that_cannot_list_the_index_is_asked_once_per_process(tmp_path: Path) -> None:
    directory = tmp_path / "prices"
    directory.mkdir()
    write_close(directory / "SPY.csv", np.linspace(500, 550, len(SESSIONS)))
    service, _, fetched = service_for(directory, tmp_path)

    service.refresh()

    assert service.freshness().is_current  # no tiny/ folder: not asked again on every check
    assert fetched == ["tiny"]


@pytest.mark.parametrize("window", ["MTD", "1D", "1M"])
def test_the_top_50_gap_and_its_history_are_one_computation(
    golden_service: MarketService, window: str
) -> None:
    # The story ranks the session's gap among its history: the same number, bit for bit.
    snapshot = golden_service.snapshot()
    members = snapshot.briefing.members[0]
    split = members.top_vs_rest[window]
    assert split.top_cap is not None
    assert split.rest_cap is not None
    history = golden_service.member_book().top_vs_rest_history(
        members.index, window, date(2023, 1, 1)
    )
    assert history[pd.Timestamp(snapshot.briefing.as_of)] == split.top_cap - split.rest_cap
    assert history.notna().sum() > 200


def test_a_session_before_the_book_is_served_by_a_longer_book_with_the_same_figures(
    tmp_path: Path,
) -> None:
    # The book reads two whole years before 2023 (or before an earlier session): a replay of
    # 2019 reads further back, and its figures equal those of a book of every stored close.
    service = MarketService(
        DemoSource(),
        PriceStore(tmp_path / "store.sqlite3"),
        load_universe(),
        clock=lambda: datetime(2025, 11, 21, 22, 0, tzinfo=UTC),
    )
    service.refresh()
    latest = service.member_book()
    assert latest.start == first_date_needed() == date(2021, 1, 1)
    assert not latest.serves(date(2019, 6, 28))
    with pytest.raises(ValueError, match="after what 2019-06-28 needs"):
        latest.figures(date(2019, 6, 28))

    replayed = service.snapshot(as_of=date(2019, 6, 28)).briefing.members
    longer = service.member_book()
    assert longer.start == date(2017, 1, 1)
    whole = MemberBook.load(
        service.store,
        service.source_name,
        service.universe.member_indexes,
        stored_holdings(service.holdings, service.source_name, service.universe.member_indexes),
    )
    assert replayed == whole.figures(date(2019, 6, 28))
    assert longer.figures(date(2025, 11, 21)) == latest.figures(date(2025, 11, 21))

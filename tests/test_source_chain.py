"""Source chains (yfinance,tiingo) on recorded Yahoo answers and hand-built Tiingo answers.

Yahoo is yfinance for real behind tests/test_source_yahoo.py's recorded transport; Tiingo is
tests/tiingo_fake.py. Both play October 2025 for SPY, QQQ and AAPL.
"""

from __future__ import annotations

import copy
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from briefings.quarantine import QuarantineStore
from briefings.refresh import RefreshReport, refresh, served_marks_key
from briefings.render.views import render_briefing, render_summary
from briefings.sanity import SOURCES_DISAGREE
from briefings.service import MarketService
from briefings.sources import SourceSpecError, open_source
from briefings.sources.base import SourceError
from briefings.sources.chain import RETURN_TOLERANCE, ChainSource
from briefings.sources.demo import DemoSource
from briefings.sources.tiingo import TiingoSource
from briefings.sources.yahoo import YFinanceSource
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.test_source_yahoo import OCTOBER, FakeYahoo, fixture_closes, yahoo_source
from tests.tiingo_fake import FakeTiingo, tiingo_rows, tiingo_source

TICKERS = ("SPY", "QQQ", "AAPL")
FIRST_WEEKS = date(2025, 10, 24)
MONTH_END = date(2025, 10, 31)
START = date(2025, 10, 1)
#: Tiingo's adjusted closes sit at another level than Yahoo's (another adjustment base).
TIINGO_LEVEL = 0.97


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture
def yahoo() -> FakeYahoo:
    return FakeYahoo()


@pytest.fixture
def tiingo() -> FakeTiingo:
    return FakeTiingo({t: tiingo_rows(fixture_closes(t) * TIINGO_LEVEL) for t in TICKERS})


@pytest.fixture
def chain(yahoo: FakeYahoo, tiingo: FakeTiingo, cache_dir: Path, tmp_path: Path) -> ChainSource:
    return ChainSource(
        [yahoo_source(yahoo, lambda _: None, cache_dir), tiingo_source(tiingo, tmp_path / "p.json")]
    )


@pytest.fixture
def store(tmp_path: Path) -> PriceStore:
    return PriceStore(tmp_path / "prices.sqlite3")


def run(store: PriceStore, chain: ChainSource, through: date) -> RefreshReport:
    return refresh(store, chain, TICKERS, through=through, history_start=START)


def provisional_last_bar(chart: dict[str, Any]) -> dict[str, Any]:
    """Return the chart with its last bar as Yahoo sends a bar in progress: volume only."""
    cut = copy.deepcopy(chart)
    result = cut["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    for price in ("open", "high", "low", "close"):
        quote[price][-1] = None
    quote["volume"][-1] = 1234567
    result["indicators"]["adjclose"][0]["adjclose"][-1] = None
    return cut


def test_open_source_parses_a_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIINGO_API_KEY", "key")
    chain = open_source("yfinance, tiingo")
    assert isinstance(chain, ChainSource)
    assert chain.names == ("yfinance", "tiingo")
    assert isinstance(chain.sources[0], YFinanceSource)
    assert isinstance(chain.sources[1], TiingoSource)
    assert chain.name == "yfinance"  # the chain extends yfinance's store
    for bad in ("yfinance,", "tiingo,tiingo", "demo,tiingo", "yfinance,nope"):
        with pytest.raises(SourceSpecError):
            open_source(bad)


def test_all_from_the_first_source_when_it_serves_everything(
    chain: ChainSource, tiingo: FakeTiingo
) -> None:
    result = chain.fetch(TICKERS, *OCTOBER)
    assert result.failed == {}
    assert result.served_by == dict.fromkeys(TICKERS, "yfinance")
    assert tiingo.requests == []


def test_yahoo_failing_entirely_is_served_by_tiingo(
    chain: ChainSource, yahoo: FakeYahoo, tiingo: FakeTiingo
) -> None:
    yahoo.offline = True
    result = chain.fetch(TICKERS, *OCTOBER)
    assert result.failed == {}
    assert result.served_by == dict.fromkeys(TICKERS, "tiingo")
    np.testing.assert_allclose(result.closes["QQQ"], fixture_closes("QQQ") * TIINGO_LEVEL)


def test_every_source_failing_raises_with_each_reason(
    chain: ChainSource, yahoo: FakeYahoo, tiingo: FakeTiingo
) -> None:
    yahoo.offline = True
    tiingo.rows.clear()
    result = chain.fetch(TICKERS, *OCTOBER)  # Tiingo answers: each ticker is named
    assert set(result.failed) == set(TICKERS)
    assert "tiingo: Tiingo does not know this ticker" in result.failed["SPY"]
    assert result.failed["SPY"].startswith("yfinance: ")
    for source in chain.sources:
        if isinstance(source, TiingoSource):
            source._key = ""  # and now Tiingo cannot be asked at all
    with pytest.raises(SourceError, match="every source failed"):
        chain.fetch(TICKERS, *OCTOBER)


def test_yahoo_failing_for_some_tickers_asks_tiingo_for_those_only(
    store: PriceStore, chain: ChainSource, yahoo: FakeYahoo, tiingo: FakeTiingo
) -> None:
    first = run(store, chain, FIRST_WEEKS)
    assert first.served_by == dict.fromkeys(TICKERS, "yfinance")
    del yahoo.charts["QQQ"]  # Yahoo answers 404 for QQQ from now on
    second = run(store, chain, MONTH_END)
    assert second.error is None
    assert second.failed == {}
    assert second.served_by["QQQ"] == "tiingo"
    assert [t for t, _ in tiingo.requests] == ["QQQ"]
    assert second.quarantined == ()
    assert second.restated == ()
    # The returns agree, so Tiingo's closes join Yahoo's at Yahoo's level, without a jump.
    stored = store.load("yfinance", ["QQQ"])["QQQ"].dropna()
    np.testing.assert_allclose(stored, fixture_closes("QQQ"), rtol=1e-9)
    # Provenance is kept for /healthz and the briefing, and the refresh says it.
    assert store.source_marks(served_marks_key("yfinance"))["QQQ"] == "tiingo"
    last = store.last_refresh("yfinance")
    assert last is not None
    assert "served by tiingo: QQQ" in last.message


def test_returns_within_the_tolerance_join_without_refetching_the_history(
    store: PriceStore, chain: ChainSource, yahoo: FakeYahoo, tiingo: FakeTiingo
) -> None:
    run(store, chain, FIRST_WEEKS)
    del yahoo.charts["QQQ"]
    near = fixture_closes("QQQ") * TIINGO_LEVEL
    near.loc["2025-10-22"] *= 1.0005  # closes rounded differently: returns 0.05 pp apart
    tiingo.rows["QQQ"] = tiingo_rows(near)
    report = run(store, chain, MONTH_END)
    assert report.quarantined == ()
    assert report.restated == ()
    assert len(tiingo.requests) == 1  # the overlap only, not the whole history again
    stored = store.load("yfinance", ["QQQ"])["QQQ"].dropna()
    np.testing.assert_allclose(stored.loc["2025-10-27":], fixture_closes("QQQ").loc["2025-10-27":])


def test_sources_whose_returns_disagree_go_to_quarantine_not_the_store(
    store: PriceStore, chain: ChainSource, yahoo: FakeYahoo, tiingo: FakeTiingo
) -> None:
    run(store, chain, FIRST_WEEKS)
    del yahoo.charts["QQQ"]
    bent = fixture_closes("QQQ") * TIINGO_LEVEL
    bent.loc["2025-10-22"] *= 1.01  # one overlap day 1% off: two returns ~1% apart
    tiingo.rows["QQQ"] = tiingo_rows(bent)
    report = run(store, chain, MONTH_END)
    assert report.error is None
    held = [c for c in report.quarantined if c.ticker == "QQQ"]
    assert [c.day for c in held] == [
        date(2025, 10, d) for d in (27, 28, 29, 30, 31)
    ]  # every new close of QQQ, none stored
    assert {c.reason for c in held} == {SOURCES_DISAGREE}
    assert held[0].move == pytest.approx(0.01, rel=0.05)  # the largest gap of the two
    assert held[0].bound == RETURN_TOLERANCE
    # Held at the stored level, so an operator's release continues the history without a jump.
    assert held[0].close == pytest.approx(fixture_closes("QQQ").loc["2025-10-27"], rel=1e-9)
    assert store.last_dates("yfinance")["QQQ"] == FIRST_WEEKS
    assert store.last_dates("yfinance")["SPY"] == MONTH_END
    assert QuarantineStore(store).count("yfinance") == 5


def test_a_provisional_last_bar_is_never_stored_and_is_asked_again(
    store: PriceStore, chain: ChainSource, yahoo: FakeYahoo, tiingo: FakeTiingo
) -> None:
    recorded = yahoo.charts["SPY"]
    yahoo.charts["SPY"] = provisional_last_bar(recorded)
    first = run(store, chain, MONTH_END)
    assert first.error is None
    # SPY's other closes came from Yahoo; its last bar had no close, so it is not stored.
    assert first.served_by["SPY"] == "yfinance"
    assert store.last_dates("yfinance")["SPY"] == date(2025, 10, 30)
    assert store.last_dates("yfinance")["QQQ"] == MONTH_END
    yahoo.charts["SPY"] = recorded  # the bar is complete now
    second = run(store, chain, MONTH_END)
    assert second.error is None
    assert store.last_dates("yfinance")["SPY"] == MONTH_END
    stored = store.load("yfinance", ["SPY"])["SPY"].dropna()
    np.testing.assert_allclose(stored, fixture_closes("SPY"), rtol=1e-12)


def test_an_invalid_ticker_is_named_by_every_source(store: PriceStore, chain: ChainSource) -> None:
    report = refresh(store, chain, ("SPY", "NOPE"), through=MONTH_END, history_start=START)
    assert report.error is None
    assert set(report.failed) == {"NOPE"}
    assert "yfinance: no data from Yahoo Finance" in report.failed["NOPE"]
    assert "tiingo: Tiingo does not know this ticker" in report.failed["NOPE"]


def test_the_briefing_and_health_say_which_source_served_what(
    demo_store: Path, tmp_path: Path
) -> None:
    path = tmp_path / "prices.sqlite3"
    shutil.copyfile(demo_store, path)
    store = PriceStore(path)
    service = MarketService(DemoSource(), store, load_universe())
    plain = service.snapshot().briefing
    assert plain.served_by == {}
    assert "Tiingo" not in render_summary(plain, "html")
    store.save_marks(served_marks_key("demo"), {"QQQ": "tiingo", "SPY": "demo", "IWM": "tiingo"})
    service = MarketService(DemoSource(), store, load_universe())
    briefing = service.snapshot().briefing
    assert briefing.served_by == {"tiingo": ("QQQ", "IWM")}
    assert service.freshness().served_by == {"tiingo": 2, "demo": 1}
    credit = "QQQ, IWM: prices from Tiingo. Data from Tiingo (tiingo.com)."
    assert f"</i>\n<i>{credit}</i>\n" in render_summary(briefing, "html")
    assert f"</i>\n<i>{credit}</i>\n" in render_briefing(briefing, "html")
    assert f".\n{credit}\n" in render_briefing(briefing, "text")
    zh = render_summary(briefing, "html", "zh")
    assert "</i>\n<i>QQQ，IWM：价格来自Tiingo。数据来自 Tiingo（tiingo.com）。</i>" in zh

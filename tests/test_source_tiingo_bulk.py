"""Tiingo's bulk latest prices: a daily refresh one session behind asks one request for all.

Through public interfaces (``refresh``, ``TiingoSource.latest``, the CLI) against the fake
``api.tiingo.com`` of tests/tiingo_fake.py, which answers ``/tiingo/daily/prices`` in its format.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from bot.cli import main
from briefings.calendar import previous_session, settled_session
from briefings.refresh import OVERLAP_DAYS, refresh
from briefings.sources import tiingo as tiingo_module
from briefings.sources.base import LatestCloses, LatestResult
from briefings.sources.tiingo import Budget
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.test_source_yahoo import fixture_closes
from tests.tiingo_fake import BULK, FakeTiingo, tiingo_rows, tiingo_source

TICKERS = ("SPY", "QQQ", "AAPL", "BRK.B")
HISTORY_START = date(2025, 10, 1)
THURSDAY = date(2025, 10, 30)
FRIDAY = date(2025, 10, 31)


def adjusted_closes() -> dict[str, pd.Series]:
    """Return October 2025's adjusted closes per ticker (BRK.B: half of SPY's, for its symbol)."""
    closes = {t: fixture_closes(t) for t in ("SPY", "QQQ", "AAPL")}
    closes["BRK.B"] = (fixture_closes("SPY") / 2.0).rename("BRK.B")
    return closes


def fake_through(day: date, closes: dict[str, pd.Series] | None = None) -> FakeTiingo:
    """Return Tiingo with each ticker's rows up to ``day`` (raw closes 2% above the adjusted)."""
    series = closes or adjusted_closes()
    return FakeTiingo(
        {
            ticker.replace(".", "-"): tiingo_rows(history.loc[: day.isoformat()], raw_factor=1.02)
            for ticker, history in series.items()
        }
    )


def stored_through_thursday(tmp_path: Path, fake: FakeTiingo) -> PriceStore:
    """Return a store backfilled through Thursday, one session behind Friday."""
    store = PriceStore(tmp_path / "prices.sqlite3")
    source = tiingo_source(fake, tmp_path / "pacing.json")
    first = refresh(store, source, TICKERS, through=THURSDAY, history_start=HISTORY_START)
    assert (first.error, first.failed) == (None, {})
    assert store.last_dates("tiingo") == dict.fromkeys(TICKERS, THURSDAY)
    fake.requests.clear()
    return store


def friday_refresh(tmp_path: Path, fake: FakeTiingo, store: PriceStore) -> Any:
    source = tiingo_source(fake, tmp_path / "pacing.json")
    return refresh(store, source, TICKERS, through=FRIDAY, history_start=HISTORY_START)


def test_tiingo_is_a_latest_closes_source(tmp_path: Path) -> None:
    source = tiingo_source(FakeTiingo({}), tmp_path / "pacing.json")
    assert isinstance(source, LatestCloses)


def test_a_daily_refresh_one_session_behind_costs_one_request(tmp_path: Path) -> None:
    fake = fake_through(FRIDAY)
    store = stored_through_thursday(tmp_path, fake)
    report = friday_refresh(tmp_path, fake, store)
    assert (report.error, report.failed, report.restated) == (None, {}, ())
    assert [asked for asked, _ in fake.requests] == [BULK]
    assert fake.requests[0][1]["tickers"] == "spy,qqq,aapl,brk-b"
    assert report.requests == 1
    assert report.closes_written == 4
    assert store.last_dates("tiingo") == dict.fromkeys(TICKERS, FRIDAY)
    stored = store.load("tiingo", list(TICKERS))
    for ticker, history in adjusted_closes().items():
        # adjClose, not the raw close (2% above it); the earlier closes untouched.
        np.testing.assert_allclose(stored[ticker].dropna(), history, rtol=1e-12)


def test_a_split_in_the_bulk_file_fetches_that_tickers_whole_history_again(
    tmp_path: Path,
) -> None:
    fake = fake_through(FRIDAY)
    store = stored_through_thursday(tmp_path, fake)
    # A 2-for-1 split on Friday: Tiingo halves every earlier adjClose of SPY.
    split = adjusted_closes()["SPY"] / 2.0
    rows = tiingo_rows(split, raw_factor=2.0, splits={FRIDAY: 2.0})
    rows[-1]["close"] = rows[-1]["adjClose"]
    fake.rows["SPY"] = rows
    report = friday_refresh(tmp_path, fake, store)
    assert (report.error, report.failed, report.quarantined) == (None, {}, ())
    assert report.restated == ("SPY",)
    assert [(asked, query.get("startDate")) for asked, query in fake.requests] == [
        (BULK, None),
        ("SPY", HISTORY_START.isoformat()),
    ]
    stored = store.load("tiingo", list(TICKERS))
    np.testing.assert_allclose(stored["SPY"].dropna(), split, rtol=1e-12)
    pd.testing.assert_index_equal(
        pd.DatetimeIndex(stored["SPY"].dropna().index), pd.DatetimeIndex(split.index)
    )
    for ticker in ("QQQ", "AAPL", "BRK.B"):
        assert stored.loc[pd.Timestamp(FRIDAY), ticker] == adjusted_closes()[ticker].iloc[-1]


def test_a_dividend_in_the_bulk_file_fetches_that_tickers_whole_history_again(
    tmp_path: Path,
) -> None:
    fake = fake_through(FRIDAY)
    store = stored_through_thursday(tmp_path, fake)
    # A dividend going ex on Friday: every earlier adjClose of QQQ scales by (1 - d / close).
    qqq = adjusted_closes()["QQQ"]
    dividend = 3.0
    factor = 1.0 - dividend / float(qqq.loc[THURSDAY.isoformat()])
    restated = qqq.where(qqq.index >= pd.Timestamp(FRIDAY), qqq * factor)
    rows = tiingo_rows(restated, raw_factor=1.02)
    rows[-1]["divCash"] = dividend
    fake.rows["QQQ"] = rows
    report = friday_refresh(tmp_path, fake, store)
    assert (report.error, report.failed, report.quarantined) == (None, {}, ())
    assert report.restated == ("QQQ",)
    assert [asked for asked, _ in fake.requests] == [BULK, "QQQ"]
    stored = store.load("tiingo", list(TICKERS))
    np.testing.assert_allclose(stored["QQQ"].dropna(), restated, rtol=1e-12)
    assert stored.loc[pd.Timestamp(THURSDAY), "QQQ"] != qqq.loc[THURSDAY.isoformat()]
    assert stored.loc[pd.Timestamp(FRIDAY), "SPY"] == adjusted_closes()["SPY"].iloc[-1]


def test_a_ticker_the_bulk_file_has_not_updated_is_asked_on_its_own(tmp_path: Path) -> None:
    fake = fake_through(FRIDAY)
    store = stored_through_thursday(tmp_path, fake)
    fake.bulk_behind = {"AAPL"}  # its latest bar in the bulk file is still Thursday's
    report = friday_refresh(tmp_path, fake, store)
    assert (report.error, report.failed) == (None, {})
    assert report.requests == 2
    overlap_from = (THURSDAY - pd.Timedelta(days=OVERLAP_DAYS)).isoformat()
    assert [(asked, query.get("startDate")) for asked, query in fake.requests] == [
        (BULK, None),
        ("AAPL", overlap_from),
    ]
    assert store.last_dates("tiingo") == dict.fromkeys(TICKERS, FRIDAY)
    stored = store.load("tiingo", ["AAPL"])
    assert stored.loc[pd.Timestamp(FRIDAY), "AAPL"] == adjusted_closes()["AAPL"].iloc[-1]


def test_a_bulk_answer_without_prices_sends_its_tickers_one_by_one(tmp_path: Path) -> None:
    class NoBulkPrices(FakeTiingo):
        def bulk(self, request: requests.PreparedRequest, query: dict[str, str]) -> Any:
            self.requests.append((BULK, query))
            return self.answer(request, 200, {"detail": "Error: no prices for this request"})

    fake = NoBulkPrices(fake_through(FRIDAY).rows)
    store = stored_through_thursday(tmp_path, fake)
    report = friday_refresh(tmp_path, fake, store)
    assert (report.error, report.failed) == (None, {})
    assert [asked for asked, _ in fake.requests] == [BULK, "SPY", "QQQ", "AAPL", "BRK-B"]
    assert store.last_dates("tiingo") == dict.fromkeys(TICKERS, FRIDAY)


def test_tickers_further_behind_or_new_go_their_own_way(tmp_path: Path) -> None:
    fake = fake_through(FRIDAY)
    store = stored_through_thursday(tmp_path, fake)
    source = tiingo_source(fake, tmp_path / "pacing.json")
    wednesday = previous_session(THURSDAY)
    stale = refresh(store, source, ["SPY"], through=wednesday, history_start=HISTORY_START)
    assert stale.closes_written == 0  # already there
    store.write("tiingo", store.load("tiingo", ["SPY"]).loc[:"2025-10-29"], replace=["SPY"])
    assert store.last_dates("tiingo")["SPY"] == wednesday
    fake.requests.clear()
    report = refresh(store, source, [*TICKERS, "NEW"], through=FRIDAY, history_start=HISTORY_START)
    assert report.error is None
    assert [asked for asked, _ in fake.requests] == [BULK, "NEW", "SPY"]
    assert fake.requests[0][1]["tickers"] == "qqq,aapl,brk-b"
    assert "Ticker 'NEW' not found" in report.failed["NEW"]
    assert store.last_dates("tiingo")["SPY"] == FRIDAY


def test_a_provisional_bar_is_never_a_close(tmp_path: Path) -> None:
    fake = fake_through(FRIDAY)
    fake.rows["QQQ"][-1]["adjClose"] = None  # the session's bar before Tiingo settles it
    source = tiingo_source(fake, tmp_path / "pacing.json")
    result = source.latest(["SPY", "QQQ"], FRIDAY)
    assert result == LatestResult(FRIDAY, {"SPY": adjusted_closes()["SPY"].iloc[-1]})


def test_the_answer_is_read_whatever_the_case_of_its_tickers(tmp_path: Path) -> None:
    class UpperCaseTiingo(FakeTiingo):
        def answer(self, request: requests.PreparedRequest, status: int, body: Any) -> Any:
            if isinstance(body, list):
                body = [{**row, "ticker": str(row.get("ticker", "")).upper()} for row in body]
            return super().answer(request, status, body)

    fake = UpperCaseTiingo(fake_through(FRIDAY).rows)
    result = tiingo_source(fake, tmp_path / "pacing.json").latest(["BRK.B", "AAPL"], FRIDAY)
    assert set(result.closes) == {"BRK.B", "AAPL"}


def test_many_tickers_are_asked_in_chunks_each_paced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiingo_module, "BULK_TICKERS", 3)
    fake = fake_through(FRIDAY)
    pacing = tmp_path / "pacing.json"
    result = tiingo_source(fake, pacing).latest(TICKERS, FRIDAY)
    assert set(result.closes) == set(TICKERS)
    assert [query["tickers"] for _, query in fake.requests] == ["spy,qqq,aapl", "brk-b"]
    assert len(json.loads(pacing.read_text(encoding="utf-8"))) == 2


def test_the_bulk_request_is_paced_like_the_others(tmp_path: Path) -> None:
    pacing = tmp_path / "pacing.json"
    budget = Budget(per_hour=5, per_day=100)
    fake = fake_through(THURSDAY)
    store = PriceStore(tmp_path / "prices.sqlite3")
    wednesday = previous_session(THURSDAY)
    source = tiingo_source(fake, pacing, budget=budget)
    refresh(store, source, TICKERS, through=wednesday, history_start=HISTORY_START)
    assert len(fake.requests) == 4  # the backfill: one request per ticker
    # Thursday: one bulk request, the budget's fifth.
    thursday = refresh(store, source, TICKERS, through=THURSDAY, history_start=HISTORY_START)
    assert (thursday.error, thursday.failed, thursday.closes_written) == (None, {}, 4)
    assert [asked for asked, _ in fake.requests[4:]] == [BULK]
    assert len(json.loads(pacing.read_text(encoding="utf-8"))) == 5
    # Friday: the hour's budget is spent, so the bulk request is deferred, never sent.
    fake.rows = fake_through(FRIDAY).rows
    friday = tiingo_source(fake, pacing, budget=budget)
    report = refresh(store, friday, TICKERS, through=FRIDAY, history_start=HISTORY_START)
    assert report.error is None
    assert len(fake.requests) == 5
    assert set(report.failed) == set(TICKERS)
    assert report.failed["SPY"].startswith("deferred: Tiingo's request budget (5 an hour")
    assert store.last_dates("tiingo") == dict.fromkeys(TICKERS, THURSDAY)


def test_the_cli_says_a_bad_key_in_the_bulk_request_in_one_line_and_exits_1(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    universe = load_universe(None)
    tickers = (*universe.tickers, *universe.factor_tickers)
    # Every ticker one session behind the session the CLI refreshes through.
    behind = previous_session(settled_session(datetime.now(UTC)))
    index = pd.DatetimeIndex([pd.Timestamp(behind)], name="date")
    PriceStore(data / "prices.sqlite3").write(
        "tiingo", pd.DataFrame({ticker: [100.0] for ticker in tickers}, index=index)
    )
    fake = FakeTiingo({})

    def faked() -> requests.Session:
        session = requests.Session()
        session.mount("https://", fake)
        return session

    monkeypatch.setattr(tiingo_module, "new_session", faked)
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data))
    monkeypatch.setenv("TIINGO_API_KEY", "wrong")
    code = main(["refresh", "--source", "tiingo"])
    err = capsys.readouterr().err
    assert code == 1
    assert [asked for asked, _ in fake.requests] == [BULK]
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Tiingo refused the API key in TIINGO_API_KEY (Invalid token.)" in err
    assert PriceStore(data / "prices.sqlite3").last_dates("tiingo") == dict.fromkeys(
        tickers, behind
    )

"""The Tiingo source against hand-built answers in Tiingo's JSON format (tests/tiingo_fake.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from bot.cli import main
from briefings.refresh import refresh
from briefings.sources import open_source
from briefings.sources import tiingo as tiingo_module
from briefings.sources.base import PriceSource, SourceError
from briefings.sources.tiingo import Budget, Pacer, TiingoSource
from briefings.store import PriceStore
from tests.test_source_yahoo import OCTOBER, fixture_closes
from tests.tiingo_fake import FakeTiingo, tiingo_rows, tiingo_source


@pytest.fixture
def fake() -> FakeTiingo:
    return FakeTiingo({t: tiingo_rows(fixture_closes(t), raw_factor=1.02) for t in ("SPY", "QQQ")})


def test_is_a_real_price_source_opened_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIINGO_API_KEY", "key")
    source: PriceSource = open_source("tiingo")
    assert isinstance(source, TiingoSource)
    assert (source.name, source.simulated) == ("tiingo", False)


def test_adjusted_closes_for_the_range_one_request_a_ticker(
    fake: FakeTiingo, tmp_path: Path
) -> None:
    result = tiingo_source(fake, tmp_path / "pacing.json").fetch(["SPY", "QQQ"], *OCTOBER)
    assert result.failed == {}
    for ticker in ("SPY", "QQQ"):
        # adjClose, not the raw close (which the fake sets 2% above it).
        np.testing.assert_allclose(result.closes[ticker], fixture_closes(ticker), rtol=1e-12)
    assert result.closes.index.name == "date"
    assert [(t, q["startDate"], q["endDate"]) for t, q in fake.requests] == [
        ("SPY", "2025-10-01", "2025-10-31"),
        ("QQQ", "2025-10-01", "2025-10-31"),
    ]


def test_an_unknown_ticker_is_named_with_tiingos_reason(fake: FakeTiingo, tmp_path: Path) -> None:
    result = tiingo_source(fake, tmp_path / "pacing.json").fetch(["SPY", "NOPE"], *OCTOBER)
    assert list(result.closes.columns) == ["SPY"]
    assert "NOPE" in result.failed
    assert "Ticker 'NOPE' not found" in result.failed["NOPE"]


def test_a_bad_key_raises_one_line(fake: FakeTiingo, tmp_path: Path) -> None:
    source = tiingo_source(fake, tmp_path / "pacing.json", token="wrong")
    with pytest.raises(SourceError, match="refused the API key") as raised:
        source.fetch(["SPY", "QQQ"], *OCTOBER)
    assert "\n" not in str(raised.value)
    assert len(fake.requests) == 1  # the first refusal stops the fetch


def test_a_missing_key_says_which_variable(tmp_path: Path, fake: FakeTiingo) -> None:
    with pytest.raises(SourceError, match="TIINGO_API_KEY"):
        tiingo_source(fake, tmp_path / "pacing.json", token="").fetch(["SPY"], *OCTOBER)
    assert fake.requests == []


def test_the_cli_says_a_bad_key_in_one_line_and_exits_1(
    fake: FakeTiingo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def faked() -> requests.Session:
        session = requests.Session()
        session.mount("https://", fake)
        return session

    monkeypatch.setattr(tiingo_module, "new_session", faked)
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TIINGO_API_KEY", "wrong")
    code = main(["refresh", "--source", "tiingo"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Tiingo refused the API key in TIINGO_API_KEY (Invalid token.)" in err


def test_requests_beyond_the_budget_are_deferred_across_processes(
    fake: FakeTiingo, tmp_path: Path
) -> None:
    pacing = tmp_path / "pacing.json"
    budget = Budget(per_hour=3, per_day=10)
    first = tiingo_source(fake, pacing, budget=budget).fetch(["SPY", "QQQ"], *OCTOBER)
    assert first.failed == {}
    # Another source object on the same record (another process) has one request left.
    second = tiingo_source(fake, pacing, budget=budget).fetch(["SPY", "QQQ", "AAPL"], *OCTOBER)
    assert list(second.closes.columns) == ["SPY"]
    assert set(second.failed) == {"QQQ", "AAPL"}
    assert second.failed["QQQ"].startswith("deferred: Tiingo's request budget (3 an hour")
    assert len(fake.requests) == 3


def test_a_pacing_record_that_cannot_be_kept_asks_nothing(fake: FakeTiingo, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the record's folder should be")
    source = tiingo_source(fake, tmp_path / "taken" / "pacing.json")
    with pytest.raises(SourceError, match="cannot keep Tiingo's request record"):
        source.fetch(["SPY"], *OCTOBER)
    assert fake.requests == []


def test_the_budget_frees_up_as_the_hour_and_the_day_roll(tmp_path: Path) -> None:
    now = [datetime(2026, 1, 5, 12, 0, tzinfo=UTC)]
    pacer = Pacer(tmp_path / "pacing.json", Budget(per_hour=2, per_day=3), lambda: now[0])
    assert pacer.take() is None
    assert pacer.take() is None
    assert pacer.take() == datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    now[0] += timedelta(hours=1, seconds=1)
    assert pacer.take() is None
    assert pacer.take() == datetime(2026, 1, 6, 12, 0, tzinfo=UTC)  # the day's 3 are spent


def test_a_split_restates_the_history_and_the_store_takes_it_whole(tmp_path: Path) -> None:
    spy = fixture_closes("SPY")
    fake = FakeTiingo({"SPY": tiingo_rows(spy.loc[:"2025-10-24"])})
    store = PriceStore(tmp_path / "prices.sqlite3")
    source = tiingo_source(fake, tmp_path / "pacing.json")
    start = date(2025, 10, 1)
    first = refresh(store, source, ["SPY"], through=date(2025, 10, 24), history_start=start)
    assert first.error is None
    assert first.closes_written == 18
    # A 2-for-1 split on 2025-10-27: Tiingo adjusts every earlier adjClose by 1/2.
    split = date(2025, 10, 27)
    adjusted = spy.copy() / 2.0
    rows = tiingo_rows(adjusted, raw_factor=2.0, splits={split: 2.0})
    for row in rows:
        if row["date"][:10] >= split.isoformat():
            row["close"] = row["adjClose"]  # raw closes halve from the split on
    fake.rows["SPY"] = rows
    second = refresh(store, source, ["SPY"], through=date(2025, 10, 31), history_start=start)
    assert second.error is None
    assert second.restated == ("SPY",)
    assert second.quarantined == ()
    stored = store.load("tiingo", ["SPY"])["SPY"].dropna()
    np.testing.assert_allclose(stored, adjusted, rtol=1e-12)
    pd.testing.assert_index_equal(pd.DatetimeIndex(stored.index), pd.DatetimeIndex(adjusted.index))
    # The history was asked again from the start: the overlap, then the whole of it.
    assert [q["startDate"] for _, q in fake.requests][-1] == "2025-10-01"

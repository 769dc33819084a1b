"""Held closes in the price store: filed by a refresh, judged again, released, migrated in place."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.calendar import sessions_in_range
from briefings.quarantine import CONFIRMED, RELEASED, QuarantineStore, ReleaseError
from briefings.refresh import RefreshReport, refresh
from briefings.sanity import CONFLICTING, IMPLAUSIBLE, NOT_POSITIVE, UNCONFIRMED
from briefings.sources.csvdir import CsvDirectorySource
from briefings.store import PriceStore

SESSIONS = sessions_in_range(date(2025, 6, 2), date(2025, 12, 31))
NOW = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)


def closes(seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.DatetimeIndex(SESSIONS, name="Date")
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index)))), index=index)


class Market:
    """A CSV folder of two tickers whose files a test edits between refreshes."""

    def __init__(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "csv"
        self.folder.mkdir()
        self.series = {"SPY": closes(1), "XLE": closes(2)}
        self.store = PriceStore(tmp_path / "prices.sqlite3")
        self.source = CsvDirectorySource(self.folder)
        self.extra_rows: dict[str, str] = {}

    def day(self, row: int) -> date:
        return SESSIONS[row]

    def publish(self, through: int) -> None:
        """Write every ticker's closes up to session row ``through`` (inclusive)."""
        for ticker, series in self.series.items():
            text = series.iloc[: through + 1].rename("Close").to_csv()
            (self.folder / f"{ticker}.csv").write_text(text + self.extra_rows.get(ticker, ""))

    def refresh(self, through: int) -> RefreshReport:
        self.publish(through)
        return refresh(
            self.store, self.source, list(self.series), through=self.day(through), clock=lambda: NOW
        )

    def held(self) -> list[tuple[str, date, str]]:
        return [
            (c.ticker, c.day, c.reason) for c in QuarantineStore(self.store).held(self.source.name)
        ]

    def stored(self, ticker: str) -> pd.Series:
        return self.store.load(self.source.name, [ticker])[ticker].dropna()


@pytest.fixture
def market(tmp_path: Path) -> Market:
    return Market(tmp_path)


def test_a_conflicting_last_close_is_held_not_stored_and_held_again(market: Market) -> None:
    last = 100
    market.extra_rows["XLE"] = f"{market.day(last)},{market.series['XLE'].iloc[last] * 1.5}\n"
    report = market.refresh(last)
    assert [(c.ticker, c.day, c.reason) for c in report.quarantined] == [
        ("XLE", market.day(last), CONFLICTING)
    ]
    assert market.stored("XLE").index[-1].date() == market.day(last - 1)
    assert market.stored("SPY").index[-1].date() == market.day(last)
    record = market.store.last_refresh(market.source.name)
    assert record is not None
    assert "1 closes held by the sanity check" in record.message

    again = market.refresh(last)
    assert again.closes_written == 0
    assert market.held() == [("XLE", market.day(last), CONFLICTING)]
    assert QuarantineStore(market.store).count(market.source.name) == 1


def test_a_jump_the_next_two_sessions_confirm_is_released_and_stored(market: Market) -> None:
    jump = 120
    market.series["XLE"].iloc[jump:] *= 0.6
    market.refresh(jump)
    assert market.held() == [("XLE", market.day(jump), IMPLAUSIBLE)]
    market.refresh(jump + 1)
    assert market.held() == [
        ("XLE", market.day(jump), IMPLAUSIBLE),
        ("XLE", market.day(jump + 1), UNCONFIRMED),
    ]
    assert market.stored("XLE").index[-1].date() == market.day(jump - 1)

    report = market.refresh(jump + 2)
    assert report.released == (("XLE", market.day(jump)), ("XLE", market.day(jump + 1)))
    assert market.held() == []
    stored = market.stored("XLE")
    assert stored.index[-1].date() == market.day(jump + 2)
    assert stored.iloc[-3:].to_list() == pytest.approx(
        market.series["XLE"].iloc[jump : jump + 3].to_list()
    )
    with market.store.reading() as connection:
        statuses = {row[0] for row in connection.execute("SELECT status FROM quarantine")}
    assert statuses == {CONFIRMED}


def test_a_spike_stays_held_while_the_closes_after_it_are_stored(market: Market) -> None:
    spike = 110
    market.series["SPY"].iloc[spike] *= 100
    market.refresh(spike)
    market.refresh(spike + 1)
    market.refresh(spike + 3)
    assert market.held() == [("SPY", market.day(spike), IMPLAUSIBLE)]
    stored = market.stored("SPY")
    assert pd.Timestamp(market.day(spike)) not in stored.index
    assert stored.index[-1].date() == market.day(spike + 3)


def test_the_operator_releases_a_held_close_for_good(market: Market) -> None:
    spike = 110
    market.series["SPY"].iloc[spike] *= 100
    market.refresh(spike)
    quarantine = QuarantineStore(market.store)
    with pytest.raises(ReleaseError, match=f"held: {market.day(spike)}"):
        quarantine.release(market.source.name, "SPY", market.day(spike - 1), NOW)

    released = quarantine.release(market.source.name, "spy", market.day(spike), NOW)
    assert released.close == pytest.approx(market.series["SPY"].iloc[spike])
    assert market.stored("SPY").iloc[-1] == pytest.approx(market.series["SPY"].iloc[spike])
    assert quarantine.count(market.source.name) == 0
    with pytest.raises(ReleaseError, match="it was released"):
        quarantine.release(market.source.name, "SPY", market.day(spike), NOW)

    # The source restates SPY's history (an older close changes): the whole history is judged
    # again, and the released close still stands.
    market.series["SPY"].iloc[spike - 3] *= 1.01
    report = market.refresh(spike + 1)
    assert report.restated == ("SPY",)
    assert market.held() == []
    stored = market.stored("SPY")
    assert stored.loc[pd.Timestamp(market.day(spike))] == pytest.approx(
        market.series["SPY"].iloc[spike]
    )
    with market.store.reading() as connection:
        (status,) = connection.execute("SELECT status FROM quarantine").fetchone()
    assert status == RELEASED


def test_a_close_that_is_no_price_cannot_be_released(market: Market) -> None:
    market.series["XLE"].iloc[100] = -1.0
    market.refresh(100)
    assert market.held() == [("XLE", market.day(100), NOT_POSITIVE)]
    with pytest.raises(ReleaseError, match="not a price"):
        QuarantineStore(market.store).release(market.source.name, "XLE", market.day(100), NOW)


def test_an_older_store_opens_with_its_closes_and_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.sqlite3"
    older = PriceStore(path)
    frame = pd.DataFrame(
        {"SPY": [100.0, 101.0]}, index=pd.DatetimeIndex(["2025-01-02", "2025-01-03"], name="date")
    )
    older.write("demo", frame)
    version = older.data_version("demo")
    older.close()
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "quarantine" not in tables

    store = PriceStore(path)
    quarantine = QuarantineStore(store)
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "quarantine" in tables
    assert store.data_version("demo") == version
    pd.testing.assert_frame_equal(store.load("demo"), older_frame(frame))
    assert quarantine.count("demo") == 0
    assert quarantine.held("demo") == ()


def older_frame(frame: pd.DataFrame) -> pd.DataFrame:
    expected = frame.copy()
    expected.index = pd.DatetimeIndex(expected.index.astype("datetime64[ns]"), name="date")
    return expected


def test_a_quarantine_table_of_another_layout_is_started_anew(tmp_path: Path) -> None:
    path = tmp_path / "prices.sqlite3"
    PriceStore(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE quarantine (ticker TEXT, note TEXT)")
    quarantine = QuarantineStore(PriceStore(path))
    assert quarantine.count("demo") == 0
    with sqlite3.connect(path) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(quarantine)")}
    assert {"source", "ticker", "day", "status"} <= columns


def test_the_version_changes_with_what_is_held(market: Market) -> None:
    quarantine = QuarantineStore(market.store)
    before = quarantine.version(market.source.name)
    market.series["SPY"].iloc[100] *= 100
    market.refresh(100)
    held = quarantine.version(market.source.name)
    assert held != before
    quarantine.release(market.source.name, "SPY", market.day(100), NOW)
    assert quarantine.version(market.source.name) not in (before, held)

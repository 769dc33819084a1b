"""Refreshing from a CSV directory reads only the files that changed since they were read."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.calendar import sessions_in_range
from briefings.refresh import RefreshReport, refresh
from briefings.sources.base import FetchResult
from briefings.sources.csvdir import CsvDirectorySource
from briefings.store import PriceStore

TICKERS = ("SPY", "QQQ", "XLK")
SESSIONS = sessions_in_range(date(2025, 10, 1), date(2025, 11, 21))
THROUGH = date(2025, 12, 5)  # later than any file: a folder nobody updates daily
NOW = datetime(2025, 12, 5, 22, 0, tzinfo=UTC)


class RecordingCsvSource(CsvDirectorySource):
    """The CSV source, noting which tickers each fetch asked for."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.asked: list[tuple[str, ...]] = []

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        self.asked.append(tuple(tickers))
        return super().fetch(tickers, start, end)


def write_csv(directory: Path, ticker: str, days: Sequence[date], base: float) -> Path:
    closes = base * np.cumprod(np.full(len(days), 1.001))
    frame = pd.DataFrame({"Date": [d.isoformat() for d in days], "Close": closes})
    path = directory / f"{ticker}.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    directory = tmp_path / "csv"
    directory.mkdir()
    for number, ticker in enumerate(TICKERS):
        write_csv(directory, ticker, SESSIONS[:-1], 100.0 + number)
    return directory


def run(store: PriceStore, source: RecordingCsvSource) -> RefreshReport:
    return refresh(store, source, TICKERS, through=THROUGH, history_start=None, clock=lambda: NOW)


def test_unchanged_files_are_not_read_again(tmp_path: Path, folder: Path) -> None:
    store = PriceStore(tmp_path / "prices.sqlite3")
    source = RecordingCsvSource(folder)
    first = run(store, source)
    stored = store.load(source.name)
    source.asked.clear()

    second = run(store, source)

    assert first.closes_written == len(TICKERS) * (len(SESSIONS) - 1)
    assert source.asked == []
    assert (second.requests, second.closes_written, second.error) == (0, 0, None)
    assert sorted(second.unchanged) == sorted(TICKERS)
    pd.testing.assert_frame_equal(store.load(source.name), stored)


def test_a_changed_file_alone_is_read_and_its_new_close_stored(
    tmp_path: Path, folder: Path
) -> None:
    store = PriceStore(tmp_path / "prices.sqlite3")
    source = RecordingCsvSource(folder)
    run(store, source)
    source.asked.clear()
    path = write_csv(folder, "QQQ", SESSIONS, 101.0)
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))

    report = run(store, source)

    assert [set(asked) for asked in source.asked] == [{"QQQ"}]
    assert report.closes_written == 1
    assert sorted(report.unchanged) == ["SPY", "XLK"]
    assert store.last_dates(source.name)["QQQ"] == SESSIONS[-1]
    source.asked.clear()
    assert run(store, source).requests == 0


def test_a_file_touched_but_not_changed_is_read_and_stores_nothing(
    tmp_path: Path, folder: Path
) -> None:
    store = PriceStore(tmp_path / "prices.sqlite3")
    source = RecordingCsvSource(folder)
    run(store, source)
    source.asked.clear()
    path = folder / "SPY.csv"
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))

    report = run(store, source)

    assert [set(asked) for asked in source.asked] == [{"SPY"}]
    assert report.closes_written == 0


def test_a_file_with_a_held_close_is_judged_again(tmp_path: Path, folder: Path) -> None:
    store = PriceStore(tmp_path / "prices.sqlite3")
    source = RecordingCsvSource(folder)
    run(store, source)
    with (folder / "XLK.csv").open("a", encoding="utf-8") as file:
        file.write(f"{SESSIONS[-1].isoformat()},-5.0\n")  # a close the sanity stage holds
    first = run(store, source)
    source.asked.clear()

    again = run(store, source)

    assert [close.ticker for close in first.quarantined] == ["XLK"]
    assert [set(asked) for asked in source.asked] == [{"XLK"}]
    assert "XLK" not in again.unchanged


def test_a_store_without_the_marks_table_gains_it_and_keeps_its_closes(
    tmp_path: Path, folder: Path
) -> None:
    path = tmp_path / "prices.sqlite3"
    source = RecordingCsvSource(folder)
    old = PriceStore(path)
    old.write(source.name, source.fetch(TICKERS, None, THROUGH).closes)
    before = old.load(source.name)
    old.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'source_marks'"
        ).fetchone() == (0,)

    store = PriceStore(path)
    run(store, source)
    source.asked.clear()
    report = run(store, source)

    pd.testing.assert_frame_equal(store.load(source.name), before)
    assert report.requests == 0
    assert sorted(report.unchanged) == sorted(TICKERS)

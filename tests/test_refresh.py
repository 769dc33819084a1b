"""Refresh: incremental, batched, and harmless when the source fails."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from briefings.calendar import previous_session
from briefings.refresh import CHUNK_TICKERS, OVERLAP_DAYS, RefreshReport, refresh
from briefings.sources.base import FetchResult, SourceError
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore

TICKERS = ("SPY", "QQQ", "^GSPC")
HISTORY_START = date(2025, 10, 1)
FRIDAY = date(2025, 11, 21)
MONDAY = date(2025, 11, 24)
NOW = datetime(2025, 11, 24, 22, 0, tzinfo=UTC)


@dataclass
class CountingSource:
    """The demo market behind a call log; can fail or drop tickers like a real source."""

    unknown: frozenset[str] = frozenset()
    silent: frozenset[str] = frozenset()
    fail_on_call: int | None = None
    overshoot: bool = False
    calls: list[tuple[tuple[str, ...], date | None, date]] = field(default_factory=list)
    demo: DemoSource = field(default_factory=DemoSource)

    @property
    def name(self) -> str:
        return "counting"

    @property
    def simulated(self) -> bool:
        return True

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        self.calls.append((tuple(tickers), start, end))
        if self.fail_on_call == len(self.calls):
            raise SourceError("the network is down")
        known = [t for t in tickers if t not in self.unknown | self.silent]
        closes = self.demo.fetch(known, start, date(2025, 12, 31) if self.overshoot else end)
        return FetchResult(
            closes.closes, dict.fromkeys(self.unknown & set(tickers), "unknown symbol")
        )


@pytest.fixture
def store(tmp_path: Path) -> PriceStore:
    return PriceStore(tmp_path / "prices.sqlite3")


def run(
    store: PriceStore,
    source: CountingSource,
    through: date,
    tickers: Sequence[str] = TICKERS,
    progress: Callable[[int, int], None] | None = None,
) -> RefreshReport:
    return refresh(
        store,
        source,
        tickers,
        through=through,
        history_start=HISTORY_START,
        progress=progress,
        clock=lambda: NOW,
    )


def test_first_refresh_fetches_all_history_in_one_request(store: PriceStore) -> None:
    source = CountingSource()
    progress: list[tuple[int, int]] = []
    report = run(store, source, FRIDAY, progress=lambda d, t: progress.append((d, t)))
    assert source.calls == [(TICKERS, HISTORY_START, FRIDAY)]
    assert report.requests == 1
    assert report.requested == TICKERS
    assert report.start == HISTORY_START
    assert report.through == FRIDAY
    assert report.error is None
    assert not report.up_to_date
    # 2025-10-01 .. 2025-11-21 holds 38 sessions.
    assert report.closes_written == 38 * len(TICKERS)
    assert store.last_dates("counting") == dict.fromkeys(TICKERS, FRIDAY)
    assert progress[0] == (0, 3)
    assert progress[-1] == (3, 3)
    record = store.last_refresh("counting")
    assert record is not None
    assert record.ok
    assert record.last_session == FRIDAY
    assert record.when == NOW


def test_a_second_refresh_without_a_new_session_requests_nothing(store: PriceStore) -> None:
    source = CountingSource()
    run(store, source, FRIDAY)
    version = store.data_version("counting")
    progress: list[tuple[int, int]] = []
    report = run(store, source, FRIDAY, progress=lambda d, t: progress.append((d, t)))
    assert len(source.calls) == 1
    assert report.up_to_date
    assert report.requests == 0
    assert report.closes_written == 0
    assert store.data_version("counting") == version
    assert progress == [(3, 3)]


def test_a_new_session_fetches_only_the_gap_for_all_tickers_at_once(store: PriceStore) -> None:
    source = CountingSource()
    run(store, source, FRIDAY)
    report = run(store, source, MONDAY)
    # From a week before the last stored close: the overlap detects restated histories.
    assert source.calls[1] == (TICKERS, FRIDAY - timedelta(days=OVERLAP_DAYS), MONDAY)
    assert report.start == FRIDAY - timedelta(days=OVERLAP_DAYS)
    assert report.restated == ()
    assert report.closes_written == len(TICKERS)
    assert store.last_dates("counting") == dict.fromkeys(TICKERS, MONDAY)


def test_new_and_stale_tickers_take_at_most_two_requests(store: PriceStore) -> None:
    source = CountingSource()
    run(store, source, FRIDAY)
    report = run(store, source, MONDAY, tickers=(*TICKERS, "IWM", "XLE"))
    assert source.calls[1:] == [
        (("IWM", "XLE"), HISTORY_START, MONDAY),
        (TICKERS, FRIDAY - timedelta(days=OVERLAP_DAYS), MONDAY),
    ]
    assert report.requests == 2
    assert report.start == HISTORY_START
    assert report.closes_written == 2 * 39 + len(TICKERS)


def test_the_oldest_stale_ticker_sets_the_start(store: PriceStore) -> None:
    source = CountingSource()
    run(store, source, previous_session(FRIDAY), tickers=("SPY",))
    run(store, source, FRIDAY, tickers=("QQQ", "^GSPC"))
    run(store, source, MONDAY)
    thursday = previous_session(FRIDAY)
    assert source.calls[-1] == (TICKERS, thursday - timedelta(days=OVERLAP_DAYS), MONDAY)


def test_a_source_failure_keeps_the_store_and_is_reported(store: PriceStore) -> None:
    run(store, CountingSource(), FRIDAY)
    version = store.data_version("counting")
    report = run(store, CountingSource(fail_on_call=1), MONDAY)
    assert report.error == "the network is down"
    assert report.closes_written == 0
    assert report.requests == 1
    assert store.data_version("counting") == version
    assert store.last_dates("counting") == dict.fromkeys(TICKERS, FRIDAY)
    record = store.last_refresh("counting")
    assert record is not None
    assert not record.ok
    assert record.message == "the network is down"
    assert record.last_session == FRIDAY


def test_a_failure_in_the_second_batch_writes_nothing(store: PriceStore) -> None:
    run(store, CountingSource(), FRIDAY)
    version = store.data_version("counting")
    report = run(store, CountingSource(fail_on_call=2), MONDAY, tickers=(*TICKERS, "IWM"))
    assert report.error is not None
    assert report.requests == 2
    assert store.data_version("counting") == version
    assert "IWM" not in store.last_dates("counting")


def test_failed_tickers_are_reported_and_the_rest_stored(store: PriceStore) -> None:
    source = CountingSource(unknown=frozenset({"NOPE"}))
    report = run(store, source, FRIDAY, tickers=(*TICKERS, "NOPE"))
    assert report.error is None
    assert report.failed == {"NOPE": "unknown symbol"}
    assert set(store.last_dates("counting")) == set(TICKERS)


def test_a_new_ticker_the_source_silently_skips_is_reported(store: PriceStore) -> None:
    report = run(store, CountingSource(silent=frozenset({"QQQ"})), FRIDAY)
    assert report.failed == {"QQQ": "the source returned no closes"}
    assert set(store.last_dates("counting")) == {"SPY", "^GSPC"}


def test_closes_beyond_through_are_not_stored(store: PriceStore) -> None:
    run(store, CountingSource(overshoot=True), FRIDAY)
    assert store.last_dates("counting") == dict.fromkeys(TICKERS, FRIDAY)


def test_without_history_start_the_source_is_asked_for_everything(store: PriceStore) -> None:
    source = CountingSource()
    report = refresh(store, source, ["SPY"], through=FRIDAY)
    assert source.calls == [(("SPY",), None, FRIDAY)]
    assert report.start is None
    assert store.load("counting").index[0] == datetime(2012, 1, 3)


class RestatingSource(CountingSource):
    """Like CountingSource, but every close before ``split_day`` divided by ``ratio``.

    This is how an adjusted-close source shows a split: it restates the whole past history.
    """

    def __init__(self, split_day: date, ratio: float) -> None:
        super().__init__()
        self.split_day = pd.Timestamp(split_day)
        self.ratio = ratio

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        result = super().fetch(tickers, start, end)
        closes = result.closes.copy()
        before = closes.index < self.split_day
        closes.loc[before, "SPY"] = closes.loc[before, "SPY"] / self.ratio
        return FetchResult(closes=closes, failed=result.failed)


def test_a_restated_history_replaces_the_stored_one(store: PriceStore) -> None:
    run(store, CountingSource(), FRIDAY)
    before = store.load("counting", ["SPY"])["SPY"]
    source = RestatingSource(split_day=MONDAY, ratio=10.0)
    report = run(store, source, MONDAY)
    assert report.restated == ("SPY",)
    assert report.requests == 2
    assert source.calls[-1] == (("SPY",), HISTORY_START, MONDAY)
    after = store.load("counting", ["SPY"])["SPY"]
    # Every stored close before the split is the restated one; none of the old ones is left.
    assert after.loc[: str(FRIDAY)].to_numpy() == pytest.approx(before.to_numpy() / 10.0)
    assert store.load("counting", ["QQQ"])["QQQ"].notna().sum() == len(before) + 1


def test_an_unchanged_overlap_is_not_refetched(store: PriceStore) -> None:
    source = CountingSource()
    run(store, source, FRIDAY)
    report = run(store, source, MONDAY)
    assert report.restated == ()
    assert report.requests == 1


def test_a_long_stale_ticker_does_not_drag_the_daily_request_back(store: PriceStore) -> None:
    source = CountingSource()
    run(store, source, date(2025, 10, 15), tickers=("SPY",))
    run(store, source, FRIDAY, tickers=("QQQ", "^GSPC"))
    report = run(store, source, MONDAY)
    assert source.calls[-2:] == [
        (("QQQ", "^GSPC"), FRIDAY - timedelta(days=OVERLAP_DAYS), MONDAY),
        (("SPY",), date(2025, 10, 15) - timedelta(days=OVERLAP_DAYS), MONDAY),
    ]
    assert report.requests == 2
    assert store.last_dates("counting") == dict.fromkeys(TICKERS, MONDAY)


def test_an_index_worth_of_tickers_goes_in_chunks_under_one_progress_bar(
    store: PriceStore,
) -> None:
    members = tuple(f"M{k:03d}" for k in range(CHUNK_TICKERS * 2 + 50))
    source = CountingSource()
    progress: list[tuple[int, int]] = []

    report = run(store, source, FRIDAY, members, progress=lambda d, t: progress.append((d, t)))

    assert [len(tickers) for tickers, _, _ in source.calls] == [CHUNK_TICKERS, CHUNK_TICKERS, 50]
    assert report.requests == 3
    assert {total for _, total in progress} == {len(members)}
    assert progress[-1] == (len(members), len(members))
    assert len(store.last_dates("counting")) == len(members)
    assert run(store, source, FRIDAY, members).up_to_date
    assert len(source.calls) == 3

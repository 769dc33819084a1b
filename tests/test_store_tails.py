"""The price store's tails: new sessions append to a small row, folded into the years when full."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefings.store import TAIL_LIMIT, PriceStore

TICKERS = ["SPY", "XLK", "^GSPC"]
#: Weekdays from October 2024: a history to December, then sessions filling every tail three times.
CALENDAR = pd.bdate_range("2024-10-01", periods=60 + 3 * TAIL_LIMIT + 10, name="date").as_unit("ns")


def walk(days: pd.DatetimeIndex, seed: int = 3) -> pd.DataFrame:
    """Return random-walk closes of TICKERS on ``days``."""
    steps = np.random.default_rng(seed).normal(0, 0.01, (len(days), len(TICKERS)))
    return pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=days, columns=TICKERS)


def year_rows(path: Path) -> list[tuple[str, int, bytes, bytes]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT ticker, year, days, closes FROM series_years ORDER BY ticker, year"
        ).fetchall()


@pytest.fixture
def store(tmp_path: Path) -> PriceStore:
    return PriceStore(tmp_path / "prices.sqlite3")


def test_sessions_appended_one_at_a_time_load_as_written(store: PriceStore) -> None:
    closes = walk(CALENDAR)
    store.write("demo", closes.iloc[:60])
    for day in range(60, len(CALENDAR)):
        before = store.data_version("demo")
        assert store.write("demo", closes.iloc[day : day + 1]) == len(TICKERS)
        after = store.data_version("demo")
        assert after != before
        # The same session again changes nothing, whether in a tail or folded into a year.
        assert store.write("demo", closes.iloc[day : day + 1]) == 0
        assert store.data_version("demo") == after

    pd.testing.assert_frame_equal(store.load("demo"), closes, check_exact=True, check_freq=False)
    middle = CALENDAR[60 + TAIL_LIMIT + 3]
    pd.testing.assert_frame_equal(
        store.load("demo", ["XLK"], end=middle.date()),
        closes.loc[:middle, ["XLK"]],
        check_exact=True,
        check_freq=False,
    )
    assert store.last_dates("demo") == dict.fromkeys(TICKERS, CALENDAR[-1].date())


def test_an_appended_session_leaves_every_year_row_as_it_was(store: PriceStore) -> None:
    closes = walk(CALENDAR)
    store.write("demo", closes.iloc[:60])
    before = year_rows(store.path)

    for day in range(60, 60 + TAIL_LIMIT):
        store.write("demo", closes.iloc[day : day + 1])
    assert year_rows(store.path) == before

    # One more session than a tail holds: the tails move into the years.
    store.write("demo", closes.iloc[60 + TAIL_LIMIT : 61 + TAIL_LIMIT])
    assert year_rows(store.path) != before
    pd.testing.assert_frame_equal(
        store.load("demo"), closes.iloc[: 61 + TAIL_LIMIT], check_exact=True, check_freq=False
    )


def test_corrections_reach_closes_in_the_tail_and_in_the_years(store: PriceStore) -> None:
    closes = walk(CALENDAR)
    store.write("demo", closes.iloc[:60])
    for day in range(60, 65):
        store.write("demo", closes.iloc[day : day + 1])
    fixes = pd.DataFrame(
        {"SPY": [1.5, 2.5]}, index=pd.DatetimeIndex([CALENDAR[10], CALENDAR[63]], name="date")
    )

    assert store.write("demo", fixes) == 2
    version = store.data_version("demo")
    assert store.write("demo", fixes) == 0
    assert store.data_version("demo") == version
    assert store.write("demo", closes.iloc[65:66]) == len(TICKERS)

    expected = closes.iloc[:66].copy()
    expected.loc[[CALENDAR[10], CALENDAR[63]], "SPY"] = [1.5, 2.5]
    pd.testing.assert_frame_equal(store.load("demo"), expected, check_exact=True, check_freq=False)


def test_a_restated_ticker_drops_its_tail_and_the_others_keep_theirs(store: PriceStore) -> None:
    closes = walk(CALENDAR)
    store.write("demo", closes.iloc[:60])
    for day in range(60, 64):
        store.write("demo", closes.iloc[day : day + 1])
    restated = walk(CALENDAR[40:64], seed=9)[["XLK"]]

    assert store.write("demo", restated, replace={"XLK"}) == len(restated)

    loaded = store.load("demo")
    pd.testing.assert_series_equal(
        loaded["XLK"].dropna(), restated["XLK"], check_exact=True, check_freq=False
    )
    pd.testing.assert_frame_equal(
        loaded[["SPY", "^GSPC"]],
        closes.iloc[:64][["SPY", "^GSPC"]],
        check_exact=True,
        check_freq=False,
    )
    assert store.last_dates("demo")["XLK"] == CALENDAR[63].date()


@dataclass(frozen=True)
class Append:
    """The next ``sessions`` sessions of some tickers."""

    sessions: int
    tickers: frozenset[str]
    seed: int

    def batch(self, cursor: int) -> pd.DataFrame:
        return walk(CALENDAR[cursor : cursor + self.sessions], self.seed)[sorted(self.tickers)]


@dataclass(frozen=True)
class Fix:
    """One close ``back`` sessions before the newest: a new value, or the stored one again."""

    back: int
    ticker: str
    same: bool
    value: float

    def batch(self, cursor: int, stored: dict[pd.Timestamp, float]) -> pd.DataFrame:
        day = CALENDAR[max(cursor - 1 - self.back, 0)]
        close = stored.get(day, self.value) if self.same else self.value
        return pd.DataFrame({self.ticker: [close]}, index=pd.DatetimeIndex([day]))


@dataclass(frozen=True)
class Restate:
    """A ticker's last ``sessions`` closes, replacing its whole stored history."""

    sessions: int
    ticker: str

    def batch(self, cursor: int) -> pd.DataFrame:
        days = CALENDAR[max(cursor - self.sessions, 0) : cursor]
        return walk(days, self.sessions)[[self.ticker]]


steps = st.one_of(
    st.builds(
        Append,
        st.integers(1, TAIL_LIMIT),
        st.frozensets(st.sampled_from(TICKERS), min_size=1),
        st.integers(0, 2**16),
    ),
    st.builds(
        Fix,
        st.integers(0, 80),
        st.sampled_from(TICKERS),
        st.booleans(),
        st.integers(1, 9).map(float),
    ),
    st.builds(Restate, st.integers(1, 40), st.sampled_from(TICKERS)),
)


@settings(max_examples=25, deadline=None)
@given(plan=st.lists(steps, min_size=1, max_size=8))
def test_any_mix_of_appends_fixes_and_restatements_loads_as_written(
    plan: list[Append | Fix | Restate],
) -> None:
    history = walk(CALENDAR[:5])
    stored: dict[str, dict[pd.Timestamp, float]] = {
        t: dict(zip(history.index, history[t].tolist(), strict=True)) for t in TICKERS
    }
    cursor = len(history)
    with tempfile.TemporaryDirectory() as directory:
        store = PriceStore(Path(directory) / "prices.sqlite3")
        store.write("demo", history)
        for step in plan:
            replace: set[str] = set()
            if isinstance(step, Append):
                batch = step.batch(cursor)
                cursor += len(batch)
            elif isinstance(step, Fix):
                batch = step.batch(cursor, stored[step.ticker])
            else:
                batch = step.batch(cursor)
                replace = {step.ticker}
                stored[step.ticker] = {}
            new = {
                (str(ticker), day): float(close)
                for ticker in batch.columns
                for day, close in zip(pd.DatetimeIndex(batch.index), batch[ticker], strict=True)
            }
            changed = sum(stored[t].get(day) != close for (t, day), close in new.items())
            version = store.data_version("demo")

            assert store.write("demo", batch, replace=replace) == changed
            assert (store.data_version("demo") != version) == (changed > 0)
            for (ticker, day), close in new.items():
                stored[ticker][day] = close
        loaded = store.load("demo")
        store.close()
    expected = pd.DataFrame(
        {t: pd.Series(stored[t], dtype=np.float64) for t in TICKERS if stored[t]}
    ).sort_index()
    expected.index = pd.DatetimeIndex(expected.index, name="date").as_unit("ns")
    pd.testing.assert_frame_equal(loaded, expected, check_exact=True, check_freq=False)


def test_tails_survive_reopening_a_store_taken_out_of_wal_mode(tmp_path: Path) -> None:
    closes = walk(CALENDAR)
    store = PriceStore(tmp_path / "prices.sqlite3")
    store.write("demo", closes.iloc[:60])
    for day in range(60, 65):
        store.write("demo", closes.iloc[day : day + 1])
    store.close()
    with sqlite3.connect(tmp_path / "prices.sqlite3") as connection:
        connection.execute("PRAGMA journal_mode=DELETE")

    reopened = PriceStore(tmp_path / "prices.sqlite3")

    pd.testing.assert_frame_equal(
        reopened.load("demo"), closes.iloc[:65], check_exact=True, check_freq=False
    )

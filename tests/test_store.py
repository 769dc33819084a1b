"""The SQLite price store: upserts, wide loads, versions, refresh records, safety and speed."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefings.store import PriceStore, RefreshRecord, StoreError


def frame(data: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Return a wide frame from {ticker: {"YYYY-MM-DD": close}}."""
    columns = {
        ticker: pd.Series({pd.Timestamp(day): close for day, close in closes.items()})
        for ticker, closes in data.items()
    }
    result = pd.DataFrame(columns, dtype=np.float64).sort_index()
    result.index.name = "date"
    return result


@pytest.fixture
def store(tmp_path: Path) -> PriceStore:
    return PriceStore(tmp_path / "nested" / "dir" / "prices.sqlite3")


def test_creates_a_wal_database_with_its_parent_directories(store: PriceStore) -> None:
    assert store.path.is_file()
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_write_counts_new_and_changed_closes(store: PriceStore) -> None:
    first = frame({"SPY": {"2025-01-02": 100.0, "2025-01-03": 101.0}, "QQQ": {"2025-01-03": 50.0}})
    assert store.write("demo", first) == 3
    assert store.write("demo", first) == 0
    update = frame({"SPY": {"2025-01-03": 101.5, "2025-01-06": 102.0}, "QQQ": {"2025-01-03": 50.0}})
    assert store.write("demo", update) == 2  # one changed close, one new day
    loaded = store.load("demo")
    assert loaded.loc["2025-01-03", "SPY"] == 101.5
    assert loaded.loc["2025-01-06", "SPY"] == 102.0


def test_nan_means_no_close_not_a_deletion(store: PriceStore) -> None:
    store.write("demo", frame({"SPY": {"2025-01-02": 100.0}}))
    assert store.write("demo", frame({"SPY": {"2025-01-02": np.nan}})) == 0
    assert store.load("demo").loc["2025-01-02", "SPY"] == 100.0


def test_load_aligns_tickers_on_the_union_of_dates(store: PriceStore) -> None:
    store.write(
        "demo",
        frame({"SPY": {"2025-01-03": 101.0, "2025-01-02": 100.0}, "XLE": {"2025-01-06": 90.0}}),
    )
    loaded = store.load("demo")
    assert list(loaded.columns) == ["SPY", "XLE"]
    assert loaded.index.name == "date"
    assert pd.DatetimeIndex(loaded.index).tz is None
    assert list(pd.DatetimeIndex(loaded.index).strftime("%Y-%m-%d")) == [
        "2025-01-02",
        "2025-01-03",
        "2025-01-06",
    ]
    assert loaded["SPY"].tolist()[:2] == [100.0, 101.0]
    assert loaded["SPY"].isna().tolist() == [False, False, True]
    assert loaded["XLE"].notna().sum() == 1


def test_load_selects_tickers_in_order_and_cuts_at_end(store: PriceStore) -> None:
    store.write(
        "demo",
        frame({
            "SPY": {"2025-01-02": 100.0, "2025-01-03": 101.0},
            "QQQ": {"2025-01-02": 50.0, "2025-01-03": 51.0},
            "IWM": {"2025-01-02": 20.0},
        }),
    )  # fmt: skip
    loaded = store.load("demo", ["QQQ", "NOPE", "SPY"], end=date(2025, 1, 2))
    assert list(loaded.columns) == ["QQQ", "SPY"]
    assert loaded.to_dict("list") == {"QQQ": [50.0], "SPY": [100.0]}


def test_load_from_a_start_reads_only_its_dates_and_later(store: PriceStore) -> None:
    store.write(
        "demo",
        frame({
            "SPY": {"2023-12-29": 90.0, "2024-01-02": 100.0, "2024-06-03": 101.0},
            "QQQ": {"2022-05-02": 40.0, "2024-06-03": 51.0},
        }),
    )  # fmt: skip
    whole = store.load("demo", ["SPY", "QQQ"])
    loaded = store.load("demo", ["SPY", "QQQ"], start=date(2024, 1, 2))
    pd.testing.assert_frame_equal(loaded, whole.loc["2024-01-02":])
    assert store.load("demo", ["QQQ"], start=date(2023, 1, 1)).index.size == 1


def test_sources_never_mix(store: PriceStore) -> None:
    store.write("demo", frame({"SPY": {"2025-01-02": 1.0}}))
    store.write("yfinance", frame({"SPY": {"2025-01-02": 590.0}, "QQQ": {"2025-01-02": 510.0}}))
    assert store.load("demo").to_dict("list") == {"SPY": [1.0]}
    assert store.last_dates("demo") == {"SPY": date(2025, 1, 2)}
    assert set(store.last_dates("yfinance")) == {"SPY", "QQQ"}
    assert store.load("csv:/nowhere").empty
    assert store.last_dates("csv:/nowhere") == {}


def test_data_version_changes_only_with_the_data(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "a.sqlite3")
    assert store.data_version("demo") == "0"
    store.write("demo", frame({"SPY": {"2025-01-02": 100.0}}))
    first = store.data_version("demo")
    store.write("demo", frame({"SPY": {"2025-01-02": 100.0}}))
    assert store.data_version("demo") == first
    store.write("other", frame({"SPY": {"2025-01-02": 7.0}}))
    assert store.data_version("demo") == first
    store.write("demo", frame({"SPY": {"2025-01-03": 101.0}}))
    second = store.data_version("demo")
    assert second != first
    assert PriceStore(store.path).data_version("demo") == second  # survives reopening
    # The same history gives the same version; a different one never collides.
    twin = PriceStore(tmp_path / "b.sqlite3")
    twin.write("demo", frame({"SPY": {"2025-01-02": 100.0}}))
    assert twin.data_version("demo") == first
    other = PriceStore(tmp_path / "c.sqlite3")
    other.write("demo", frame({"SPY": {"2025-01-02": 99.0}}))
    assert other.data_version("demo") != first


def test_tz_aware_and_intraday_stamps_file_under_their_date(store: PriceStore) -> None:
    closes = pd.DataFrame(
        {"SPY": [100.0]},
        index=pd.DatetimeIndex(["2025-01-02 00:00"]).tz_localize("America/New_York"),
    )
    store.write("demo", closes)
    assert store.last_dates("demo") == {"SPY": date(2025, 1, 2)}


def test_a_failing_write_leaves_the_store_untouched(store: PriceStore) -> None:
    store.write("demo", frame({"SPY": {"2025-01-02": 100.0}}))
    version = store.data_version("demo")
    broken = pd.DataFrame(
        {"SPY": [101.0], "BAD": ["not a number"]},
        index=pd.DatetimeIndex(["2025-01-03"], name="date"),
    )
    with pytest.raises(ValueError, match="not a number"):
        store.write("demo", broken)
    assert store.last_dates("demo") == {"SPY": date(2025, 1, 2)}
    assert store.data_version("demo") == version


def test_refresh_records(store: PriceStore) -> None:
    assert store.last_refresh("demo") is None
    ok = RefreshRecord(datetime(2025, 1, 3, 22, tzinfo=UTC), True, "stored 10", date(2025, 1, 3))
    failed = RefreshRecord(datetime(2025, 1, 6, 22, tzinfo=UTC), False, "offline", None)
    store.record_refresh("demo", ok)
    store.record_refresh("yfinance", failed)
    assert store.last_refresh("demo") == ok
    assert store.last_refresh("yfinance") == failed
    store.record_refresh("demo", failed)
    assert store.last_refresh("demo") == failed


def test_an_unknown_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version=99")
    with pytest.raises(StoreError, match="layout 99"):
        PriceStore(path)


day_strategy = st.integers(min_value=0, max_value=30).map(
    lambda offset: (pd.Timestamp("2025-01-01") + pd.Timedelta(days=offset)).strftime("%Y-%m-%d")
)
close_strategy = st.floats(min_value=0.01, max_value=1e6, allow_nan=False)
batch_strategy = st.dictionaries(
    st.sampled_from(["SPY", "QQQ", "^GSPC"]),
    st.dictionaries(day_strategy, close_strategy, min_size=1, max_size=6),
    min_size=1,
)


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(batch_strategy, min_size=1, max_size=4))
def test_loading_after_writes_equals_merging_the_batches(
    batches: list[dict[str, dict[str, float]]],
) -> None:
    expected: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        store = PriceStore(Path(directory) / "prices.sqlite3")
        for batch in batches:
            changed = sum(
                expected.get(ticker, {}).get(day) != close
                for ticker, closes in batch.items()
                for day, close in closes.items()
            )
            assert store.write("demo", frame(batch)) == changed
            for ticker, closes in batch.items():
                expected.setdefault(ticker, {}).update(closes)
        loaded = store.load("demo")
    assert sorted(loaded.columns) == sorted(expected)
    for ticker, closes in expected.items():
        series = loaded[ticker].dropna()
        assert (
            dict(zip(pd.DatetimeIndex(series.index).strftime("%Y-%m-%d"), series, strict=True))
            == closes
        )


def test_loading_500_tickers_times_10_years_is_fast(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    index = pd.bdate_range(end="2025-12-31", periods=2520, name="date")
    tickers = [f"T{i:03d}" for i in range(500)]
    closes = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(index), len(tickers))), axis=0)),
        index=index,
        columns=tickers,
    )
    store = PriceStore(tmp_path / "big.sqlite3")
    assert store.write("synthetic", closes) == closes.size
    store.load("synthetic")
    started = time.perf_counter()
    loaded = store.load("synthetic")
    elapsed = time.perf_counter() - started
    np.testing.assert_array_equal(loaded.to_numpy(), closes.to_numpy())
    assert elapsed < 0.5  # typically 25-40 ms

"""The price store's layouts: older files move into the current layout in place, losing nothing."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.store import SCHEMA_VERSION, TAIL_LIMIT, PriceStore

FIXTURE = Path(__file__).parent / "fixtures" / "price_store_layout1"
#: The layout-1 file's data version, as the code that wrote it reported.
VERSION_BEFORE = "2-73f24218a692847f"


def expected(name: str, folder: Path = FIXTURE) -> pd.DataFrame:
    """Return the closes a fixture's code served, read back to the same bits."""
    frame = pd.read_csv(folder / name, index_col="date", parse_dates=True)
    frame.index = pd.DatetimeIndex(frame.index.astype("datetime64[ns]"), name="date")
    return frame.astype(np.float64)


@pytest.fixture
def layout1(tmp_path: Path) -> Path:
    path = tmp_path / "prices.sqlite3"
    shutil.copy(FIXTURE / "prices.sqlite3", path)
    return path


def test_a_layout1_store_opens_migrated_and_serves_the_same_closes(layout1: Path) -> None:
    store = PriceStore(layout1)

    pd.testing.assert_frame_equal(store.load("demo"), expected("demo.csv"))
    pd.testing.assert_frame_equal(store.load("csv:/data"), expected("csv.csv"))
    assert store.data_version("demo") == VERSION_BEFORE
    assert store.last_dates("demo") == dict.fromkeys(
        ["AAPL", "SPY", "XLK", "^GSPC"], date(2025, 6, 30)
    )
    last = store.last_refresh("demo")
    assert last is not None
    assert last.last_session == date(2025, 6, 30)
    with sqlite3.connect(layout1) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert connection.execute(
            "SELECT count(*) FROM series WHERE length(days) > 0 OR length(closes) > 0"
        ).fetchone() == (0,)
        years = connection.execute(
            "SELECT DISTINCT year FROM series_years WHERE source = 'demo' ORDER BY year"
        ).fetchall()
    assert years == [(2023,), (2024,), (2025,)]


def test_a_migrated_store_takes_a_new_session_and_keeps_the_old(layout1: Path) -> None:
    store = PriceStore(layout1)
    before = expected("demo.csv")
    session = pd.DataFrame(
        {"SPY": [101.5], "XLK": [55.25]}, index=pd.DatetimeIndex(["2025-07-01"], name="date")
    )

    written = store.write("demo", session)

    after = store.load("demo")
    assert written == 2
    pd.testing.assert_frame_equal(after.loc[:"2025-06-30"], before)
    assert list(after.loc["2025-07-01", ["SPY", "XLK"]]) == [101.5, 55.25]
    assert store.data_version("demo") != VERSION_BEFORE
    assert store.last_dates("demo")["SPY"] == date(2025, 7, 1)
    assert store.last_dates("demo")["AAPL"] == date(2025, 6, 30)


def test_opening_a_migrated_store_again_changes_nothing(layout1: Path) -> None:
    PriceStore(layout1).close()
    copy = layout1.read_bytes()

    store = PriceStore(layout1)

    pd.testing.assert_frame_equal(store.load("demo"), expected("demo.csv"))
    store.close()
    assert layout1.read_bytes() == copy


def test_a_new_session_rewrites_only_its_year(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "prices.sqlite3")
    days = pd.bdate_range("2023-01-02", "2025-06-27", name="date")
    history = pd.DataFrame({"SPY": np.linspace(100, 200, len(days))}, index=days)
    store.write("demo", history)
    with sqlite3.connect(tmp_path / "prices.sqlite3") as connection:
        old_years = connection.execute(
            "SELECT year, days, closes FROM series_years WHERE year < 2025 ORDER BY year"
        ).fetchall()

    store.write("demo", pd.DataFrame({"SPY": [201.0]}, index=pd.DatetimeIndex(["2025-06-30"])))

    with sqlite3.connect(tmp_path / "prices.sqlite3") as connection:
        assert (
            connection.execute(
                "SELECT year, days, closes FROM series_years WHERE year < 2025 ORDER BY year"
            ).fetchall()
            == old_years
        )
    loaded = store.load("demo")
    assert len(loaded) == len(days) + 1
    assert loaded["SPY"].iloc[-1] == 201.0
    assert loaded["SPY"].iloc[:-1].tolist() == history["SPY"].tolist()


def test_a_year_spanning_correction_merges_into_each_year(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "prices.sqlite3")
    days = pd.bdate_range("2024-12-02", "2025-01-31", name="date")
    store.write("demo", pd.DataFrame({"SPY": np.arange(len(days), dtype=float) + 1}, index=days))
    fixes = pd.DataFrame(
        {"SPY": [-1.0, -2.0]}, index=pd.DatetimeIndex(["2024-12-31", "2025-01-02"], name="date")
    )

    assert store.write("demo", fixes) == 2
    assert store.write("demo", fixes) == 0

    loaded = store.load("demo")["SPY"]
    assert loaded.loc["2024-12-31"] == -1.0
    assert loaded.loc["2025-01-02"] == -2.0
    assert len(loaded) == len(days)
    assert store.load("demo", end=date(2024, 12, 31)).index[-1] == pd.Timestamp("2024-12-31")


FIXTURE_2 = Path(__file__).parent / "fixtures" / "price_store_layout2"
#: The layout-2 file's data versions, as the code that wrote it reported.
VERSIONS_2 = {"demo": "9-df1c2bc479d3c47b", "csv:/data": "1-12d08d450cf47b43"}


@pytest.fixture
def layout2(tmp_path: Path) -> Path:
    path = tmp_path / "prices.sqlite3"
    shutil.copy(FIXTURE_2 / "prices.sqlite3", path)
    return path


def test_a_layout2_store_opens_migrated_and_serves_the_same_closes_bit_for_bit(
    layout2: Path,
) -> None:
    store = PriceStore(layout2)

    for source, name in (("demo", "demo.csv"), ("csv:/data", "csv.csv")):
        pd.testing.assert_frame_equal(
            store.load(source), expected(name, FIXTURE_2), check_exact=True
        )
        assert store.data_version(source) == VERSIONS_2[source]
    assert store.last_dates("demo") == dict.fromkeys(
        ["AAPL", "SPY", "XLK", "^GSPC"], date(2025, 6, 30)
    )
    last = store.last_refresh("demo")
    assert last is not None
    assert last.last_session == date(2025, 6, 30)
    assert store.source_marks("csv:/data") == {"SPY": "SPY.csv 1234 1751320800.0"}
    store.close()
    with sqlite3.connect(layout2) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_migrated_layout2_store_takes_sessions_past_a_full_tail_and_a_fix(
    layout2: Path,
) -> None:
    store = PriceStore(layout2)
    before = expected("demo.csv", FIXTURE_2)
    days = pd.bdate_range("2025-07-01", periods=TAIL_LIMIT + 2, name="date").as_unit("ns")
    sessions = pd.DataFrame(
        {"SPY": np.arange(len(days)) + 600.25, "XLK": np.arange(len(days)) + 190.5}, index=days
    )

    for day in range(len(days)):
        assert store.write("demo", sessions.iloc[day : day + 1]) == 2
    fix = pd.DataFrame({"AAPL": [1.25]}, index=pd.DatetimeIndex(["2024-03-11"], name="date"))
    assert store.write("demo", fix) == 1

    for reader in (store, PriceStore(layout2)):
        after = reader.load("demo")
        corrected = before.copy()
        corrected.loc["2024-03-11", "AAPL"] = 1.25
        pd.testing.assert_frame_equal(after.loc[:"2025-06-30"], corrected, check_exact=True)
        pd.testing.assert_frame_equal(
            after.loc["2025-07-01":, ["SPY", "XLK"]], sessions, check_exact=True, check_freq=False
        )
        assert reader.data_version("demo") != VERSIONS_2["demo"]
        assert reader.last_dates("demo")["SPY"] == days[-1].date()
        assert reader.last_dates("demo")["AAPL"] == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("layout", "version", "last_spy"),
    [(1, VERSION_BEFORE, date(2025, 6, 30)), (2, VERSIONS_2["demo"], date(2025, 6, 30))],
)
def test_an_older_store_on_a_read_only_disk_serves_its_closes(
    tmp_path: Path, mount_point: Callable[..., Path], layout: int, version: str, last_spy: date
) -> None:
    fixture = FIXTURE if layout == 1 else FIXTURE_2
    folder = tmp_path / "writable"
    folder.mkdir()
    shutil.copy(fixture / "prices.sqlite3", folder / "prices.sqlite3")
    read_only = mount_point("--bind", "-o", "ro", str(folder))

    store = PriceStore(read_only / "prices.sqlite3")

    assert store.read_only
    pd.testing.assert_frame_equal(
        store.load("demo"), expected("demo.csv", fixture), check_exact=True
    )
    assert store.data_version("demo") == version
    assert store.last_dates("demo")["SPY"] == last_spy
    store.close()

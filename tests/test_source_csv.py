"""The CSV directory source: file naming, column choice, cleaning and per-ticker failures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.calendar import sessions_in_range
from briefings.sources import open_source
from briefings.sources.base import PriceSource, SourceSpecError
from briefings.sources.csvdir import CsvDirectorySource
from briefings.universe import load_universe

END = date(2030, 1, 1)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def as_dict(series: pd.Series) -> dict[str, float]:
    return {
        pd.Timestamp(str(stamp)).date().isoformat(): value
        for stamp, value in series.dropna().items()
    }


def test_is_a_real_price_source_named_after_its_directory(tmp_path: Path) -> None:
    source: PriceSource = CsvDirectorySource(tmp_path / "." / "")
    assert source.name == f"csv:{tmp_path.resolve()}"
    assert source.simulated is False


def test_open_source_opens_a_csv_directory(tmp_path: Path) -> None:
    source = open_source(f"csv:{tmp_path}")
    assert isinstance(source, CsvDirectorySource)
    assert source.name == f"csv:{tmp_path.resolve()}"
    with pytest.raises(SourceSpecError, match="not found"):
        open_source(f"csv:{tmp_path / 'missing'}")


def test_reads_closes_sorted_without_gaps_or_duplicate_dates(tmp_path: Path) -> None:
    write(
        tmp_path,
        "SPY.csv",
        "Date,Close\n"
        "2025-01-03,102.0\n"
        "2025-01-02,101.0\n"
        "2025-01-06,\n"  # a gap
        "2025-01-07,null\n"  # Yahoo's spelling of a gap
        "2025-01-03,103.0\n",  # a corrected duplicate: the last one wins
    )
    result = CsvDirectorySource(tmp_path).fetch(["SPY"], None, END)
    assert result.failed == {}
    closes = result.closes
    assert closes.index.name == "date"
    assert pd.DatetimeIndex(closes.index).tz is None
    assert closes.index.is_monotonic_increasing
    assert closes["SPY"].dtype == np.float64
    assert as_dict(closes["SPY"]) == {"2025-01-02": 101.0, "2025-01-03": 103.0}


def test_prefers_adj_close_and_accepts_lower_case_headers(tmp_path: Path) -> None:
    write(tmp_path, "AAA.csv", "Date,Open,Close,Adj Close\n2025-01-02,9,10.0,9.5\n")
    write(tmp_path, "BBB.csv", "date,close\n2025-01-02,20.0\n")
    write(tmp_path, "CCC.csv", " date , adj close \n2025-01-02, 30.5\n")
    closes = CsvDirectorySource(tmp_path).fetch(["AAA", "BBB", "CCC"], None, END).closes
    assert closes.loc["2025-01-02"].to_dict() == {"AAA": 9.5, "BBB": 20.0, "CCC": 30.5}


def test_index_files_may_drop_the_caret(tmp_path: Path) -> None:
    write(tmp_path, "RUT.csv", "Date,Close\n2025-01-02,2200.5\n")
    write(tmp_path, "^GSPC.csv", "Date,Close\n2025-01-02,5868.55\n")
    write(tmp_path, "GSPC.csv", "Date,Close\n2025-01-02,1.0\n")
    closes = CsvDirectorySource(tmp_path).fetch(["^RUT", "^GSPC"], None, END).closes
    assert closes.loc["2025-01-02"].to_dict() == {"^RUT": 2200.5, "^GSPC": 5868.55}


def test_dates_with_times_and_utc_offsets_keep_their_session_date(tmp_path: Path) -> None:
    write(
        tmp_path,
        "QQQ.csv",
        "Date,Close\n2025-03-07 00:00:00-05:00,490.0\n2025-03-10 00:00:00-04:00,470.0\n",
    )
    closes = CsvDirectorySource(tmp_path).fetch(["QQQ"], None, END).closes
    assert as_dict(closes["QQQ"]) == {"2025-03-07": 490.0, "2025-03-10": 470.0}


def test_start_and_end_are_inclusive(tmp_path: Path) -> None:
    rows = "".join(f"2025-01-{day:02d},{day}.0\n" for day in (2, 3, 6, 7, 8))
    write(tmp_path, "SPY.csv", "Date,Close\n" + rows)
    closes = CsvDirectorySource(tmp_path).fetch(["SPY"], date(2025, 1, 3), date(2025, 1, 7)).closes
    assert as_dict(closes["SPY"]) == {"2025-01-03": 3.0, "2025-01-06": 6.0, "2025-01-07": 7.0}


def test_bad_files_fail_alone(tmp_path: Path) -> None:
    write(tmp_path, "SPY.csv", "Date,Close\n2025-01-02,100.0\n")
    write(tmp_path, "NOCLOSE.csv", "Date,Open\n2025-01-02,1.0\n")
    write(tmp_path, "EMPTY.csv", "")
    (tmp_path / "BINARY.csv").write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    result = CsvDirectorySource(tmp_path).fetch(
        ["SPY", "MISSING", "NOCLOSE", "EMPTY", "BINARY"], None, END
    )
    assert list(result.closes.columns) == ["SPY"]
    assert set(result.failed) == {"MISSING", "NOCLOSE", "EMPTY", "BINARY"}
    assert "MISSING.csv" in result.failed["MISSING"]
    assert "Close" in result.failed["NOCLOSE"]


def test_nothing_loadable_gives_an_empty_frame(tmp_path: Path) -> None:
    result = CsvDirectorySource(tmp_path).fetch(["SPY"], None, END)
    assert result.closes.empty
    assert result.closes.index.name == "date"
    assert set(result.failed) == {"SPY"}


def test_a_missing_directory_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SourceSpecError, match="not found"):
        CsvDirectorySource(tmp_path / "nowhere")
    not_a_directory = write(tmp_path, "file.csv", "Date,Close\n")
    with pytest.raises(SourceSpecError, match="not a directory"):
        CsvDirectorySource(not_a_directory)


@pytest.mark.market_data
def test_reads_the_shared_market_data(market_data_dir: Path) -> None:
    universe = load_universe()
    start, end = date(2025, 10, 1), date(2025, 12, 31)
    result = CsvDirectorySource(market_data_dir).fetch(universe.tickers, start, end)
    available = {path.stem for path in market_data_dir.glob("*.csv")}
    expected = [t for t in universe.tickers if t.removeprefix("^") in available]
    assert list(result.closes.columns) == expected
    assert set(result.failed) == set(universe.tickers) - set(expected)
    # Every file holds exactly the NYSE sessions of the quarter (see SOURCES.md).
    assert list(pd.DatetimeIndex(result.closes.index).date) == sessions_in_range(start, end)
    assert not result.closes.isna().any().any()
    assert result.closes.loc["2025-12-31", "^GSPC"] == pytest.approx(6845.50, abs=0.01)
    assert result.closes.loc["2025-12-31", "^NDX"] == pytest.approx(25249.85, abs=0.01)


@pytest.mark.market_data
def test_reads_long_index_history(market_data_dir: Path) -> None:
    closes = CsvDirectorySource(market_data_dir).fetch(["^RUT", "^GSPC"], None, END).closes
    assert closes.loc["2025-09-04", "^RUT"] == pytest.approx(2379.61, abs=0.01)
    assert closes["^GSPC"].first_valid_index() == pd.Timestamp("1927-12-30")
    assert closes["^RUT"].first_valid_index() == pd.Timestamp("2016-06-28")

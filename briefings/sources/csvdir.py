"""Daily closes from a directory of CSV files, one ``TICKER.csv`` per ticker.

Closes are passed on as the file gives them (a zero, negative or infinite close included) for the
sanity stage to judge; an empty or ``null`` cell is a gap. A file with a ``Stock Splits`` column
(as Yahoo's history exports have: 4.0 on the day of a 4-for-1 split, 0 otherwise) has its closes
before each split divided by the ratio when they are raw, i.e. when the close moves on that day
by nearer the split's ratio than by nothing; already adjusted closes are left as they are.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from briefings.sources.base import FetchResult, SourceError, SourceSpecError

#: Close columns in order of preference: the adjusted close wins when a file has both.
CLOSE_COLUMNS: tuple[str, ...] = ("adj close", "adj_close", "adjclose", "close")
DATE_COLUMNS: tuple[str, ...] = ("date", "datetime")
SPLIT_COLUMNS: tuple[str, ...] = ("stock splits", "stock_splits", "splits", "split")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class UnusableFileError(ValueError):
    """Raise when a ticker's CSV file cannot be turned into a close series."""


def read_close_series(path: Path) -> pd.Series:
    """Return the file's closes by session date: gaps dropped, sorted, last duplicate kept."""
    return read_close_file(path)[0]


def read_close_file(path: Path) -> tuple[pd.Series, dict[date, tuple[float, ...]]]:
    """Return the file's closes (as ``read_close_series``) and every close of a repeated date."""
    try:
        # One read of the file: the header is taken from the bytes the parser then reads.
        data = path.read_bytes()
        header = _header_names(data)
        by_name = {column.strip().lower(): column for column in header}
        date_column = next((by_name[c] for c in DATE_COLUMNS if c in by_name), None)
        close_column = next((by_name[c] for c in CLOSE_COLUMNS if c in by_name), None)
        split_column = next((by_name[c] for c in SPLIT_COLUMNS if c in by_name), None)
        if date_column is None or close_column is None:
            raise UnusableFileError(
                f"{path.name} needs a Date column and a Close or Adj Close column "
                f"(found: {', '.join(header) or 'no columns'})"
            )
        raw = pd.read_csv(
            io.BytesIO(data),
            usecols=[date_column, close_column, *([split_column] if split_column else [])],
            dtype={date_column: str},
            skipinitialspace=True,
            na_values=["null", "None", "-"],
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnusableFileError(f"cannot read {path.name}: {exc}") from exc
    dates = _parse_dates(raw[date_column], path)
    closes = pd.to_numeric(raw[close_column], errors="coerce").to_numpy(np.float64)
    usable = ~np.isnan(closes) & np.asarray(dates.notna())
    series = pd.Series(closes[usable], index=dates[usable], name=path.stem, dtype=np.float64)
    series = series.sort_index(kind="stable")
    repeated_rows = series.index.duplicated(keep=False)
    repeated: dict[date, tuple[float, ...]] = {}
    for stamp, value in series[repeated_rows].items():
        day = pd.Timestamp(str(stamp)).date()
        repeated[day] = (*repeated.get(day, ()), float(value))
    series = series[~series.index.duplicated(keep="last")]
    if split_column is not None:
        ratios = pd.to_numeric(raw[split_column], errors="coerce").to_numpy(np.float64)[usable]
        split = np.isfinite(ratios) & (ratios > 0) & (ratios != 1)
        splits = dict(zip(dates[usable][split], ratios[split], strict=True))
        series = _adjusted_for_splits(series, splits)
    series.index.name = "date"
    return series, repeated


def _header_names(data: bytes) -> list[str]:
    """Return the column names of a CSV file's first line, as pandas names them."""
    first_line = data.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    names = next(csv.reader([first_line], skipinitialspace=True), [])
    if not any(name.strip() for name in names):
        raise pd.errors.EmptyDataError("No columns to parse from file")
    return names


def _adjusted_for_splits(series: pd.Series, splits: dict[pd.Timestamp, float]) -> pd.Series:
    """Return raw closes divided by each later split's ratio (adjusted closes unchanged)."""
    adjusted = series.copy()
    for day, ratio in sorted(splits.items()):
        position = int(adjusted.index.searchsorted(day))
        if position == 0 or position >= len(adjusted) or adjusted.index[position] != day:
            continue
        before, after = float(adjusted.iloc[position - 1]), float(adjusted.iloc[position])
        if before <= 0 or after <= 0 or not np.isfinite(before * after):
            continue
        move = np.log(after / before)
        if abs(move + np.log(ratio)) < abs(move):  # the close fell by about the ratio: raw
            adjusted.iloc[:position] = adjusted.iloc[:position] / ratio
    return adjusted


def _parse_dates(text: pd.Series, path: Path) -> pd.DatetimeIndex:
    """Parse session dates, ignoring any time of day or UTC offset (Yahoo exports carry both)."""
    try:
        parsed = pd.to_datetime(text, format="%Y-%m-%d")
    except (ValueError, TypeError):
        parsed = _parse_unusual_dates(text.astype(str).str.strip(), path)
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
    return pd.DatetimeIndex(index.normalize().astype("datetime64[ns]"))


def _parse_unusual_dates(text: pd.Series, path: Path) -> pd.Series:
    try:
        if text.str.match(_ISO_DATE).all():
            # The calendar date leads; a time or a UTC offset after it does not change the session.
            return pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        return pd.to_datetime(text, errors="coerce", format="mixed")
    except (ValueError, TypeError) as exc:
        raise UnusableFileError(f"{path.name}: unreadable dates ({exc})") from exc


#: An index folder under DIR: ``DIR/<index>/members.csv`` plus one ``TICKER.csv`` per member.
MEMBERS_FILE = "members.csv"


class CsvDirectorySource:
    """Closes from ``DIR/TICKER.csv``; ``^GSPC`` may be stored as ``GSPC.csv``.

    Index members' files live in index folders, ``DIR/<index>/TICKER.csv`` beside that folder's
    ``members.csv``; a ticker at the top level is read from there first.
    """

    def __init__(self, directory: Path) -> None:
        try:
            resolved = Path(directory).expanduser().resolve()
        except RuntimeError:  # ~user of a user that does not exist
            raise SourceSpecError(
                f"cannot expand {str(directory)!r}: no such home directory"
            ) from None
        if not resolved.exists():
            raise SourceSpecError(f"CSV directory not found: {resolved}")
        if not resolved.is_dir():
            raise SourceSpecError(f"not a directory: {resolved} (csv:DIR needs a directory)")
        self.directory = resolved

    @property
    def name(self) -> str:
        """Return "csv:" plus the resolved directory."""
        return f"csv:{self.directory}"

    @property
    def simulated(self) -> bool:
        """Return False: these are whatever real closes the files hold."""
        return False

    def file_for(self, ticker: str, files: dict[str, Path]) -> Path | None:
        """Return the file serving ``ticker`` among ``files`` (keyed by upper-case stem)."""
        for stem in (ticker, ticker.removeprefix("^")):
            found = files.get(stem.upper())
            if found is not None:
                return found
        return None

    def _listing(self) -> dict[str, Path]:
        """Return the CSV files by upper-case stem: index folders' members first, then the
        directory's own files (which win a clash)."""
        entries = self._entries(self.directory)
        files: dict[str, Path] = {}
        for folder in sorted(e.path for e in entries if _is_dir(e)):
            if not (Path(folder) / MEMBERS_FILE).is_file():
                continue
            files.update(
                (Path(e.name).stem.upper(), Path(e.path))
                for e in sorted(self._entries(Path(folder)), key=lambda e: e.name)
                if _is_csv(e) and e.name != MEMBERS_FILE
            )
        files.update(
            (Path(e.name).stem.upper(), Path(e.path))
            for e in sorted(entries, key=lambda e: e.name)
            if _is_csv(e)
        )
        return files

    @staticmethod
    def _entries(directory: Path) -> list[os.DirEntry[str]]:
        """Return the entries of ``directory`` (a SourceError when it cannot be listed)."""
        # DirEntry knows a file from a folder without a stat call per file.
        try:
            with os.scandir(directory) as listing:
                return list(listing)
        except OSError as exc:
            raise SourceError(f"cannot list CSV directory {directory}: {exc}") from exc

    def change_marks(self, tickers: Sequence[str]) -> dict[str, str]:
        """Return each ticker's file as path, size and modification time (no file: no mark)."""
        files = self._listing()
        marks: dict[str, str] = {}
        for ticker in dict.fromkeys(tickers):
            path = self.file_for(ticker, files)
            if path is None:
                continue
            try:
                status = path.stat()
            except OSError:
                continue
            marks[ticker] = f"{path}\0{status.st_size}\0{status.st_mtime_ns}"
        return marks

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        """Return closes for ``tickers`` from ``start`` (None: all history) to ``end``.

        Each ticker fails on its own (listed in ``failed``); the others still load.
        """
        files = self._listing()
        columns: dict[str, pd.Series] = {}
        failed: dict[str, str] = {}
        repeated: dict[str, dict[date, tuple[float, ...]]] = {}
        for ticker in dict.fromkeys(tickers):
            path = self.file_for(ticker, files)
            if path is None:
                failed[ticker] = f"no {ticker.removeprefix('^')}.csv in {self.directory}"
                continue
            try:
                series, repeats = read_close_file(path)
            except UnusableFileError as exc:
                failed[ticker] = str(exc)
                continue
            first = pd.Timestamp(start) if start is not None else None
            columns[ticker] = series.loc[first : pd.Timestamp(end)]
            wanted = {d: v for d, v in repeats.items() if (start or d) <= d <= end}
            if wanted:
                repeated[ticker] = wanted
        if columns:
            closes = pd.DataFrame(columns, dtype=np.float64).sort_index()
        else:
            closes = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
        closes.index.name = "date"
        return FetchResult(closes=closes, failed=failed, repeated=repeated)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Return whether ``entry`` is a folder (or a link to one); False when it cannot be read."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_csv(entry: os.DirEntry[str]) -> bool:
    """Return whether ``entry`` is a .csv file (or a link to one)."""
    try:
        return Path(entry.name).suffix.lower() == ".csv" and entry.is_file()
    except OSError:
        return False

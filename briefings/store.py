"""The local SQLite price store: each ticker's closes as one compact blob, filed per source.

A row of ``series`` holds one ticker's whole history for one source: ``days`` is little-endian
int32 days since 1970-01-01, ``closes`` the matching little-endian float64 closes, ascending.
Reading 500 tickers x 10 years is then 500 row fetches and a few numpy calls, not 1.26M rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.storage import (
    StorageFault,
    check_sqlite_header,
    describe,
    prepare_database_file,
)

DayArray = npt.NDArray[np.int32]
CloseArray = npt.NDArray[np.float64]

SCHEMA_VERSION = 1
_DAY_DTYPE = np.dtype("<i4")
_CLOSE_DTYPE = np.dtype("<f8")
_EPOCH = date(1970, 1, 1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    source TEXT NOT NULL,
    ticker TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    n INTEGER NOT NULL,
    days BLOB NOT NULL,
    closes BLOB NOT NULL,
    PRIMARY KEY (source, ticker)
);
CREATE TABLE IF NOT EXISTS versions (
    source TEXT PRIMARY KEY,
    writes INTEGER NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refreshes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    message TEXT NOT NULL,
    last_session TEXT
);
CREATE INDEX IF NOT EXISTS refreshes_by_source ON refreshes (source, id);
"""
#: What each ticker's data looked like when last read (a CSV file's path, size and mtime), so
#: an unchanged file is not read again; made on the first write where an older store lacks it.
_MARKS_SCHEMA = """CREATE TABLE IF NOT EXISTS source_marks (
    source TEXT NOT NULL,
    ticker TEXT NOT NULL,
    mark TEXT NOT NULL,
    PRIMARY KEY (source, ticker)
)"""
#: Longest ticker list sent as SQL parameters; longer requests read the source's every row.
_MAX_IN_LIST = 500
#: Refresh records kept per source; older ones are pruned.
REFRESH_HISTORY = 100
#: How long a write waits for another writer (a refresh in another process) before failing.
WRITE_TIMEOUT_SECONDS = 10.0
#: How long a read waits when another process holds the file exclusively.
READ_TIMEOUT_SECONDS = 2.0
#: Columns of the ``series`` table this version reads.
_SERIES_COLUMNS = {"source", "ticker", "first_day", "last_day", "n", "days", "closes"}


class StoreError(StorageFault):
    """Raise when the store file cannot be opened or has an unknown layout."""


class StoreWriteError(StoreError):
    """Raise when a write to the store fails (disk full, read-only, locked); reads still work."""


@dataclass(frozen=True)
class RefreshRecord:
    """One refresh attempt: when it ran, whether it worked, and the session it reached."""

    when: datetime
    ok: bool
    message: str
    last_session: date | None


def _day_numbers(index: pd.DatetimeIndex) -> DayArray:
    days: DayArray = index.to_numpy().astype("datetime64[D]").astype(np.int64).astype(np.int32)
    return days


def _day_number(day: date) -> int:
    return (day - _EPOCH).days


def _merge(
    old_days: DayArray, old_closes: CloseArray, new_days: DayArray, new_closes: CloseArray
) -> tuple[DayArray, CloseArray, int]:
    """Return the union of two sorted series (new values win) and how many closes changed."""
    position = np.searchsorted(old_days, new_days)
    inside = position < len(old_days)
    known = np.zeros(len(new_days), dtype=bool)
    known[inside] = old_days[position[inside]] == new_days[inside]
    unchanged = np.zeros(len(new_days), dtype=bool)
    unchanged[known] = old_closes[position[known]] == new_closes[known]
    changed = int(len(new_days) - unchanged.sum())
    if changed == 0:
        return old_days, old_closes, 0
    days = np.concatenate((old_days, new_days))
    closes = np.concatenate((old_closes, new_closes))
    # Stable sort keeps old before new on equal days; keeping the last of each day keeps new.
    order = np.argsort(days, kind="stable")
    days, closes = days[order], closes[order]
    last_of_day = np.append(days[1:] != days[:-1], True)
    return days[last_of_day], closes[last_of_day], changed


class PriceStore:
    """Daily closes per (source, ticker) in one SQLite file (WAL mode, transactional writes)."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the store; raise StoreError naming the file and the fix.

        Reads go through one connection opened here and kept, so they need no new file or
        free disk later; when the file cannot be written (a read-only directory) it is opened
        read-only and only writes fail, with StoreWriteError.
        """
        self.path = Path(path)
        self._read_lock = threading.Lock()
        try:
            prepare_database_file(self.path)
            check_sqlite_header(self.path)
        except StorageFault as exc:
            raise StoreError(str(exc), kind=exc.kind, usage=exc.usage) from None
        self._write_fault: StoreError | None = None
        self._reader, self.read_only = self._open_reader()
        self._check_layout()

    def _open_reader(self) -> tuple[sqlite3.Connection, bool]:
        """Open the read connection: normally, else read-only, else immutable (read-only media)."""
        uri = self.path.resolve().as_uri()
        last: sqlite3.Error | None = None
        for target, read_only in ((uri, False), (f"{uri}?mode=ro", True),
                                  (f"{uri}?immutable=1", True)):  # fmt: skip
            try:
                connection = sqlite3.connect(
                    target,
                    uri=True,
                    timeout=READ_TIMEOUT_SECONDS,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                connection.close()
                if describe(self.path, exc).kind in ("corrupt", "busy"):
                    raise self._fault(exc, "open the price store") from None
                last = exc
                continue
            if read_only and last is not None:
                # Why a normal open failed (read-only medium, full disk) is why writes will.
                self._write_fault = self._fault(last, "update the price store", write=True)
            return connection, read_only
        assert last is not None
        raise self._fault(last, "open the price store")

    def _check_layout(self) -> None:
        """Create the tables in a new file; refuse a file of another layout."""
        with self._read() as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                str(row[0])
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            columns = {str(row[1]) for row in connection.execute("PRAGMA table_info(series)")}
            mode = str(connection.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        ours = {"series", "versions", "refreshes"}
        if version not in (0, SCHEMA_VERSION):
            raise StoreError(
                f"{self.path} has store layout {version}; this version reads {SCHEMA_VERSION}. "
                "Move it aside (a new one is filled by `marketbrief refresh`)"
            )
        if (tables and not ours & tables) or ("series" in tables and columns != _SERIES_COLUMNS):
            raise StoreError(
                f"{self.path} is not a marketbrief price store (other tables); move it aside "
                "(a new one is filled by `marketbrief refresh`)",
                kind="corrupt",
            )
        if version == SCHEMA_VERSION and ours <= tables and (mode == "wal" or self.read_only):
            return  # nothing to write: a read-only or full disk can still serve reads
        if self.read_only:
            raise StoreError(
                str(self._write_fault or f"cannot set up {self.path}: it is read-only"),
                kind="read_only",
            )
        try:
            with self._connect() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(_SCHEMA)
                connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise self._fault(exc, "set up the price store") from None

    def _fault(self, error: BaseException, doing: str, write: bool = False) -> StoreError:
        fault = describe(self.path, error, doing)
        kind = StoreWriteError if write else StoreError
        return kind(str(fault), kind=fault.kind)

    def close(self) -> None:
        """Close the read connection (writes open their own)."""
        with self._read_lock:
            self._reader.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Serialize reads on the kept connection; turn SQLite errors into StoreError."""
        with self._read_lock:
            try:
                yield self._reader
            except sqlite3.Error as exc:
                raise self._fault(exc, "read the price store") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A short-lived connection per write: safe from any thread, and cheap next to a fetch.
        connection = sqlite3.connect(self.path, timeout=WRITE_TIMEOUT_SECONDS, isolation_level=None)
        try:
            connection.execute("PRAGMA synchronous=NORMAL")
            yield connection
        finally:
            connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; raise StoreWriteError when it cannot commit.

        A failed write rolls back whole: what was stored before stays as it was.
        """
        if self.read_only:
            raise self._write_fault or StoreWriteError(
                f"cannot update {self.path}: it is read-only", kind="read_only"
            )
        try:
            with self._connect() as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                # The kept read connection means this one is never the last to close, so
                # SQLite would leave the commit in the -wal file: fold it into the main file.
                with contextlib.suppress(sqlite3.Error):  # committed: the WAL still holds it
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            raise self._fault(exc, "update the price store", write=True) from None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Lend the kept read connection to a table kept beside the closes (index holdings)."""
        with self._read() as connection:
            yield connection

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """Lend one write transaction to a table kept beside the closes (StoreWriteError)."""
        with self._transaction() as connection:
            yield connection

    def write(self, source: str, closes: pd.DataFrame, *, replace: Collection[str] = ()) -> int:
        """Upsert a wide frame of closes (NaN: no close); return how many were new or changed.

        Tickers in ``replace`` drop their stored history first: a source restated it (an
        adjusted close after a split or dividend), so old and new closes must not mix.
        """
        if closes.empty:
            return 0
        index = pd.DatetimeIndex(closes.index)
        if index.tz is not None:
            index = index.tz_localize(None)
        all_days = _day_numbers(index.normalize())
        total_changed = 0
        digest = hashlib.blake2b(digest_size=16)
        with self._transaction() as connection:
            for ticker in closes.columns:
                values = closes[ticker].to_numpy(dtype=np.float64, na_value=np.nan)
                present = ~np.isnan(values)
                if not present.any():
                    continue
                order = np.argsort(all_days[present], kind="stable")
                new_days = all_days[present][order]
                new_closes = values[present][order]
                # A frame with a repeated date: the later row wins, as in the CSV reader.
                keep = np.append(new_days[1:] != new_days[:-1], True)
                new_days, new_closes = new_days[keep], new_closes[keep]
                if ticker in replace:
                    old_days, old_closes = np.empty(0, np.int32), np.empty(0, np.float64)
                else:
                    old_days, old_closes = self._read_series(connection, source, str(ticker))
                days, merged, changed = _merge(old_days, old_closes, new_days, new_closes)
                if changed == 0:
                    continue
                total_changed += changed
                day_bytes = days.astype(_DAY_DTYPE).tobytes()
                close_bytes = merged.astype(_CLOSE_DTYPE).tobytes()
                digest.update(str(ticker).encode() + b"\0" + day_bytes + close_bytes)
                connection.execute(
                    "INSERT OR REPLACE INTO series"
                    " (source, ticker, first_day, last_day, n, days, closes)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (source, str(ticker), int(days[0]), int(days[-1]), len(days), day_bytes,
                     close_bytes),
                )  # fmt: skip
            if total_changed:
                self._bump_version(connection, source, digest.hexdigest())
        return total_changed

    @staticmethod
    def _read_series(
        connection: sqlite3.Connection, source: str, ticker: str
    ) -> tuple[DayArray, CloseArray]:
        row = connection.execute(
            "SELECT days, closes FROM series WHERE source = ? AND ticker = ?", (source, ticker)
        ).fetchone()
        if row is None:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64)
        days: DayArray = np.frombuffer(row[0], dtype=_DAY_DTYPE).astype(np.int32)
        closes: CloseArray = np.frombuffer(row[1], dtype=_CLOSE_DTYPE).astype(np.float64)
        return days, closes

    @staticmethod
    def _bump_version(connection: sqlite3.Connection, source: str, change_digest: str) -> None:
        row = connection.execute(
            "SELECT writes, digest FROM versions WHERE source = ?", (source,)
        ).fetchone()
        writes, previous = (0, "") if row is None else (int(row[0]), str(row[1]))
        # Chained digest of every change: a rebuilt store with other data never reuses a version.
        digest = hashlib.blake2b((previous + change_digest).encode(), digest_size=8).hexdigest()
        connection.execute(
            "INSERT OR REPLACE INTO versions (source, writes, digest) VALUES (?, ?, ?)",
            (source, writes + 1, digest),
        )

    def load(
        self, source: str, tickers: Sequence[str] | None = None, end: date | None = None
    ) -> pd.DataFrame:
        """Return the source's closes as a wide frame (dates ascending, NaN where missing).

        Columns follow ``tickers`` (stored ones only) or, when None, every stored ticker sorted.
        """
        wanted = None if tickers is None else list(dict.fromkeys(tickers))
        query = "SELECT ticker, days, closes FROM series WHERE source = ?"
        parameters: list[str] = [source]
        if wanted is not None and len(wanted) <= _MAX_IN_LIST:
            query += f" AND ticker IN ({', '.join('?' * len(wanted))})"
            parameters += wanted
        with self._read() as connection:
            rows = connection.execute(query, parameters).fetchall()
        stored = {str(row[0]): (row[1], row[2]) for row in rows}
        names = sorted(stored) if wanted is None else [t for t in wanted if t in stored]
        last_day = _day_number(end) if end is not None else None
        series: list[tuple[DayArray, CloseArray]] = []
        for name in names:
            day_bytes, close_bytes = stored[name]
            days = np.frombuffer(day_bytes, dtype=_DAY_DTYPE)
            closes = np.frombuffer(close_bytes, dtype=_CLOSE_DTYPE)
            if last_day is not None:
                cut = int(np.searchsorted(days, last_day, side="right"))
                days, closes = days[:cut], closes[:cut]
            series.append((days, closes))
        return _wide_frame(names, series)

    def last_dates(self, source: str) -> dict[str, date]:
        """Return each stored ticker's last date for the source."""
        with self._read() as connection:
            rows = connection.execute(
                "SELECT ticker, last_day FROM series WHERE source = ?", (source,)
            ).fetchall()
        return {
            str(ticker): date.fromordinal(_EPOCH.toordinal() + int(day)) for ticker, day in rows
        }

    def source_marks(self, source: str) -> dict[str, str]:
        """Return the change mark of each ticker's data as last stored (see ``save_marks``)."""
        with self._read() as connection:
            if not _has_table(connection, "source_marks"):
                return {}
            rows = connection.execute(
                "SELECT ticker, mark FROM source_marks WHERE source = ?", (source,)
            ).fetchall()
        return {str(ticker): str(mark) for ticker, mark in rows}

    def save_marks(self, source: str, marks: Mapping[str, str]) -> None:
        """Keep the change marks of tickers whose data was read and stored in full."""
        if not marks:
            return
        with self._transaction() as connection:
            connection.execute(_MARKS_SCHEMA)
            connection.executemany(
                "INSERT OR REPLACE INTO source_marks (source, ticker, mark) VALUES (?, ?, ?)",
                [(source, ticker, mark) for ticker, mark in marks.items()],
            )

    def data_version(self, source: str) -> str:
        """Return a token that changes whenever the source's stored closes change."""
        with self._read() as connection:
            row = connection.execute(
                "SELECT writes, digest FROM versions WHERE source = ?", (source,)
            ).fetchone()
        return "0" if row is None else f"{row[0]}-{row[1]}"

    def record_refresh(self, source: str, record: RefreshRecord) -> None:
        """File a refresh attempt for the source, keeping the last REFRESH_HISTORY of them."""
        when = record.when if record.when.tzinfo else record.when.replace(tzinfo=UTC)
        last = record.last_session.isoformat() if record.last_session else None
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO refreshes (source, at, ok, message, last_session)"
                " VALUES (?, ?, ?, ?, ?)",
                (source, when.isoformat(), int(record.ok), record.message, last),
            )
            connection.execute(
                "DELETE FROM refreshes WHERE source = ? AND id NOT IN"
                " (SELECT id FROM refreshes WHERE source = ? ORDER BY id DESC LIMIT ?)",
                (source, source, REFRESH_HISTORY),
            )

    def last_refresh(self, source: str) -> RefreshRecord | None:
        """Return the source's most recent refresh attempt, if any."""
        with self._read() as connection:
            row = connection.execute(
                "SELECT at, ok, message, last_session FROM refreshes WHERE source = ?"
                " ORDER BY id DESC LIMIT 1",
                (source,),
            ).fetchone()
        if row is None:
            return None
        return RefreshRecord(
            when=datetime.fromisoformat(row[0]),
            ok=bool(row[1]),
            message=str(row[2]),
            last_session=date.fromisoformat(row[3]) if row[3] else None,
        )


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def _wide_frame(names: list[str], series: list[tuple[DayArray, CloseArray]]) -> pd.DataFrame:
    """Align per-ticker (days, closes) on the union of their days; NaN where a ticker lacks one."""
    if not series:
        index = pd.DatetimeIndex([], dtype="datetime64[ns]", name="date")
        return pd.DataFrame(index=index, columns=names, dtype=np.float64)
    first_days = series[0][0]
    if all(np.array_equal(days, first_days) for days, _ in series):
        # The usual case, one shared calendar: stack rows and transpose to a column-major
        # matrix, which pandas holds without another copy.
        union = np.asarray(first_days, dtype=np.int64)
        matrix = np.array([closes for _, closes in series], dtype=np.float64).T
    else:
        union = np.unique(np.concatenate([days for days, _ in series])).astype(np.int64)
        matrix = np.full((len(union), len(series)), np.nan, order="F")
        for column, (days, closes) in enumerate(series):
            matrix[np.searchsorted(union, days), column] = closes
    index = pd.DatetimeIndex(union.astype("datetime64[D]").astype("datetime64[ns]"), name="date")
    return pd.DataFrame(matrix, index=index, columns=names, copy=False)

"""The local SQLite price store: each ticker's closes as compact blobs, one per year, per source.

A row of ``series_years`` holds one ticker's closes of one calendar year for one source: ``days``
is little-endian int32 days since 1970-01-01, ``closes`` the matching little-endian float64
closes, ascending. Reading 500 tickers x 10 years is then 5,000 row fetches and a few numpy calls,
not 1.26M rows. A row of ``series`` keeps each ticker's first and last day and count, and in its
blobs the ticker's tail: its newest closes, after every year row's, in the same encoding. A new
session goes into the tail (a row of a few hundred bytes at most) rather than the current year's
row (up to 3 KB), so SQLite writes far fewer pages; a write that changes a stored close, or
would grow a tail past ``TAIL_LIMIT`` closes, first folds that tail into the years. Layout 2
kept the tails empty; layout 1 kept the whole history in ``series``, and is moved into years in
place when opened.
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

SCHEMA_VERSION = 3
#: The layout that kept each ticker's whole history in one ``series`` row.
LEGACY_VERSION = 1
#: The layout that kept every close in ``series_years`` (the ``series`` blobs empty).
YEARS_VERSION = 2
#: Most closes a ticker's tail holds (about six weeks of sessions): an append past it folds the
#: tail into the years, so a write costs a year's rewrite once in this many sessions.
TAIL_LIMIT = 32
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
CREATE TABLE IF NOT EXISTS series_years (
    source TEXT NOT NULL,
    ticker TEXT NOT NULL,
    year INTEGER NOT NULL,
    days BLOB NOT NULL,
    closes BLOB NOT NULL,
    PRIMARY KEY (source, ticker, year)
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
#: Which generation of a simulated source's code made its stored closes (``start_generation``).
_GENERATIONS_SCHEMA = """CREATE TABLE IF NOT EXISTS generations (
    source TEXT PRIMARY KEY,
    generation TEXT NOT NULL
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


@dataclass(frozen=True)
class _YearPart:
    """A ticker's new closes within one calendar year, as the blobs the store keeps."""

    year: int
    days: bytes
    closes: bytes
    first_day: int
    last_day: int
    appended: bool
    """True when every day is after the ticker's last stored close: no merge needed."""

    @property
    def size(self) -> int:
        """Return how many closes the part holds."""
        return len(self.days) // _DAY_DTYPE.itemsize

    def digest_input(self, ticker: str) -> bytes:
        """Return what the change digest takes in for these closes of ``ticker``."""
        return f"{ticker}\0{self.year}\0".encode() + self.days + self.closes

    def merged_into(self, old: tuple[bytes, bytes]) -> tuple[tuple[bytes, bytes], int, int]:
        """Return the year's blobs with these closes in (new win), how many changed and added."""
        size = self.size
        if self.appended or not old[0] or _last_day(old[0]) < self.first_day:
            return (old[0] + self.days, old[1] + self.closes), size, size
        old_days = np.frombuffer(old[0], dtype=_DAY_DTYPE).astype(np.int32)
        old_closes = np.frombuffer(old[1], dtype=_CLOSE_DTYPE).astype(np.float64)
        new_days = np.frombuffer(self.days, dtype=_DAY_DTYPE).astype(np.int32)
        new_closes = np.frombuffer(self.closes, dtype=_CLOSE_DTYPE).astype(np.float64)
        days, closes, changed = _merge(old_days, old_closes, new_days, new_closes)
        blobs = (days.astype(_DAY_DTYPE).tobytes(), closes.astype(_CLOSE_DTYPE).tobytes())
        return blobs, changed, len(days) - len(old_days)


@dataclass(frozen=True)
class _FrameColumns:
    """A wide frame of closes as day numbers, years and a column-major matrix."""

    tickers: list[str]
    days: DayArray
    years: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float64]
    present: npt.NDArray[np.bool_]
    ordered: bool
    """True when the dates ascend with no repeats: no column needs sorting or deduplicating."""

    @classmethod
    def of(cls, closes: pd.DataFrame) -> _FrameColumns:
        """Return the frame's columns ready for writing."""
        index = pd.DatetimeIndex(closes.index)
        if index.tz is not None:
            index = index.tz_localize(None)
        days = _day_numbers(index.normalize())
        matrix = np.asfortranarray(closes.to_numpy(dtype=np.float64, na_value=np.nan))
        return cls(
            tickers=[str(t) for t in closes.columns.tolist()],
            days=days,
            years=_years(days),
            matrix=matrix,
            present=~np.isnan(matrix),
            ordered=bool(np.all(days[1:] > days[:-1])),
        )

    def parts(self, column: int, stored_last: int | None) -> list[_YearPart]:
        """Return a column's closes cut by year (the later of a repeated date wins)."""
        present = self.present[:, column]
        if present.all():
            days, closes, years = self.days, self.matrix[:, column], self.years
        elif present.any():
            days, closes = self.days[present], self.matrix[present, column]
            years = self.years[present]
        else:
            return []
        if not self.ordered:
            order = np.argsort(days, kind="stable")
            keep = np.append(days[order][1:] != days[order][:-1], True)
            days, closes, years = days[order][keep], closes[order][keep], years[order][keep]
        appended = stored_last is not None and int(days[0]) > stored_last
        return [
            _YearPart(
                year=year,
                days=part_days.astype(_DAY_DTYPE).tobytes(),
                closes=part_closes.astype(_CLOSE_DTYPE).tobytes(),
                first_day=int(part_days[0]),
                last_day=int(part_days[-1]),
                appended=appended,
            )
            for part_days, part_closes, year in _by_year(days, closes, years)
        ]


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
        if version not in (0, LEGACY_VERSION, YEARS_VERSION, SCHEMA_VERSION):
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
        current = version == SCHEMA_VERSION and ours | {"series_years"} <= tables
        if (current and mode == "wal") or (self.read_only and version != 0 and ours <= tables):
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
                connection.execute("BEGIN IMMEDIATE")
                if version in (0, LEGACY_VERSION):
                    # Only layout 1 keeps whole histories in ``series``; later blobs are tails.
                    _split_whole_histories(connection)
                connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                connection.execute("COMMIT")
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

    def side_table_columns(self, table: str) -> set[str]:
        """Return the columns of a table kept beside the closes; empty when it does not exist."""
        with self.reading() as connection:
            return {str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})")}

    def prepare_side_table(self, table: str, schema: str, columns: Collection[str]) -> None:
        """Create a table kept beside the closes; one of another layout is dropped and made anew.

        Only for tables whose rows can be made again (holdings are refetched, recent closes are
        judged again). A read-only store, or a full or locked disk, leaves the file as it is:
        writing the table later says so.
        """
        if self.read_only or self.side_table_columns(table) == set(columns):
            return
        try:
            with self.writing() as connection:
                if self.side_table_columns(table):
                    connection.execute(f"DROP TABLE {table}")
                connection.executescript(schema)
        except StoreWriteError:
            pass

    def generation(self, source: str) -> str | None:
        """Return the generation of the source's stored closes (a simulation's), None if unset."""
        if "generation" not in self.side_table_columns("generations"):
            return None
        with self.reading() as connection:
            row = connection.execute(
                "SELECT generation FROM generations WHERE source = ?", (source,)
            ).fetchone()
        return None if row is None else str(row[0])

    def start_generation(self, source: str, generation: str) -> None:
        """Forget every close stored for ``source`` and file the ones to come as ``generation``.

        For a simulated source whose generator changed: its old closes must not mix with the
        new. The data version moves on with the next write (StoreWriteError when it cannot).
        """
        self.prepare_side_table("generations", _GENERATIONS_SCHEMA, {"source", "generation"})
        marks = bool(self.side_table_columns("source_marks"))
        with self.writing() as connection:
            for table in ("series", "series_years", *(("source_marks",) if marks else ())):
                connection.execute(f"DELETE FROM {table} WHERE source = ?", (source,))
            connection.execute(
                "INSERT OR REPLACE INTO generations (source, generation) VALUES (?, ?)",
                (source, generation),
            )
            # Readers that cache by data version must not serve the forgotten closes.
            connection.execute(
                "UPDATE versions SET writes = writes + 1, digest = ? WHERE source = ?",
                (f"generation {generation}", source),
            )

    def write(self, source: str, closes: pd.DataFrame, *, replace: Collection[str] = ()) -> int:
        """Upsert a wide frame of closes (NaN: no close); return how many were new or changed.

        A new session is appended to each ticker's tail, whatever the history's length; a
        write that changes stored closes (or fills a tail) reads and rewrites only the years
        it touches and those its tails fold into. Tickers
        in ``replace`` drop their stored history first: a source restated it (an adjusted close
        after a split or dividend), so old and new closes must not mix.
        """
        if closes.empty:
            return 0
        frame = _FrameColumns.of(closes)
        # The digest of what changed, not of whole histories: a write costs what it adds.
        digest = hashlib.blake2b(digest_size=16)
        total_changed = 0
        with self._transaction() as connection:
            heads = _heads(connection, source)
            appends: list[tuple[int, int, bytes, bytes, str, str]] = []
            rewrites: list[tuple[str, list[_YearPart]]] = []
            for column, ticker in enumerate(frame.tickers):
                head = None if ticker in replace else heads.get(ticker)
                parts = frame.parts(column, None if head is None else head.last_day)
                if not parts:
                    continue
                added = sum(part.size for part in parts)
                if head is None or not parts[0].appended or head.tail + added > TAIL_LIMIT:
                    rewrites.append((ticker, parts))
                    continue
                for part in parts:
                    digest.update(part.digest_input(ticker))
                total_changed += added
                appends.append(
                    (
                        parts[-1].last_day,
                        head.count + added,
                        b"".join((head.tail_days, *(part.days for part in parts))),
                        b"".join((head.tail_closes, *(part.closes for part in parts))),
                        source,
                        ticker,
                    )
                )
            if rewrites:
                total_changed += _rewrite_years(
                    connection, source, rewrites, heads, replace, digest
                )
            # SQLite rewrites only the small ``series`` row; the year rows are not read at all.
            # (Not ``days || ?``: SQL's || makes text of blobs.)
            connection.executemany(
                "UPDATE series SET last_day = ?, n = ?, days = ?, closes = ?"
                " WHERE source = ? AND ticker = ?",
                appends,
            )
            if total_changed:
                self._bump_version(connection, source, digest.hexdigest())
        return total_changed

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
        self,
        source: str,
        tickers: Sequence[str] | None = None,
        end: date | None = None,
        start: date | None = None,
    ) -> pd.DataFrame:
        """Return the source's closes as a wide frame (dates ascending, NaN where missing).

        Columns follow ``tickers`` (stored ones only) or, when None, every stored ticker sorted.
        ``start`` and ``end`` bound the dates read (inclusive); the years outside are not read.
        """
        wanted = None if tickers is None else list(dict.fromkeys(tickers))
        where = "WHERE source = ?"
        parameters: list[object] = [source]
        if wanted is not None and len(wanted) <= _MAX_IN_LIST:
            where += f" AND ticker IN ({', '.join('?' * len(wanted))})"
            parameters += wanted
        with self._read() as connection:
            # The tails, after the years; layout 1's whole histories where a read-only file
            # could not be moved into years (it has no year rows).
            tails = connection.execute(
                f"SELECT ticker, days, closes FROM series {where} AND length(days) > 0",
                parameters,
            ).fetchall()
            rows = []
            if _has_table(connection, "series_years"):
                if end is not None:
                    where += " AND year <= ?"
                    parameters.append(end.year)
                if start is not None:
                    where += " AND year >= ?"
                    parameters.append(start.year)
                rows = connection.execute(
                    f"SELECT ticker, days, closes FROM series_years {where} ORDER BY ticker, year",
                    parameters,
                ).fetchall()
        parts: dict[str, tuple[list[bytes], list[bytes]]] = {}
        for ticker, day_bytes, close_bytes in (*rows, *tails):
            day_parts, close_parts = parts.setdefault(str(ticker), ([], []))
            day_parts.append(day_bytes)
            close_parts.append(close_bytes)
        stored = {
            name: (b"".join(day_parts), b"".join(close_parts))
            for name, (day_parts, close_parts) in parts.items()
        }
        names = sorted(stored) if wanted is None else [t for t in wanted if t in stored]
        last_day = _day_number(end) if end is not None else None
        first_day = _day_number(start) if start is not None else None
        series: list[tuple[DayArray, CloseArray]] = []
        for name in names:
            day_bytes, close_bytes = stored[name]
            days = np.frombuffer(day_bytes, dtype=_DAY_DTYPE)
            closes = np.frombuffer(close_bytes, dtype=_CLOSE_DTYPE)
            if last_day is not None:
                cut = int(np.searchsorted(days, last_day, side="right"))
                days, closes = days[:cut], closes[:cut]
            if first_day is not None:
                cut = int(np.searchsorted(days, first_day, side="left"))
                days, closes = days[cut:], closes[cut:]
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


def _years(days: DayArray) -> npt.NDArray[np.int64]:
    """Return the calendar year of each day number."""
    years: npt.NDArray[np.int64] = (
        days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )
    return years


def _by_year(
    days: DayArray, closes: CloseArray, years: npt.NDArray[np.int64]
) -> list[tuple[DayArray, CloseArray, int]]:
    """Return sorted (days, closes) cut into one part per calendar year."""
    if years[0] == years[-1]:
        return [(days, closes, int(years[0]))]
    starts = np.flatnonzero(np.diff(years)) + 1
    return list(
        zip(
            np.split(days, starts),
            np.split(closes, starts),
            years[np.concatenate(([0], starts))].tolist(),
            strict=True,
        )
    )


@dataclass(frozen=True)
class _Head:
    """A stored ticker's first and last day, count of closes, and its tail's blobs."""

    first_day: int
    last_day: int
    count: int
    tail_days: bytes
    tail_closes: bytes

    @property
    def tail(self) -> int:
        """Return how many closes the tail holds."""
        return len(self.tail_days) // _DAY_DTYPE.itemsize

    def tail_by_year(self) -> dict[int, tuple[bytes, bytes]]:
        """Return the tail's ``days`` and ``closes`` blobs cut by calendar year."""
        first, last = _year_of(self.tail_days[:4]), _year_of(self.tail_days[-4:])
        if first == last:  # the usual case: no need to look at every day
            return {first: (self.tail_days, self.tail_closes)}
        days = np.frombuffer(self.tail_days, dtype=_DAY_DTYPE)
        closes = np.frombuffer(self.tail_closes, dtype=_CLOSE_DTYPE)
        return {
            year: (part_days.tobytes(), part_closes.tobytes())
            for part_days, part_closes, year in _by_year(days, closes, _years(days))
        }


def _heads(connection: sqlite3.Connection, source: str) -> dict[str, _Head]:
    """Return each stored ticker's head (its tail is small: at most TAIL_LIMIT closes)."""
    rows = connection.execute(
        "SELECT ticker, first_day, last_day, n, days, closes FROM series WHERE source = ?",
        (source,),
    ).fetchall()
    return {
        str(t): _Head(int(first), int(last), int(n), bytes(days), bytes(closes))
        for t, first, last, n, days, closes in rows
    }


def _rewrite_years(
    connection: sqlite3.Connection,
    source: str,
    rewrites: Sequence[tuple[str, Sequence[_YearPart]]],
    heads: Mapping[str, _Head],
    replace: Collection[str],
    digest: hashlib.blake2b,
) -> int:
    """Merge tickers' closes into their year rows, folding their tails in; return how many changed.

    A ticker whose closes change nothing is left as it was, tail and all.
    """
    tails = {
        ticker: heads[ticker].tail_by_year()
        for ticker, _ in rewrites
        if ticker not in replace and ticker in heads and heads[ticker].tail
    }
    years = {part.year for _, parts in rewrites for part in parts}
    for tail in tails.values():
        years.update(tail)
    known = any(ticker in heads for ticker, _ in rewrites)
    stored = _year_chunks(connection, source, sorted(years)) if known else {}
    new_chunks: list[tuple[str, str, int, bytes, bytes]] = []
    grown_chunks: list[tuple[bytes, bytes, str, str, int]] = []
    new_heads: list[tuple[str, str, int, int, int]] = []
    grown_heads: list[tuple[int, int, int, str, str]] = []
    total_changed = 0
    for ticker, parts in rewrites:
        restated = ticker in replace
        old = {} if restated else stored.get(ticker, {})
        chunks = dict(old)
        touched: set[int] = set()
        if ticker in tails:
            # The tail's closes follow every year row's: folding them in is appending.
            for year, (days, closes) in tails[ticker].items():
                day_bytes, close_bytes = chunks.get(year, (b"", b""))
                chunks[year] = (day_bytes + days, close_bytes + closes)
                touched.add(year)
        head = None if restated else heads.get(ticker)
        first, last, count = (
            (parts[0].first_day, parts[-1].last_day, 0)
            if head is None
            else (head.first_day, head.last_day, head.count)
        )
        changed_here = 0
        for part in parts:
            merged, changed, added = part.merged_into(chunks.get(part.year, (b"", b"")))
            if changed == 0:
                continue
            chunks[part.year] = merged
            touched.add(part.year)
            changed_here += changed
            count += added
            first, last = min(first, part.first_day), max(last, part.last_day)
            digest.update(part.digest_input(ticker))
        if not (changed_here or restated):
            continue
        total_changed += changed_here
        if restated:
            connection.execute(
                "DELETE FROM series_years WHERE source = ? AND ticker = ?", (source, ticker)
            )
        for year in sorted(touched):
            # An UPDATE rewrites the row in place; INSERT OR REPLACE would delete and insert
            # it again, which costs SQLite about three times as much.
            if year in old:
                grown_chunks.append((*chunks[year], source, ticker, year))
            else:
                new_chunks.append((source, ticker, year, *chunks[year]))
        if ticker in heads:
            grown_heads.append((first, last, count, source, ticker))
        else:
            new_heads.append((source, ticker, first, last, count))
    connection.executemany(
        "INSERT INTO series_years (source, ticker, year, days, closes) VALUES (?, ?, ?, ?, ?)",
        new_chunks,
    )
    connection.executemany(
        "UPDATE series_years SET days = ?, closes = ? WHERE source = ? AND ticker = ? AND year = ?",
        grown_chunks,
    )
    connection.executemany(
        "INSERT INTO series (source, ticker, first_day, last_day, n, days, closes)"
        " VALUES (?, ?, ?, ?, ?, x'', x'')",
        new_heads,
    )
    connection.executemany(
        "UPDATE series SET first_day = ?, last_day = ?, n = ?, days = x'', closes = x''"
        " WHERE source = ? AND ticker = ?",
        grown_heads,
    )
    return total_changed


def _year_of(day_bytes: bytes) -> int:
    """Return the calendar year of one stored day number."""
    return date.fromordinal(
        _EPOCH.toordinal() + int.from_bytes(day_bytes, "little", signed=True)
    ).year


def _last_day(day_bytes: bytes) -> int:
    """Return the last day number of a stored ``days`` blob."""
    return int.from_bytes(day_bytes[-_DAY_DTYPE.itemsize :], "little", signed=True)


def _year_chunks(
    connection: sqlite3.Connection, source: str, years: Sequence[int]
) -> dict[str, dict[int, tuple[bytes, bytes]]]:
    """Return the stored ``days`` and ``closes`` blobs of every ticker in each of ``years``."""
    if not years:
        return {}
    rows = connection.execute(
        "SELECT ticker, year, days, closes FROM series_years WHERE source = ?"
        f" AND year IN ({', '.join('?' * len(years))})",
        (source, *years),
    ).fetchall()
    chunks: dict[str, dict[int, tuple[bytes, bytes]]] = {}
    for ticker, year, day_bytes, close_bytes in rows:
        chunks.setdefault(str(ticker), {})[int(year)] = (bytes(day_bytes), bytes(close_bytes))
    return chunks


def _split_whole_histories(connection: sqlite3.Connection) -> None:
    """Move layout 1's whole-history rows into one row per year, losing nothing."""
    rows = connection.execute(
        "SELECT source, ticker, days, closes FROM series WHERE length(days) > 0"
    ).fetchall()
    for source, ticker, day_bytes, close_bytes in rows:
        days = np.frombuffer(day_bytes, dtype=_DAY_DTYPE)
        closes = np.frombuffer(close_bytes, dtype=_CLOSE_DTYPE)
        years = _years(days)
        starts = np.flatnonzero(np.diff(years)) + 1
        connection.executemany(
            "INSERT OR REPLACE INTO series_years (source, ticker, year, days, closes)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (source, ticker, int(year), part.tobytes(), prices.tobytes())
                for part, prices, year in zip(
                    np.split(days, starts),
                    np.split(closes, starts),
                    years[np.concatenate(([0], starts))].tolist(),
                    strict=True,
                )
            ],
        )
        connection.execute(
            "UPDATE series SET days = x'', closes = x'' WHERE source = ? AND ticker = ?",
            (source, ticker),
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

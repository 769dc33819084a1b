"""The bot's SQLite database: one WAL-mode file, a connection per thread, work off the event loop.

Handlers and the sender call ``await database.run(store.method, ...)``: the statement runs on
one of a few database threads, each with its own connection, so the event loop never waits
on SQLite. In WAL mode readers never wait for the writer; writes from this process queue on a
lock (SQLite allows one writer at a time) instead of spinning in SQLite's busy handler. A slow
write therefore delays only the callers that wait for a write, never a reply that only reads,
and never the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from bot.schema import migrate
from briefings.storage import prepare_database_file

BUSY_TIMEOUT_MS = 10_000
#: Database threads: enough for reads to pass a slow write, few enough to stay cheap.
DEFAULT_THREADS = 4

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """The bot's database file: per-thread connections and explicit write transactions."""

    def __init__(self, path: Path, *, threads: int = DEFAULT_THREADS) -> None:
        prepare_database_file(path)  # a private file in a private directory
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sqlite")
        try:
            with self.transaction() as sql:
                migrate(sql)
        except BaseException:
            self.close()
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL survives a killed process (the WAL is in the OS cache); only power loss can
            # drop the last commits, and a dropped "sent" mark costs at most one resend.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._local.connection = connection
            with self._guard:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one IMMEDIATE transaction (committed on success, else rolled back)."""
        with self._write_lock:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def query(self, sql: str, parameters: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Return every row of a read-only statement."""
        return self._connection().execute(sql, parameters).fetchall()

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work(*args, **kwargs)`` on a database thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(work, *args, **kwargs))

    def schema_version(self) -> int:
        """Return the schema version stored in the file (``PRAGMA user_version``)."""
        return int(self.query("PRAGMA user_version")[0][0])

    def close(self) -> None:
        """Close every connection; later calls raise ``sqlite3.ProgrammingError``."""
        self._closed = True
        self._executor.shutdown(wait=True)
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()


def to_text(moment: datetime) -> str:
    """Store an aware datetime as ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(text: str) -> datetime:
    """Read a datetime stored by ``to_text``."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

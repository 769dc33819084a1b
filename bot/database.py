"""The bot's SQLite database: one WAL-mode file, a connection per thread, work off the event loop.

Handlers and the sender call ``await database.run(store.method, ...)``: the statement runs on
one of a few database threads, each with its own connection, so the event loop never waits
on SQLite. In WAL mode readers never wait for the writer; writes from this process queue on a
lock (SQLite allows one writer at a time) instead of spinning in SQLite's busy handler. A slow
write therefore delays only the callers that wait for a write, never a reply that only reads,
and never the event loop.

The sender's many small writes (a claim, a part in flight, a part acknowledged) go through
``await database.write(...)`` instead: writes that arrive while one commit runs are committed
together in the next one (a group commit), each in its own savepoint, so a failing write
undoes only itself. Every caller still resumes only once its write is committed.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from bot.store.schema import migrate
from briefings.storage import prepare_database_file

BUSY_TIMEOUT_MS = 10_000
#: Database threads: enough for reads to pass a slow write, few enough to stay cheap.
DEFAULT_THREADS = 4

P = ParamSpec("P")
T = TypeVar("T")

#: A queued group-commit write: the work, and the loop and future of its caller.
_Write = tuple[Callable[[], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]
#: A write's future with its result or its error.
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class Database:
    """The bot's database file: per-thread connections and explicit write transactions."""

    def __init__(self, path: Path, *, threads: int = DEFAULT_THREADS) -> None:
        prepare_database_file(path)  # a private file in a private directory
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._write_lock = threading.Lock()
        self._writes: list[_Write] = []
        self._writes_lock = threading.Lock()
        self._committing = False
        self._savepoints = itertools.count()
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
        """Run the block in one IMMEDIATE transaction (committed on success, else rolled back).

        Inside a group commit the block is a savepoint of the group's transaction instead.
        """
        if getattr(self._local, "in_group", False):
            yield from self._savepoint()
            return
        with self._write_lock:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        name = f"write_{next(self._savepoints)}"
        connection.execute(f"SAVEPOINT {name}")
        try:
            yield connection
        except BaseException:
            connection.execute(f"ROLLBACK TO {name}")
            connection.execute(f"RELEASE {name}")
            raise
        connection.execute(f"RELEASE {name}")

    async def write(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work(*args, **kwargs)`` in the next group commit; return once it is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._writes_lock:
            self._writes.append((functools.partial(work, *args, **kwargs), loop, future))
            start, self._committing = not self._committing, True
        if start:
            self._executor.submit(self._commit_writes)
        return await future

    def _commit_writes(self) -> None:
        """Commit the queued writes, group by group, until none is left (on a database thread)."""
        while True:
            with self._writes_lock:
                group, self._writes = self._writes, []
                if not group:
                    self._committing = False
                    return
            outcomes: list[_Outcome] = []
            try:
                with self.transaction():
                    self._local.in_group = True
                    try:
                        for work, _, future in group:
                            try:
                                outcomes.append((future, work(), None))
                            except Exception as error:
                                outcomes.append((future, None, error))
                    finally:
                        self._local.in_group = False
            except Exception as error:  # the commit itself failed: no write of the group holds
                outcomes = [(future, None, error) for _, _, future in group]
            by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
            for outcome, (_, loop, _) in zip(outcomes, group, strict=True):
                by_loop.setdefault(loop, []).append(outcome)
            for loop, settled in by_loop.items():
                loop.call_soon_threadsafe(_settle, settled)

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


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


def to_text(moment: datetime) -> str:
    """Store an aware datetime as ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(text: str) -> datetime:
    """Read a datetime stored by ``to_text``."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

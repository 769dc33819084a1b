"""The bot's SQLite database: one WAL-mode file shared by subscriptions and the delivery log."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from briefings.storage import prepare_database_file

BUSY_TIMEOUT_MS = 10_000


class Database:
    """A serialized SQLite connection with explicit write transactions.

    Statements are tiny (one chat's row), so callers on the event loop run them inline; the lock
    makes the connection safe to share with worker threads as well.
    """

    def __init__(self, path: Path) -> None:
        prepare_database_file(path)  # a private file in a private directory
        self.path = path
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process (the WAL is in the OS cache); only power loss can
        # drop the last commits, and a dropped "sent" mark costs at most one resend.
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one IMMEDIATE transaction (committed on success, else rolled back)."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def query(self, sql: str, parameters: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Return every row of a read-only statement."""
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def execute_script(self, sql: str) -> None:
        """Run DDL (CREATE TABLE IF NOT EXISTS ...) at start-up."""
        with self._lock:
            self._connection.executescript(sql)

    def ensure_column(self, table: str, column: str, declaration: str) -> bool:
        """Add ``column`` to ``table`` unless it exists (a migration of an older database).

        Return True when the column was added. ``table``, ``column`` and ``declaration`` come
        from the code, never from users (DDL cannot take parameters).
        """
        with self.transaction() as sql:
            present = {row["name"] for row in sql.execute(f"PRAGMA table_info({table})")}
            if column in present:
                return False
            sql.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            return True

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()


def to_text(moment: datetime) -> str:
    """Store an aware datetime as ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(text: str) -> datetime:
    """Read a datetime stored by ``to_text``."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def status_counts(
    database: Database, table: Literal["deliveries", "alert_log"], session: date | None = None
) -> dict[str, int]:
    """Return a log table's rows per status, for one session or all."""
    sql = f"SELECT status, COUNT(*) AS n FROM {table}"
    parameters: tuple[object, ...] = ()
    if session is not None:
        sql += " WHERE session = ?"
        parameters = (session.isoformat(),)
    return {row["status"]: row["n"] for row in database.query(sql + " GROUP BY status", parameters)}

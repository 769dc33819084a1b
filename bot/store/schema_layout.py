"""Refuse a bot database whose tables do not match its schema version.

``PRAGMA user_version`` says which layout a file has, but a file of another program (or one
edited by hand) can carry the right number over other tables; the bot would then fail later,
at its first query, with "no such column". So the migrations run on it, then the file's tables
and columns are compared with the ones this version creates, and a mismatch (or a migration
that trips over a foreign table) is refused at once; the transaction leaves the file as it was.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from bot.store.schema import CHATS, OUTBOX, migrate
from briefings import StorageFault, fault_kind

#: A table's columns: name -> whether an insert must give it (NOT NULL without a default).
Columns = dict[str, bool]


@functools.cache
def expected_layout() -> dict[str, Columns]:
    """Return the tables and columns of a database of the current version, built in memory."""
    with sqlite3.connect(":memory:") as sql:
        sql.executescript(CHATS + OUTBOX)
        return {table: table_columns(sql, table) for table in sorted(table_names(sql))}


def table_names(sql: sqlite3.Connection) -> set[str]:
    """Return the names of the database's own tables."""
    rows = sql.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {str(row[0]) for row in rows}


def table_columns(sql: sqlite3.Connection, table: str) -> Columns:
    """Return each column of ``table`` and whether an insert must give it."""
    rows = sql.execute(f"PRAGMA table_info({table})").fetchall()
    # (cid, name, type, notnull, default, pk): a primary key is given by every insert anyway.
    return {str(row[1]): bool(row[3]) and row[4] is None and not row[5] for row in rows}


def layout_problem(sql: sqlite3.Connection) -> str | None:
    """Return what in the database differs from the expected layout, or None when nothing does.

    Extra tables and extra columns that an insert may leave out are allowed; column types are
    not compared (SQLite stores any value in any column).
    """
    tables = table_names(sql)
    for table, wanted in expected_layout().items():
        if table not in tables:
            return f"it has no {table} table"
        columns = table_columns(sql, table)
        missing = [name for name in wanted if name not in columns]
        if missing:
            return f"its {table} table lacks {_listed(missing)}"
        required = [name for name, must in columns.items() if must and name not in wanted]
        if required:
            return f"its {table} table requires unknown columns {_listed(required)}"
    return None


def _listed(names: list[str], most: int = 3) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def migrate_and_check(sql: sqlite3.Connection, path: Path) -> int:
    """Migrate ``path`` in place and check its layout; return the version it had.

    Raise StorageFault (one line naming ``path``) when its tables are not a bot database's,
    whether the migrations trip over them or the result differs from the expected layout.
    """
    version = int(sql.execute("PRAGMA user_version").fetchone()[0])
    try:
        migrate(sql)
    except sqlite3.OperationalError as exc:
        if fault_kind(exc) is not None:
            raise  # a full disk, a lock: not the layout's fault
        raise _foreign(path, version, str(exc)) from None
    problem = layout_problem(sql)
    if problem is not None:
        raise _foreign(path, version, problem)
    return version


def _foreign(path: Path, version: int, problem: str) -> StorageFault:
    return StorageFault(
        f"{path} has schema version {version} but not its layout ({problem}): it is not a "
        "marketbrief bot database; move it aside or restore a backup (a new one is created)",
        kind="corrupt",
    )

"""Refuse a bot database whose tables do not match its schema version.

``PRAGMA user_version`` says which layout a file has, but a file of another program (or one
edited by hand) can carry the right number over other tables; the bot would then fail later,
at its first query, with "no such column". So after the migrations the file's tables and
columns are compared with the ones this version creates, and a mismatch is refused at once.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from bot.schema import CHATS, OUTBOX
from briefings.storage import StorageFault

#: A table's columns: name -> (declared type, NOT NULL without a default).
Columns = dict[str, tuple[str, bool]]


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
    """Return each column of ``table`` with its type and whether an insert must give it."""
    rows = sql.execute(f"PRAGMA table_info({table})").fetchall()
    return {
        str(row[1]): (str(row[2]).upper(), bool(row[3]) and row[4] is None and not row[5])
        for row in rows
    }


def layout_problem(sql: sqlite3.Connection) -> str | None:
    """Return what in the database differs from the expected layout, or None when nothing does.

    Extra tables and extra columns that an insert may leave out are allowed.
    """
    tables = table_names(sql)
    for table, wanted in expected_layout().items():
        if table not in tables:
            return f"it has no {table} table"
        columns = table_columns(sql, table)
        missing = [name for name in wanted if name not in columns]
        if missing:
            return f"its {table} table lacks {_listed(missing)}"
        changed = [name for name, (kind, _) in wanted.items() if columns[name][0] != kind]
        if changed:
            return f"its {table} table has other types for {_listed(changed)}"
        required = [name for name, (_, must) in columns.items() if must and name not in wanted]
        if required:
            return f"its {table} table requires unknown columns {_listed(required)}"
    return None


def _listed(names: list[str], most: int = 3) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def check_layout(sql: sqlite3.Connection, path: Path, version: int) -> None:
    """Raise StorageFault (one line naming ``path``) when its layout is not the expected one.

    ``version`` is the schema version the file had before the migrations.
    """
    problem = layout_problem(sql)
    if problem is not None:
        raise StorageFault(
            f"{path} has schema version {version} but not its layout ({problem}): it is not a "
            "marketbrief bot database; move it aside or restore a backup (a new one is created)",
            kind="corrupt",
        )

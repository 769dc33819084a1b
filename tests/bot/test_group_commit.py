"""Group commits: writes queued together commit together, and a failing one undoes only itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.store.database import Database


def insert(database: Database, key: int) -> int:
    with database.transaction() as sql:
        sql.execute("CREATE TABLE IF NOT EXISTS notes (key INTEGER PRIMARY KEY)")
        sql.execute("INSERT INTO notes (key) VALUES (?)", (key,))
    return key


def insert_then_fail(database: Database, key: int) -> None:
    with database.transaction() as sql:
        sql.execute("INSERT INTO notes (key) VALUES (?)", (key,))
        raise ValueError(f"refused {key}")


def keys(database: Database) -> list[int]:
    return [row[0] for row in database.query("SELECT key FROM notes ORDER BY key")]


async def test_concurrent_writes_all_commit_and_return_their_results(tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.sqlite3")
    try:
        await database.write(insert, database, 0)
        results = await asyncio.gather(
            *(database.write(insert, database, k) for k in range(1, 200))
        )
        assert results == list(range(1, 200))
        assert keys(database) == list(range(200))
    finally:
        database.close()


async def test_a_failing_write_undoes_only_itself(tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.sqlite3")
    try:
        await database.write(insert, database, 0)
        outcomes = await asyncio.gather(
            database.write(insert, database, 1),
            database.write(insert_then_fail, database, 2),
            database.write(insert, database, 3),
            database.write(insert, database, 1),  # a duplicate key: refused by SQLite
            return_exceptions=True,
        )
        assert outcomes[0] == 1
        assert isinstance(outcomes[1], ValueError)
        assert outcomes[2] == 3
        assert isinstance(outcomes[3], Exception)
        assert keys(database) == [0, 1, 3]
        # The ordinary transactions still work beside group commits.
        insert(database, 4)
        assert keys(database) == [0, 1, 3, 4]
    finally:
        database.close()


async def test_writes_after_close_fail(tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.sqlite3")
    database.close()
    with pytest.raises(RuntimeError):
        await database.write(insert, database, 1)

"""Which chats opted in to regime-change alerts: the alert_chats table.

Alerts are independent of the daily briefing: a chat may take alerts without subscribing, and
the other way round. A chat gets alerts only after someone turned them on with ``/alerts on``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.database import Database, from_text, to_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_chats (
    chat_id         INTEGER PRIMARY KEY,
    chat_type       TEXT NOT NULL,
    title           TEXT,
    thread_id       INTEGER,
    enabled         INTEGER NOT NULL,
    changed_by      INTEGER,
    enabled_at      TEXT,
    updated_at      TEXT NOT NULL,
    disabled_reason TEXT
);
"""


@dataclass(frozen=True)
class AlertChat:
    """One chat's alert setting."""

    chat_id: int
    chat_type: str
    title: str | None
    thread_id: int | None
    enabled: bool
    changed_by: int | None
    enabled_at: datetime | None
    """When alerts were last turned on: sessions that closed before are not pushed."""
    updated_at: datetime
    disabled_reason: str | None = None


def _alert_chat(row: sqlite3.Row) -> AlertChat:
    return AlertChat(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        thread_id=row["thread_id"],
        enabled=bool(row["enabled"]),
        changed_by=row["changed_by"],
        enabled_at=from_text(row["enabled_at"]) if row["enabled_at"] else None,
        updated_at=from_text(row["updated_at"]),
        disabled_reason=row["disabled_reason"],
    )


class AlertChatStore:
    """Turn alerts on and off per chat and list the chats that want them."""

    def __init__(self, database: Database) -> None:
        self._db = database
        database.execute_script(SCHEMA)

    def turn_on(
        self,
        chat_id: int,
        *,
        chat_type: str,
        title: str | None,
        thread_id: int | None,
        changed_by: int | None,
        now: datetime,
    ) -> AlertChat:
        """Turn a chat's alerts on (in ``thread_id``, a forum topic); keep an earlier start."""
        stamp = to_text(now)
        with self._db.transaction() as sql:
            sql.execute(
                """
                INSERT INTO alert_chats (chat_id, chat_type, title, thread_id, enabled,
                    changed_by, enabled_at, updated_at, disabled_reason)
                VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL)
                ON CONFLICT (chat_id) DO UPDATE SET
                    chat_type = excluded.chat_type, title = excluded.title,
                    thread_id = excluded.thread_id, changed_by = excluded.changed_by,
                    enabled_at = CASE WHEN alert_chats.enabled = 1
                        THEN alert_chats.enabled_at ELSE excluded.enabled_at END,
                    enabled = 1, updated_at = excluded.updated_at, disabled_reason = NULL
                """,
                (chat_id, chat_type, title, thread_id, changed_by, stamp, stamp),
            )
            row = sql.execute("SELECT * FROM alert_chats WHERE chat_id = ?", (chat_id,)).fetchone()
        return _alert_chat(row)

    def turn_off(self, chat_id: int, reason: str, now: datetime) -> AlertChat | None:
        """Turn a chat's alerts off; return the row as it was if they were on."""
        with self._db.transaction() as sql:
            row = sql.execute(
                "SELECT * FROM alert_chats WHERE chat_id = ? AND enabled = 1", (chat_id,)
            ).fetchone()
            if row is None:
                return None
            sql.execute(
                "UPDATE alert_chats SET enabled = 0, disabled_reason = ?, updated_at = ? "
                "WHERE chat_id = ?",
                (reason, to_text(now), chat_id),
            )
        return _alert_chat(row)

    def get(self, chat_id: int) -> AlertChat | None:
        """Return the chat's alert setting, if it ever had one."""
        rows = self._db.query("SELECT * FROM alert_chats WHERE chat_id = ?", (chat_id,))
        return _alert_chat(rows[0]) if rows else None

    def enabled(self) -> list[AlertChat]:
        """Return the chats with alerts on, by chat id."""
        rows = self._db.query("SELECT * FROM alert_chats WHERE enabled = 1 ORDER BY chat_id")
        return [_alert_chat(row) for row in rows]

    def migrate(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        """Move a group's setting to the supergroup it became (the supergroup's own row wins)."""
        with self._db.transaction() as sql:
            if sql.execute(
                "SELECT 1 FROM alert_chats WHERE chat_id = ?", (new_chat_id,)
            ).fetchone():
                sql.execute("DELETE FROM alert_chats WHERE chat_id = ?", (old_chat_id,))
                return
            sql.execute(
                "UPDATE alert_chats SET chat_id = ?, chat_type = 'supergroup', updated_at = ? "
                "WHERE chat_id = ?",
                (new_chat_id, to_text(now), old_chat_id),
            )

    def clear_thread(self, chat_id: int, now: datetime) -> None:
        """Send the chat's alerts to the chat itself from now on (its topic was deleted)."""
        with self._db.transaction() as sql:
            sql.execute(
                "UPDATE alert_chats SET thread_id = NULL, updated_at = ? WHERE chat_id = ?",
                (to_text(now), chat_id),
            )

    def count(self) -> int:
        """Return how many chats have alerts on."""
        rows = self._db.query("SELECT COUNT(*) AS n FROM alert_chats WHERE enabled = 1")
        return int(rows[0]["n"])

"""The alert log: one row per (chat, session, alert key), so each alert reaches a chat once.

A row is written "sending" before its message goes out and marked "sent" once Telegram
acknowledges it. Only "sent" and "failed" rows count as done: after a crash the message that
was in flight is sent again (at most that one message twice), and nothing acknowledged is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from enum import StrEnum

from bot.database import Database, status_counts, to_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_log (
    chat_id    INTEGER NOT NULL,
    session    TEXT NOT NULL,
    key        TEXT NOT NULL,
    status     TEXT NOT NULL,
    sent_at    TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, session, key)
);
CREATE INDEX IF NOT EXISTS alert_log_session ON alert_log (session, status);
"""


class AlertStatus(StrEnum):
    """Where one alert's delivery to one chat stands."""

    SENDING = "sending"
    """Its message is in flight (or was, when the process died): not done."""
    SENT = "sent"
    FAILED = "failed"
    """Given up for good: the chat blocked the bot or Telegram refused the message."""


class AlertLog:
    """Record which alerts each chat got for each session."""

    def __init__(self, database: Database) -> None:
        self._db = database
        database.execute_script(SCHEMA)

    def done(self, chat_id: int, session: date) -> set[str]:
        """Return the keys of ``session``'s alerts that ``chat_id`` got or never will."""
        rows = self._db.query(
            "SELECT key FROM alert_log WHERE chat_id = ? AND session = ? "
            "AND status IN ('sent', 'failed')",
            (chat_id, session.isoformat()),
        )
        return {row["key"] for row in rows}

    def begin(self, chat_id: int, session: date, keys: Collection[str], now: datetime) -> None:
        """Record that a message carrying ``keys`` is about to be sent."""
        self._set(chat_id, session, keys, AlertStatus.SENDING, now)

    def sent(self, chat_id: int, session: date, keys: Collection[str], now: datetime) -> None:
        """Record that Telegram acknowledged the message carrying ``keys``."""
        self._set(chat_id, session, keys, AlertStatus.SENT, now)

    def fail(self, chat_id: int, session: date, keys: Collection[str], now: datetime) -> None:
        """Give ``keys`` up for good for this chat and session."""
        self._set(chat_id, session, keys, AlertStatus.FAILED, now)

    def _set(
        self,
        chat_id: int,
        session: date,
        keys: Collection[str],
        status: AlertStatus,
        now: datetime,
    ) -> None:
        stamp = to_text(now)
        sent_at = stamp if status is AlertStatus.SENT else None
        with self._db.transaction() as sql:
            sql.executemany(
                "INSERT INTO alert_log (chat_id, session, key, status, sent_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, session, key) DO UPDATE SET "
                "status = excluded.status, sent_at = excluded.sent_at, "
                "updated_at = excluded.updated_at",
                [
                    (chat_id, session.isoformat(), key, status, sent_at, stamp)
                    for key in sorted(keys)
                ],
            )

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Move a chat's rows to the supergroup it became (the supergroup's own rows win)."""
        with self._db.transaction() as sql:
            sql.execute(
                "DELETE FROM alert_log WHERE chat_id = ? AND (session, key) IN "
                "(SELECT session, key FROM alert_log WHERE chat_id = ?)",
                (old_chat_id, new_chat_id),
            )
            sql.execute(
                "UPDATE alert_log SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )

    def counts(self, session: date | None = None) -> Mapping[str, int]:
        """Return logged alerts per status, for one session or all."""
        return status_counts(self._db, "alert_log", session)

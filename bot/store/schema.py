"""The bot database's versioned schema and the in-place migrations between versions.

The version lives in ``PRAGMA user_version``. Version 0 is every layout before versioning:
``subscriptions`` (with or without its ``chart`` column), ``deliveries``, ``alert_chats`` and
``alert_log``, any of them possibly missing. Version 1 is the outbox layout:

- ``chats``: one row per chat with all its settings (the daily briefing's schedule, topic and
  chart; alerts, their topic and since when they are on);
- ``outbox``: one row per (chat, session, item), where the item is ``briefing`` or
  ``alert:<key>``, with pending / sending / sent / failed and how many parts went out.

Version 2 adds ``chats.language``: the language a chat chose with /language (NULL: not chosen).
Version 3 adds ``chats.replies``: whether a group's on-demand answers go to the member who
asked alone (``private``) or to everyone (``public``); NULL: never chosen (private).
Version 4 adds ``chats.recaps``: which recaps the chat's briefing brings (``weekly``,
``monthly`` or ``both``); NULL: none.
Version 5 adds ``chats.rich_refused_at``: when Telegram last refused a rich message (a table
view) for the chat, which then reads the HTML views; NULL: rich messages are sent.

A migration runs inside the caller's transaction, so a failure leaves the file as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 5

CHATS = """
CREATE TABLE IF NOT EXISTS chats (
    chat_id               INTEGER PRIMARY KEY,
    chat_type             TEXT NOT NULL,
    title                 TEXT,
    brief_time            TEXT,
    brief_zone            TEXT,
    brief_thread          INTEGER,
    brief_active          INTEGER NOT NULL DEFAULT 0,
    brief_chart           TEXT,
    subscribed_by         INTEGER,
    subscribed_at         TEXT,
    brief_updated_at      TEXT,
    brief_inactive_reason TEXT,
    alerts_enabled        INTEGER NOT NULL DEFAULT 0,
    alerts_thread         INTEGER,
    alerts_changed_by     INTEGER,
    alerts_since          TEXT,
    alerts_updated_at     TEXT,
    alerts_off_reason     TEXT,
    language              TEXT,
    replies               TEXT,
    recaps                TEXT,
    rich_refused_at       TEXT
);
CREATE INDEX IF NOT EXISTS chats_schedule ON chats (brief_active, brief_time, brief_zone);
"""

OUTBOX = """
CREATE TABLE IF NOT EXISTS outbox (
    chat_id     INTEGER NOT NULL,
    session     TEXT NOT NULL,
    item        TEXT NOT NULL,
    status      TEXT NOT NULL,
    parts_total INTEGER,
    parts_sent  INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    owner       TEXT,
    claimed_at  TEXT,
    last_error  TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, session, item)
);
CREATE INDEX IF NOT EXISTS outbox_session ON outbox (session, item, status);
"""


class SchemaError(RuntimeError):
    """Raise when the database was written by a newer version of the bot."""


def _tables(sql: sqlite3.Connection) -> set[str]:
    rows = sql.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def _columns(sql: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in sql.execute(f"PRAGMA table_info({table})")}


def _create_v1(sql: sqlite3.Connection) -> None:
    for script in (CHATS, OUTBOX):
        for statement in script.split(";"):
            if statement.strip():
                sql.execute(statement)


def _from_v0(sql: sqlite3.Connection) -> None:
    """Move the four tables of the unversioned layout into ``chats`` and ``outbox``."""
    tables = _tables(sql)
    _create_v1(sql)
    if "subscriptions" in tables:
        chart = "chart" if "chart" in _columns(sql, "subscriptions") else "NULL"
        sql.execute(
            f"""
            INSERT INTO chats (chat_id, chat_type, title, brief_time, brief_zone, brief_thread,
                brief_active, brief_chart, subscribed_by, subscribed_at, brief_updated_at,
                brief_inactive_reason)
            SELECT chat_id, chat_type, title, local_time, time_zone, thread_id, active, {chart},
                subscribed_by, subscribed_at, updated_at, inactive_reason
            FROM subscriptions
            """
        )
    if "alert_chats" in tables:
        # A chat with both settings keeps the title and type it was seen with last.
        sql.execute(
            """
            INSERT INTO chats (chat_id, chat_type, title, alerts_enabled, alerts_thread,
                alerts_changed_by, alerts_since, alerts_updated_at, alerts_off_reason)
            SELECT chat_id, chat_type, title, enabled, thread_id, changed_by, enabled_at,
                updated_at, disabled_reason
            FROM alert_chats WHERE true
            ON CONFLICT (chat_id) DO UPDATE SET
                chat_type = CASE WHEN excluded.alerts_updated_at > chats.brief_updated_at
                    THEN excluded.chat_type ELSE chats.chat_type END,
                title = CASE WHEN excluded.alerts_updated_at > chats.brief_updated_at
                    THEN excluded.title ELSE chats.title END,
                alerts_enabled = excluded.alerts_enabled,
                alerts_thread = excluded.alerts_thread,
                alerts_changed_by = excluded.alerts_changed_by,
                alerts_since = excluded.alerts_since,
                alerts_updated_at = excluded.alerts_updated_at,
                alerts_off_reason = excluded.alerts_off_reason
            """
        )
    if "deliveries" in tables:
        sql.execute(
            """
            INSERT INTO outbox (chat_id, session, item, status, parts_total, parts_sent,
                attempts, owner, claimed_at, last_error, updated_at)
            SELECT chat_id, session, 'briefing', status, parts_total, parts_sent, attempts,
                owner, claimed_at, last_error, updated_at
            FROM deliveries
            """
        )
    if "alert_log" in tables:
        # An alert was one message: "sending" had its one part in flight, "sent" had it out.
        sql.execute(
            """
            INSERT INTO outbox (chat_id, session, item, status, parts_total, parts_sent,
                attempts, updated_at)
            SELECT chat_id, session, 'alert:' || key, status, 1,
                CASE WHEN status = 'sent' THEN 1 ELSE 0 END, 1, COALESCE(sent_at, updated_at)
            FROM alert_log
            """
        )
    for table in ("subscriptions", "deliveries", "alert_chats", "alert_log"):
        sql.execute(f"DROP TABLE IF EXISTS {table}")


def _from_v1(sql: sqlite3.Connection) -> None:
    """Add the chat's chosen language (NULL: the chat never chose one)."""
    if "language" not in _columns(sql, "chats"):
        sql.execute("ALTER TABLE chats ADD COLUMN language TEXT")


def _from_v2(sql: sqlite3.Connection) -> None:
    """Add where a group's on-demand answers go (NULL: the group never chose)."""
    if "replies" not in _columns(sql, "chats"):
        sql.execute("ALTER TABLE chats ADD COLUMN replies TEXT")


def _from_v3(sql: sqlite3.Connection) -> None:
    """Add which recaps a chat gets (NULL: none)."""
    if "recaps" not in _columns(sql, "chats"):
        sql.execute("ALTER TABLE chats ADD COLUMN recaps TEXT")


def _from_v4(sql: sqlite3.Connection) -> None:
    """Add when Telegram refused a chat's rich message (NULL: never, rich messages are sent)."""
    if "rich_refused_at" not in _columns(sql, "chats"):
        sql.execute("ALTER TABLE chats ADD COLUMN rich_refused_at TEXT")


#: MIGRATIONS[n] turns version n into version n + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _from_v0,
    _from_v1,
    _from_v2,
    _from_v3,
    _from_v4,
)


def migrate(sql: sqlite3.Connection) -> int:
    """Bring the database to ``SCHEMA_VERSION`` in place; return the version it had."""
    version = int(sql.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the bot database has schema version {version}; this marketbrief knows "
            f"up to {SCHEMA_VERSION} (upgrade marketbrief)"
        )
    for step in MIGRATIONS[version:]:
        step(sql)
    if version != SCHEMA_VERSION:
        sql.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return version

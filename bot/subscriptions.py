"""Which chats get the daily briefing, when and where: the subscriptions table."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.database import Database, from_text, to_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    chat_id         INTEGER PRIMARY KEY,
    chat_type       TEXT NOT NULL,
    title           TEXT,
    thread_id       INTEGER,
    local_time      TEXT NOT NULL,
    time_zone       TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    subscribed_by   INTEGER,
    subscribed_at   TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    inactive_reason TEXT,
    chart           TEXT
);
CREATE INDEX IF NOT EXISTS subscriptions_schedule
    ON subscriptions (active, local_time, time_zone);
"""


@dataclass(frozen=True, order=True)
class Schedule:
    """A local time of day in an IANA time zone, e.g. 08:00 America/New_York."""

    local_time: time
    time_zone: str

    @property
    def tzinfo(self) -> ZoneInfo:
        """Return the zone as a tzinfo."""
        return ZoneInfo(self.time_zone)

    @property
    def key(self) -> str:
        """Return a stable text key, e.g. "08:00 America/New_York"."""
        return f"{self.local_time:%H:%M} {self.time_zone}"


@dataclass(frozen=True)
class Subscription:
    """One chat's subscription (a chat has at most one; re-subscribing replaces it)."""

    chat_id: int
    chat_type: str
    title: str | None
    thread_id: int | None
    schedule: Schedule
    active: bool
    subscribed_by: int | None
    subscribed_at: datetime
    updated_at: datetime
    inactive_reason: str | None = None
    chart: str | None = None
    """The chart sent after the briefing ("rrg", "pairs", "sectors" or "breadth"), None for none."""


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        thread_id=row["thread_id"],
        schedule=Schedule(time.fromisoformat(row["local_time"]), row["time_zone"]),
        active=bool(row["active"]),
        subscribed_by=row["subscribed_by"],
        subscribed_at=from_text(row["subscribed_at"]),
        updated_at=from_text(row["updated_at"]),
        inactive_reason=row["inactive_reason"],
        chart=row["chart"],
    )


class SubscriptionStore:
    """Create, change and look up subscriptions; the database is the source of truth."""

    def __init__(self, database: Database) -> None:
        self._db = database
        database.execute_script(SCHEMA)
        # Databases made before the per-chat chart setting lack its column.
        database.ensure_column("subscriptions", "chart", "TEXT")

    def subscribe(
        self,
        chat_id: int,
        *,
        chat_type: str,
        title: str | None,
        thread_id: int | None,
        schedule: Schedule,
        subscribed_by: int | None,
        now: datetime,
    ) -> Subscription:
        """Subscribe a chat (or change its schedule or topic) and return the stored row."""
        stamp = to_text(now)
        with self._db.transaction() as sql:
            sql.execute(
                """
                INSERT INTO subscriptions (chat_id, chat_type, title, thread_id, local_time,
                    time_zone, active, subscribed_by, subscribed_at, updated_at, inactive_reason)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, NULL)
                ON CONFLICT (chat_id) DO UPDATE SET
                    chat_type = excluded.chat_type, title = excluded.title,
                    thread_id = excluded.thread_id, local_time = excluded.local_time,
                    time_zone = excluded.time_zone, active = 1,
                    subscribed_by = excluded.subscribed_by,
                    subscribed_at = excluded.subscribed_at,
                    updated_at = excluded.updated_at, inactive_reason = NULL
                """,
                (
                    chat_id,
                    chat_type,
                    title,
                    thread_id,
                    f"{schedule.local_time:%H:%M}",
                    schedule.time_zone,
                    subscribed_by,
                    stamp,
                    stamp,
                ),
            )
            row = sql.execute(
                "SELECT * FROM subscriptions WHERE chat_id = ?", (chat_id,)
            ).fetchone()
        return _subscription(row)

    def get(self, chat_id: int) -> Subscription | None:
        """Return the chat's subscription, active or not."""
        rows = self._db.query("SELECT * FROM subscriptions WHERE chat_id = ?", (chat_id,))
        return _subscription(rows[0]) if rows else None

    def active(
        self, schedule: Schedule | None = None, chat_ids: Collection[int] | None = None
    ) -> list[Subscription]:
        """Return active subscriptions, optionally only one schedule's or some chats'."""
        sql = "SELECT * FROM subscriptions WHERE active = 1"
        parameters: tuple[object, ...] = ()
        if schedule is not None:
            sql += " AND local_time = ? AND time_zone = ?"
            parameters = (f"{schedule.local_time:%H:%M}", schedule.time_zone)
        subscriptions = [
            _subscription(row) for row in self._db.query(sql + " ORDER BY chat_id", parameters)
        ]
        if chat_ids is not None:
            wanted = set(chat_ids)
            subscriptions = [s for s in subscriptions if s.chat_id in wanted]
        return subscriptions

    def schedules(self) -> set[Schedule]:
        """Return the distinct schedules of active subscriptions (one job each)."""
        rows = self._db.query(
            "SELECT DISTINCT local_time, time_zone FROM subscriptions WHERE active = 1"
        )
        return {Schedule(time.fromisoformat(r["local_time"]), r["time_zone"]) for r in rows}

    def deactivate(self, chat_id: int, reason: str, now: datetime) -> Subscription | None:
        """Stop deliveries to a chat; return the subscription as it was if it was active."""
        with self._db.transaction() as sql:
            row = sql.execute(
                "SELECT * FROM subscriptions WHERE chat_id = ? AND active = 1", (chat_id,)
            ).fetchone()
            if row is None:
                return None
            sql.execute(
                "UPDATE subscriptions SET active = 0, inactive_reason = ?, updated_at = ? "
                "WHERE chat_id = ?",
                (reason, to_text(now), chat_id),
            )
        return _subscription(row)

    def migrate(self, old_chat_id: int, new_chat_id: int, now: datetime) -> Subscription | None:
        """Move a group's subscription to the supergroup it became; return the moved row.

        If the supergroup subscribed on its own already, its newer subscription is kept.
        """
        with self._db.transaction() as sql:
            row = sql.execute(
                "SELECT * FROM subscriptions WHERE chat_id = ?", (old_chat_id,)
            ).fetchone()
            if row is None:
                return None
            existing = sql.execute(
                "SELECT * FROM subscriptions WHERE chat_id = ? AND active = 1", (new_chat_id,)
            ).fetchone()
            if existing is not None:
                sql.execute("DELETE FROM subscriptions WHERE chat_id = ?", (old_chat_id,))
                return _subscription(existing)
            sql.execute("DELETE FROM subscriptions WHERE chat_id = ?", (new_chat_id,))
            sql.execute(
                "UPDATE subscriptions SET chat_id = ?, chat_type = 'supergroup', updated_at = ? "
                "WHERE chat_id = ?",
                (new_chat_id, to_text(now), old_chat_id),
            )
            moved = sql.execute(
                "SELECT * FROM subscriptions WHERE chat_id = ?", (new_chat_id,)
            ).fetchone()
        return _subscription(moved)

    def set_chart(self, chat_id: int, chart: str | None, now: datetime) -> Subscription | None:
        """Set the chart an active subscription gets after its briefing; None when not active."""
        with self._db.transaction() as sql:
            updated = sql.execute(
                "UPDATE subscriptions SET chart = ?, updated_at = ? "
                "WHERE chat_id = ? AND active = 1",
                (chart, to_text(now), chat_id),
            ).rowcount
            if not updated:
                return None
            row = sql.execute(
                "SELECT * FROM subscriptions WHERE chat_id = ?", (chat_id,)
            ).fetchone()
        return _subscription(row)

    def clear_thread(self, chat_id: int, now: datetime) -> None:
        """Deliver to the chat itself from now on (its topic was deleted)."""
        with self._db.transaction() as sql:
            sql.execute(
                "UPDATE subscriptions SET thread_id = NULL, updated_at = ? WHERE chat_id = ?",
                (to_text(now), chat_id),
            )

    def counts(self) -> Mapping[str, int]:
        """Return active subscriptions per chat type, plus "inactive"."""
        rows = self._db.query(
            "SELECT CASE WHEN active = 1 THEN chat_type ELSE 'inactive' END AS kind, "
            "COUNT(*) AS n FROM subscriptions GROUP BY kind"
        )
        return {row["kind"]: row["n"] for row in rows}

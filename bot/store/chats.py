"""Which chats get what, when and where: the chats table and its two views.

One row per chat holds its daily briefing (``Subscription``: schedule, topic, chart) and its
regime-change alerts (``AlertChat``: on or off, topic, since when). The two are independent:
a chat may take alerts without subscribing, and the other way round. The methods are
synchronous; the bot calls them through ``Database.run`` so they never block the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.store.database import Database, from_text, to_text


class Purpose(StrEnum):
    """What a message to a chat is for; each has its own topic and its own off switch."""

    BRIEFING = "briefing"
    ALERTS = "alerts"


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
    """One chat's daily briefing (a chat has at most one; re-subscribing replaces it)."""

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
    language: str | None = None
    """The language the chat chose with /language; None: never chosen (the default applies)."""


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
    language: str | None = None
    """The language the chat chose with /language; None: never chosen (the default applies)."""


def _subscription(row: sqlite3.Row | None) -> Subscription | None:
    if row is None or row["brief_time"] is None:
        return None
    return Subscription(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        thread_id=row["brief_thread"],
        schedule=Schedule(time.fromisoformat(row["brief_time"]), row["brief_zone"]),
        active=bool(row["brief_active"]),
        subscribed_by=row["subscribed_by"],
        subscribed_at=from_text(row["subscribed_at"]),
        updated_at=from_text(row["brief_updated_at"]),
        inactive_reason=row["brief_inactive_reason"],
        chart=row["brief_chart"],
        language=row["language"],
    )


def _alert_chat(row: sqlite3.Row | None) -> AlertChat | None:
    if row is None or row["alerts_updated_at"] is None:
        return None
    return AlertChat(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        thread_id=row["alerts_thread"],
        enabled=bool(row["alerts_enabled"]),
        changed_by=row["alerts_changed_by"],
        enabled_at=from_text(row["alerts_since"]) if row["alerts_since"] else None,
        updated_at=from_text(row["alerts_updated_at"]),
        disabled_reason=row["alerts_off_reason"],
        language=row["language"],
    )


_BRIEF_COLUMNS = (
    "brief_time, brief_zone, brief_thread, brief_active, brief_chart, subscribed_by, "
    "subscribed_at, brief_updated_at, brief_inactive_reason"
)
_ALERT_COLUMNS = (
    "alerts_enabled, alerts_thread, alerts_changed_by, alerts_since, alerts_updated_at, "
    "alerts_off_reason"
)
_THREAD_COLUMN = {Purpose.BRIEFING: "brief_thread", Purpose.ALERTS: "alerts_thread"}
_UPDATED_COLUMN = {Purpose.BRIEFING: "brief_updated_at", Purpose.ALERTS: "alerts_updated_at"}


#: The chat choices kept as one column each (``ChatStore._choose``).
CHOICE_COLUMNS = frozenset({"language", "replies", "recaps"})


class ChatStore:
    """Create, change and look up chats' settings; the database is the source of truth."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def _row(self, sql: sqlite3.Connection, chat_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = sql.execute(
            "SELECT * FROM chats WHERE chat_id = ?", (chat_id,)
        ).fetchone()
        return row

    # The daily briefing.

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
        language: str | None = None,
    ) -> Subscription:
        """Subscribe a chat (or change its schedule or topic) and return the stored row.

        ``language`` is the one the chat reads now; it is kept unless the chat chose one.
        """
        stamp = to_text(now)
        with self._db.transaction() as sql:
            sql.execute(
                """
                INSERT INTO chats (chat_id, chat_type, title, brief_time, brief_zone,
                    brief_thread, brief_active, subscribed_by, subscribed_at, brief_updated_at,
                    brief_inactive_reason, language)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, NULL, ?)
                ON CONFLICT (chat_id) DO UPDATE SET
                    language = COALESCE(chats.language, excluded.language),
                    chat_type = excluded.chat_type, title = excluded.title,
                    brief_time = excluded.brief_time, brief_zone = excluded.brief_zone,
                    brief_thread = excluded.brief_thread, brief_active = 1,
                    subscribed_by = excluded.subscribed_by,
                    subscribed_at = excluded.subscribed_at,
                    brief_updated_at = excluded.brief_updated_at, brief_inactive_reason = NULL
                """,
                (
                    chat_id,
                    chat_type,
                    title,
                    f"{schedule.local_time:%H:%M}",
                    schedule.time_zone,
                    thread_id,
                    subscribed_by,
                    stamp,
                    stamp,
                    language,
                ),
            )
            stored = _subscription(self._row(sql, chat_id))
        assert stored is not None
        return stored

    def subscription(self, chat_id: int) -> Subscription | None:
        """Return the chat's subscription, active or not."""
        rows = self._db.query("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        return _subscription(rows[0]) if rows else None

    def active(
        self, schedule: Schedule | None = None, chat_ids: Collection[int] | None = None
    ) -> list[Subscription]:
        """Return active subscriptions, optionally only one schedule's or some chats'."""
        sql = "SELECT * FROM chats WHERE brief_active = 1"
        parameters: tuple[object, ...] = ()
        if schedule is not None:
            sql += " AND brief_time = ? AND brief_zone = ?"
            parameters = (f"{schedule.local_time:%H:%M}", schedule.time_zone)
        rows = self._db.query(sql + " ORDER BY chat_id", parameters)
        wanted = None if chat_ids is None else set(chat_ids)
        return [
            s
            for s in map(_subscription, rows)
            if s is not None and (wanted is None or s.chat_id in wanted)
        ]

    def schedules(self) -> set[Schedule]:
        """Return the distinct schedules of active subscriptions (one job each)."""
        rows = self._db.query(
            "SELECT DISTINCT brief_time, brief_zone FROM chats WHERE brief_active = 1"
        )
        return {Schedule(time.fromisoformat(r["brief_time"]), r["brief_zone"]) for r in rows}

    def unsubscribe(self, chat_id: int, reason: str, now: datetime) -> Subscription | None:
        """Stop deliveries to a chat; return the subscription as it was if it was active."""
        with self._db.transaction() as sql:
            was = _subscription(self._row(sql, chat_id))
            if was is None or not was.active:
                return None
            sql.execute(
                "UPDATE chats SET brief_active = 0, brief_inactive_reason = ?, "
                "brief_updated_at = ? WHERE chat_id = ?",
                (reason, to_text(now), chat_id),
            )
        return was

    def set_chart(self, chat_id: int, chart: str | None, now: datetime) -> Subscription | None:
        """Set the chart an active subscription gets after its briefing; None when not active."""
        with self._db.transaction() as sql:
            updated = sql.execute(
                "UPDATE chats SET brief_chart = ?, brief_updated_at = ? "
                "WHERE chat_id = ? AND brief_active = 1",
                (chart, to_text(now), chat_id),
            ).rowcount
            if not updated:
                return None
            return _subscription(self._row(sql, chat_id))

    def counts(self) -> Mapping[str, int]:
        """Return active subscriptions per chat type, plus "inactive"."""
        rows = self._db.query(
            "SELECT CASE WHEN brief_active = 1 THEN chat_type ELSE 'inactive' END AS kind, "
            "COUNT(*) AS n FROM chats WHERE brief_time IS NOT NULL GROUP BY kind"
        )
        return {row["kind"]: row["n"] for row in rows}

    def _choose(
        self, chat_id: int, chat_type: str, title: str | None, column: str, value: str | None
    ) -> None:
        """Store one of the chat's choices (a chat without other settings gets a row)."""
        if column not in CHOICE_COLUMNS:
            raise ValueError(f"not a chat choice: {column!r}")
        with self._db.transaction() as sql:
            sql.execute(
                f"""
                INSERT INTO chats (chat_id, chat_type, title, {column}) VALUES (?, ?, ?, ?)
                ON CONFLICT (chat_id) DO UPDATE SET
                    chat_type = excluded.chat_type, title = excluded.title,
                    {column} = excluded.{column}
                """,
                (chat_id, chat_type, title, value),
            )

    def _chosen(self, chat_id: int, column: str) -> str | None:
        """Return one of the chat's choices, None when it never chose."""
        if column not in CHOICE_COLUMNS:
            raise ValueError(f"not a chat choice: {column!r}")
        rows = self._db.query(f"SELECT {column} FROM chats WHERE chat_id = ?", (chat_id,))
        return rows[0][column] if rows else None

    # The chat's language.

    def set_language(
        self, chat_id: int, *, chat_type: str, title: str | None, language: str
    ) -> None:
        """Store the language a chat chose (a chat without other settings gets a row)."""
        self._choose(chat_id, chat_type, title, "language", language)

    def language(self, chat_id: int) -> str | None:
        """Return the language the chat chose, None when it never chose one."""
        return self._chosen(chat_id, "language")

    # Where a group's on-demand answers go.

    def set_replies(self, chat_id: int, *, chat_type: str, title: str | None, replies: str) -> None:
        """Store whether a group's answers go to the asker alone or to everyone."""
        self._choose(chat_id, chat_type, title, "replies", replies)

    def replies(self, chat_id: int) -> str | None:
        """Return where the chat's answers go as it chose, None when it never chose."""
        return self._chosen(chat_id, "replies")

    # Weekly and monthly recaps, sent with the briefing.

    def set_recaps(
        self, chat_id: int, *, chat_type: str, title: str | None, recaps: str | None
    ) -> None:
        """Store which recaps the chat gets: "weekly", "monthly", "both", or None for none."""
        self._choose(chat_id, chat_type, title, "recaps", recaps)

    def recaps(self, chat_id: int) -> str | None:
        """Return which recaps the chat gets ("weekly", "monthly", "both"), None for none."""
        return self._chosen(chat_id, "recaps")

    def recap_choices(self) -> Mapping[int, str]:
        """Return every chat that chose recaps, with its choice."""
        rows = self._db.query("SELECT chat_id, recaps FROM chats WHERE recaps IS NOT NULL")
        return {row["chat_id"]: row["recaps"] for row in rows}

    # Rich messages (table views), or the HTML views after Telegram refused one.

    def refuse_rich(
        self, chat_id: int, *, chat_type: str, title: str | None, now: datetime
    ) -> None:
        """Remember that Telegram refused a rich message for the chat: it reads HTML from now."""
        with self._db.transaction() as sql:
            sql.execute(
                """
                INSERT INTO chats (chat_id, chat_type, title, rich_refused_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (chat_id) DO UPDATE SET rich_refused_at = excluded.rich_refused_at
                """,
                (chat_id, chat_type, title, now.isoformat()),
            )

    def reads_rich(self, chat_id: int) -> bool:
        """Return whether the chat gets rich messages (Telegram never refused one for it)."""
        rows = self._db.query("SELECT rich_refused_at FROM chats WHERE chat_id = ?", (chat_id,))
        return not rows or rows[0]["rich_refused_at"] is None

    # Regime-change alerts.

    def turn_alerts_on(
        self,
        chat_id: int,
        *,
        chat_type: str,
        title: str | None,
        thread_id: int | None,
        changed_by: int | None,
        now: datetime,
        language: str | None = None,
    ) -> AlertChat:
        """Turn a chat's alerts on (in ``thread_id``, a forum topic); keep an earlier start.

        ``language`` is the one the chat reads now; it is kept unless the chat chose one.
        """
        stamp = to_text(now)
        with self._db.transaction() as sql:
            sql.execute(
                """
                INSERT INTO chats (chat_id, chat_type, title, alerts_enabled, alerts_thread,
                    alerts_changed_by, alerts_since, alerts_updated_at, alerts_off_reason,
                    language)
                VALUES (?, ?, ?, 1, ?, ?, ?, ?, NULL, ?)
                ON CONFLICT (chat_id) DO UPDATE SET
                    language = COALESCE(chats.language, excluded.language),
                    chat_type = excluded.chat_type, title = excluded.title,
                    alerts_thread = excluded.alerts_thread,
                    alerts_changed_by = excluded.alerts_changed_by,
                    alerts_since = CASE WHEN chats.alerts_enabled = 1
                        THEN chats.alerts_since ELSE excluded.alerts_since END,
                    alerts_enabled = 1, alerts_updated_at = excluded.alerts_updated_at,
                    alerts_off_reason = NULL
                """,
                (chat_id, chat_type, title, thread_id, changed_by, stamp, stamp, language),
            )
            stored = _alert_chat(self._row(sql, chat_id))
        assert stored is not None
        return stored

    def turn_alerts_off(self, chat_id: int, reason: str, now: datetime) -> AlertChat | None:
        """Turn a chat's alerts off; return the setting as it was if they were on."""
        with self._db.transaction() as sql:
            was = _alert_chat(self._row(sql, chat_id))
            if was is None or not was.enabled:
                return None
            sql.execute(
                "UPDATE chats SET alerts_enabled = 0, alerts_off_reason = ?, "
                "alerts_updated_at = ? WHERE chat_id = ?",
                (reason, to_text(now), chat_id),
            )
        return was

    def alerts(self, chat_id: int) -> AlertChat | None:
        """Return the chat's alert setting, if it ever had one."""
        rows = self._db.query("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        return _alert_chat(rows[0]) if rows else None

    def alert_chats(self) -> list[AlertChat]:
        """Return the chats with alerts on, by chat id."""
        rows = self._db.query("SELECT * FROM chats WHERE alerts_enabled = 1 ORDER BY chat_id")
        return [chat for chat in map(_alert_chat, rows) if chat is not None]

    def alert_count(self) -> int:
        """Return how many chats have alerts on."""
        rows = self._db.query("SELECT COUNT(*) AS n FROM chats WHERE alerts_enabled = 1")
        return int(rows[0]["n"])

    # What Telegram tells the sender about a chat.

    def stop(self, chat_id: int, purpose: Purpose, reason: str, now: datetime) -> None:
        """Stop sending ``purpose`` to a chat that blocked the bot or is gone."""
        if purpose is Purpose.BRIEFING:
            self.unsubscribe(chat_id, reason, now)
        else:
            self.turn_alerts_off(chat_id, reason, now)

    def clear_thread(self, chat_id: int, purpose: Purpose, now: datetime) -> None:
        """Send ``purpose`` to the chat itself from now on (its topic was deleted)."""
        thread, updated = _THREAD_COLUMN[purpose], _UPDATED_COLUMN[purpose]
        with self._db.transaction() as sql:
            sql.execute(
                f"UPDATE chats SET {thread} = NULL, {updated} = ? WHERE chat_id = ?",
                (to_text(now), chat_id),
            )

    def migrate(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        """Move a group's settings to the supergroup it became.

        Each setting the supergroup made on its own already (an active subscription, any
        alert setting) is kept; the group's fills in the rest.
        """
        stamp = to_text(now)
        with self._db.transaction() as sql:
            old = self._row(sql, old_chat_id)
            if old is None:
                return
            new = self._row(sql, new_chat_id)
            if new is None:
                sql.execute(
                    "UPDATE chats SET chat_id = ?, chat_type = 'supergroup' WHERE chat_id = ?",
                    (new_chat_id, old_chat_id),
                )
                new = old
            else:
                if not new["brief_active"] and old["brief_time"] is not None:
                    sql.execute(
                        f"UPDATE chats SET ({_BRIEF_COLUMNS}) = "
                        f"(SELECT {_BRIEF_COLUMNS} FROM chats WHERE chat_id = ?) WHERE chat_id = ?",
                        (old_chat_id, new_chat_id),
                    )
                if new["alerts_updated_at"] is None and old["alerts_updated_at"] is not None:
                    sql.execute(
                        f"UPDATE chats SET ({_ALERT_COLUMNS}) = "
                        f"(SELECT {_ALERT_COLUMNS} FROM chats WHERE chat_id = ?) WHERE chat_id = ?",
                        (old_chat_id, new_chat_id),
                    )
                sql.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))
            for chosen in ("language", "replies", "recaps", "rich_refused_at"):
                if new is not old and new[chosen] is None and old[chosen] is not None:
                    sql.execute(
                        f"UPDATE chats SET {chosen} = ? WHERE chat_id = ?",
                        (old[chosen], new_chat_id),
                    )
            moved_brief = old["brief_time"] is not None and (new is old or not new["brief_active"])
            moved_alerts = old["alerts_updated_at"] is not None and (
                new is old or new["alerts_updated_at"] is None
            )
            sql.execute(
                "UPDATE chats SET chat_type = 'supergroup', "
                "brief_updated_at = CASE WHEN ? THEN ? ELSE brief_updated_at END, "
                "alerts_updated_at = CASE WHEN ? THEN ? ELSE alerts_updated_at END "
                "WHERE chat_id = ?",
                (moved_brief, stamp, moved_alerts, stamp, new_chat_id),
            )

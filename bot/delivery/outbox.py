"""The outbox log: one row per (chat, session, item), so each item reaches a chat once.

An item is the session's briefing (``briefing``) or one regime-change alert (``alert:<key>``).
A message part is marked "sending" before it goes out and counted after Telegram acknowledges
it, so after a crash only the part that was in flight can be sent twice; everything
acknowledged is never resent. Rows are claimed by an owner (one sender of one process), so a
``marketbrief push`` beside a running bot never sends the same item at the same time.

Several items may travel together (alerts grouped into one message): they are claimed, counted
and finished together. The methods are synchronous; the bot calls them through ``Database.run``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.store.database import Database, from_text, to_text

#: The item of a session's daily briefing.
BRIEFING = "briefing"
#: The prefix of alert items: ``alert:cross50:IWM/SPY``.
ALERT_PREFIX = "alert:"

#: How long another process's claim is respected when its liveness is unknown.
CLAIM_LEASE = timedelta(minutes=10)

#: Owners (senders) alive in this process; claims of any other owner of this pid are stale.
_LIVE_OWNERS: set[str] = set()


def alert_item(key: str) -> str:
    """Return the outbox item of an alert key."""
    return ALERT_PREFIX + key


class Status(StrEnum):
    """Where a (chat, session, item) stands."""

    PENDING = "pending"
    """Not finished; retried by the next catch-up or evaluation."""
    SENDING = "sending"
    """A part is in flight (unknown whether it arrived if the process died)."""
    SENT = "sent"
    FAILED = "failed"
    """Given up for good: the chat blocked the bot or the message was refused."""


@dataclass(frozen=True)
class OutboxRecord:
    """One row of the outbox log."""

    chat_id: int
    session: date
    item: str
    status: Status
    parts_total: int | None
    parts_sent: int
    attempts: int
    owner: str | None
    last_error: str | None
    updated_at: datetime


def _record(row: sqlite3.Row) -> OutboxRecord:
    return OutboxRecord(
        chat_id=row["chat_id"],
        session=date.fromisoformat(row["session"]),
        item=row["item"],
        status=Status(row["status"]),
        parts_total=row["parts_total"],
        parts_sent=row["parts_sent"],
        attempts=row["attempts"],
        owner=row["owner"],
        last_error=row["last_error"],
        updated_at=from_text(row["updated_at"]),
    )


def new_owner() -> str:
    """Return a live claim owner id for this process: host, pid and a random nonce."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    _LIVE_OWNERS.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    """Mark an owner gone: its unfinished claims may be taken over at once."""
    _LIVE_OWNERS.discard(owner)


def _owner_alive(owner: str, claimed_at: datetime, now: datetime) -> bool:
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return now - claimed_at < CLAIM_LEASE
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # the process exists but belongs to someone else
    return now - claimed_at < CLAIM_LEASE


def _in(items: Sequence[str]) -> str:
    return f"item IN ({', '.join('?' for _ in items)})"


def _mark_sending(
    sql: sqlite3.Connection,
    chat_id: int,
    session: date,
    items: Sequence[str],
    part: int,
    total: int,
    now: datetime,
) -> None:
    """Mark part ``part`` (0-based) of ``total`` of the items as in flight."""
    stamp = to_text(now)
    sql.execute(
        "UPDATE outbox SET status = 'sending', parts_total = ?, parts_sent = ?, "
        "claimed_at = ?, updated_at = ? "
        f"WHERE chat_id = ? AND session = ? AND {_in(items)}",
        (total, part, stamp, stamp, chat_id, session.isoformat(), *items),
    )


class OutboxLog:
    """The (chat, session, item) log that makes every push idempotent."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def claim(
        self,
        chat_id: int,
        session: date,
        items: Sequence[str],
        owner: str,
        now: datetime,
        *,
        parts: int | None = None,
    ) -> int | None:
        """Take ``items`` for ``owner``; return how many parts are already sent, None to skip.

        Skipped: sent or failed for good, or claimed by another sender that is still alive.
        Given ``parts`` (the message's part count), the first part due is also marked as
        sending in the same transaction (as ``begin_part`` does), one write less per message.
        """
        with self._db.transaction() as sql:
            start = self._claim(sql, chat_id, session, items, owner, now)
            if start is not None and parts is not None and start < parts:
                _mark_sending(sql, chat_id, session, items, start, parts, now)
            return start

    def _claim(
        self,
        sql: sqlite3.Connection,
        chat_id: int,
        session: date,
        items: Sequence[str],
        owner: str,
        now: datetime,
    ) -> int | None:
        day, stamp = session.isoformat(), to_text(now)
        rows = sql.execute(
            f"SELECT * FROM outbox WHERE chat_id = ? AND session = ? AND {_in(items)}",
            (chat_id, day, *items),
        ).fetchall()
        unfinished = [row for row in rows if row["status"] not in (Status.SENT, Status.FAILED)]
        if len(rows) == len(items) and not unfinished:
            return None
        for row in rows:
            holder, claimed_at = row["owner"], row["claimed_at"]
            if (
                holder
                and holder != owner
                and claimed_at
                and _owner_alive(holder, from_text(claimed_at), now)
            ):
                return None
        sql.executemany(
            "INSERT INTO outbox (chat_id, session, item, status, owner, claimed_at, "
            "attempts, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, 1, ?) "
            "ON CONFLICT (chat_id, session, item) DO UPDATE SET owner = excluded.owner, "
            "claimed_at = excluded.claimed_at, attempts = outbox.attempts + 1, "
            "updated_at = excluded.updated_at",
            [(chat_id, day, item, owner, stamp, stamp) for item in items],
        )
        if len(rows) < len(items):
            return 0
        return min(int(row["parts_sent"]) for row in unfinished)

    def begin_part(
        self,
        chat_id: int,
        session: date,
        items: Sequence[str],
        part: int,
        total: int,
        now: datetime,
    ) -> None:
        """Record that part ``part`` (0-based) of ``total`` is about to be sent."""
        with self._db.transaction() as sql:
            _mark_sending(sql, chat_id, session, items, part, total, now)

    def part_sent(
        self,
        chat_id: int,
        session: date,
        items: Sequence[str],
        part: int,
        total: int,
        now: datetime,
    ) -> None:
        """Record that Telegram acknowledged part ``part``; the last part completes the items."""
        done = part + 1 >= total
        with self._db.transaction() as sql:
            sql.execute(
                "UPDATE outbox SET status = ?, parts_sent = ?, last_error = NULL, "
                "owner = CASE WHEN ? THEN NULL ELSE owner END, updated_at = ? "
                f"WHERE chat_id = ? AND session = ? AND {_in(items)}",
                (
                    Status.SENT if done else Status.PENDING,
                    part + 1,
                    done,
                    to_text(now),
                    chat_id,
                    session.isoformat(),
                    *items,
                ),
            )

    def release(
        self, chat_id: int, session: date, items: Sequence[str], error: str, now: datetime
    ) -> None:
        """Leave items pending for the next catch-up, noting why they stopped."""
        self._finish(chat_id, session, items, Status.PENDING, error, now)

    def fail(
        self, chat_id: int, session: date, items: Sequence[str], error: str, now: datetime
    ) -> None:
        """Give items up for good (blocked, removed, or refused by Telegram)."""
        self._finish(chat_id, session, items, Status.FAILED, error, now)

    def _finish(
        self,
        chat_id: int,
        session: date,
        items: Sequence[str],
        status: Status,
        error: str,
        now: datetime,
    ) -> None:
        stamp, day = to_text(now), session.isoformat()
        with self._db.transaction() as sql:
            # Items never claimed (a chat gone before its turn) get a row too: "failed" is final.
            sql.executemany(
                "INSERT INTO outbox (chat_id, session, item, status, last_error, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, session, item) DO UPDATE SET "
                "status = excluded.status, last_error = excluded.last_error, owner = NULL, "
                "updated_at = excluded.updated_at",
                [(chat_id, day, item, status, error[:500], stamp) for item in items],
            )

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Move a chat's rows to the id of the supergroup it became (its own rows win)."""
        with self._db.transaction() as sql:
            sql.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND (session, item) IN "
                "(SELECT session, item FROM outbox WHERE chat_id = ?)",
                (old_chat_id, new_chat_id),
            )
            sql.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )

    def forget_failures(self, chat_id: int, item: str = BRIEFING) -> None:
        """Let a chat that subscribes again receive sessions of ``item`` that failed before."""
        with self._db.transaction() as sql:
            sql.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND item = ? AND status = 'failed'",
                (chat_id, item),
            )

    def get(self, chat_id: int, session: date, item: str = BRIEFING) -> OutboxRecord | None:
        """Return the log row of one item."""
        rows = self._db.query(
            "SELECT * FROM outbox WHERE chat_id = ? AND session = ? AND item = ?",
            (chat_id, session.isoformat(), item),
        )
        return _record(rows[0]) if rows else None

    def counts(self, session: date | None = None, *, alerts: bool = False) -> Mapping[str, int]:
        """Return briefing rows (or alert rows) per status, for one session or all."""
        sql = "SELECT status, COUNT(*) AS n FROM outbox WHERE "
        sql += "item LIKE 'alert:%'" if alerts else "item = 'briefing'"
        parameters: tuple[object, ...] = ()
        if session is not None:
            sql += " AND session = ?"
            parameters = (session.isoformat(),)
        rows = self._db.query(sql + " GROUP BY status", parameters)
        return {row["status"]: row["n"] for row in rows}

    def finished(self, session: date, item: str = BRIEFING) -> set[int]:
        """Return the chats whose ``item`` of ``session`` is sent or given up for good."""
        rows = self._db.query(
            "SELECT chat_id FROM outbox WHERE session = ? AND item = ? "
            "AND status IN ('sent', 'failed')",
            (session.isoformat(), item),
        )
        return {row["chat_id"] for row in rows}

    def done_alerts(self, chat_id: int, session: date) -> set[str]:
        """Return the keys of ``session``'s alerts that ``chat_id`` got or never will."""
        rows = self._db.query(
            "SELECT item FROM outbox WHERE chat_id = ? AND session = ? AND item LIKE 'alert:%' "
            "AND status IN ('sent', 'failed')",
            (chat_id, session.isoformat()),
        )
        return {row["item"].removeprefix(ALERT_PREFIX) for row in rows}

"""Opening a database in the unversioned layout migrates it in place; nothing a user had is lost.

The legacy file is written the way the bot wrote it before the outbox: the same DDL and the
same rows its stores inserted (a subscription per chat, a delivery row per chat and session,
an alert setting per chat, an alert log row per chat, session and alert key).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.outbox import BRIEFING, OutboxLog, Status, alert_item, new_owner
from bot.store.chats import AlertChat, ChatStore, Schedule, Subscription
from bot.store.database import Database
from bot.store.schema import SCHEMA_VERSION, SchemaError
from briefings.storage import StorageFault

LEGACY_SCHEMA = """
CREATE TABLE subscriptions (
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
CREATE INDEX subscriptions_schedule ON subscriptions (active, local_time, time_zone);
CREATE TABLE deliveries (
    chat_id     INTEGER NOT NULL,
    session     TEXT NOT NULL,
    status      TEXT NOT NULL,
    parts_total INTEGER,
    parts_sent  INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    owner       TEXT,
    claimed_at  TEXT,
    last_error  TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, session)
);
CREATE INDEX deliveries_session ON deliveries (session, status);
CREATE TABLE alert_chats (
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
CREATE TABLE alert_log (
    chat_id    INTEGER NOT NULL,
    session    TEXT NOT NULL,
    key        TEXT NOT NULL,
    status     TEXT NOT NULL,
    sent_at    TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, session, key)
);
CREATE INDEX alert_log_session ON alert_log (session, status);
"""

T1, T2, T3 = "2025-11-01T12:00:00+00:00", "2025-11-10T08:30:00+00:00", "2025-11-21T13:00:00+00:00"
SESSION, EARLIER = date(2025, 11, 20), date(2025, 11, 19)
#: (chat_id, chat_type, title, thread_id, local_time, time_zone, active, subscribed_by,
#:  subscribed_at, updated_at, inactive_reason, chart)
SUBSCRIPTIONS: list[tuple[Any, ...]] = [
    (1, "private", "Ann", None, "08:00", "America/New_York", 1, 1, T1, T1, None, None),
    (2, "private", "Bob", None, "07:30", "Europe/London", 1, 2, T1, T2, None, "rrg"),
    (-100, "supergroup", "Desk", 42, "16:30", "Asia/Tokyo", 1, 7, T1, T1, None, "sectors"),
    (3, "private", "Cy", None, "09:00", "Europe/Paris", 0, 3, T1, T2, "forbidden: blocked", None),
]
#: (chat_id, session, status, parts_total, parts_sent, attempts, owner, claimed_at, last_error,
#:  updated_at)
DELIVERIES: list[tuple[Any, ...]] = [
    (1, "2025-11-19", "sent", 2, 2, 1, None, T2, None, T2),
    (1, "2025-11-20", "sending", 3, 1, 1, "elsewhere:1:dead", T3, None, T3),
    (2, "2025-11-20", "pending", 3, 0, 2, None, T3, "Bad Gateway", T3),
    (3, "2025-11-20", "failed", None, 0, 1, None, T3, "forbidden: blocked", T3),
]
#: (chat_id, chat_type, title, thread_id, enabled, changed_by, enabled_at, updated_at,
#:  disabled_reason)
ALERT_CHATS: list[tuple[Any, ...]] = [
    (2, "private", "Bob", None, 1, 2, T1, T1, None),
    (-100, "supergroup", "Desk", 9, 1, 7, T2, T2, None),
    (4, "private", "Di", None, 0, 4, T1, T2, "turned off by user 4"),
]
#: (chat_id, session, key, status, sent_at, updated_at)
ALERT_LOG: list[tuple[Any, ...]] = [
    (2, "2025-11-20", "cross50:IWM/SPY", "sent", T3, T3),
    (2, "2025-11-20", "record:SPY", "sent", T3, T3),
    (-100, "2025-11-20", "cross50:IWM/SPY", "sending", None, T3),
    (4, "2025-11-19", "record:SPY", "failed", None, T2),
]


def write_versioned(path: Path, schema: str, version: int, *rows: str) -> Path:
    """Write a bot database with ``schema``'s tables, ``rows`` (INSERTs) and ``version``."""
    connection = sqlite3.connect(path)
    connection.executescript(schema)
    for row in rows:
        connection.execute(row)
    connection.execute(f"PRAGMA user_version = {version}")
    connection.commit()
    connection.close()
    return path


def write_legacy(path: Path, *, with_chart_column: bool = True) -> None:
    """Write a database the way the bot did before versioned schemas."""
    connection = sqlite3.connect(path)
    schema = LEGACY_SCHEMA
    subscriptions = list(SUBSCRIPTIONS)
    if not with_chart_column:  # before the per-chat chart setting
        schema = schema.replace(",\n    chart           TEXT\n", "\n")
        subscriptions = [row[:-1] for row in SUBSCRIPTIONS]
    connection.executescript(schema)
    marks = ", ".join("?" * len(subscriptions[0]))
    connection.executemany(f"INSERT INTO subscriptions VALUES ({marks})", subscriptions)
    connection.executemany(
        "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", DELIVERIES
    )
    connection.executemany(
        "INSERT INTO alert_chats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ALERT_CHATS
    )
    connection.executemany("INSERT INTO alert_log VALUES (?, ?, ?, ?, ?, ?)", ALERT_LOG)
    connection.commit()
    connection.close()


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def expected_subscription(row: tuple[Any, ...], *, chart: bool = True) -> Subscription:
    (chat_id, chat_type, title, thread, local, zone, active, by, at, updated, reason, name) = row
    return Subscription(
        chat_id=int(chat_id),
        chat_type=str(chat_type),
        title=title,
        thread_id=thread,
        schedule=Schedule(time.fromisoformat(str(local)), str(zone)),
        active=bool(active),
        subscribed_by=by,
        subscribed_at=moment(str(at)),
        updated_at=moment(str(updated)),
        inactive_reason=reason,
        chart=name if chart else None,
    )


def expected_alert_chat(row: tuple[Any, ...]) -> AlertChat:
    chat_id, chat_type, title, thread, enabled, by, since, updated, reason = row
    return AlertChat(
        chat_id=int(chat_id),
        chat_type=str(chat_type),
        title=title,
        thread_id=thread,
        enabled=bool(enabled),
        changed_by=by,
        enabled_at=moment(str(since)) if since else None,
        updated_at=moment(str(updated)),
        disabled_reason=reason,
    )


@pytest.mark.parametrize("with_chart_column", [True, False])
def test_every_subscription_delivery_and_alert_setting_survives(
    tmp_path: Path, with_chart_column: bool
) -> None:
    path = tmp_path / "bot.sqlite3"
    write_legacy(path, with_chart_column=with_chart_column)
    database = Database(path)
    assert database.schema_version() == SCHEMA_VERSION
    chats, outbox = ChatStore(database), OutboxLog(database)

    for row in SUBSCRIPTIONS:
        chat_id = int(row[0])
        expected = expected_subscription(row, chart=with_chart_column)
        assert chats.subscription(chat_id) == expected
    assert chats.subscription(4) is None  # alerts only, never subscribed
    assert [s.chat_id for s in chats.active()] == [-100, 1, 2]
    for row in ALERT_CHATS:
        assert chats.alerts(int(row[0])) == expected_alert_chat(row)
    assert chats.alerts(1) is None  # subscribed, never turned alerts on
    assert [c.chat_id for c in chats.alert_chats()] == [-100, 2]

    for chat_id, day, status, total, sent, attempts, owner, _, error, updated in DELIVERIES:
        record = outbox.get(int(chat_id), date.fromisoformat(str(day)))
        assert record is not None
        assert (record.status, record.parts_total, record.parts_sent, record.attempts) == (
            Status(status),
            total,
            sent,
            attempts,
        )
        assert (record.owner, record.last_error, record.updated_at) == (
            owner,
            error,
            moment(str(updated)),
        )
    assert outbox.counts(SESSION) == {"sending": 1, "pending": 1, "failed": 1}
    assert outbox.counts(SESSION, alerts=True) == {"sent": 2, "sending": 1}
    assert outbox.done_alerts(2, SESSION) == {"cross50:IWM/SPY", "record:SPY"}
    assert outbox.done_alerts(-100, SESSION) == set()  # in flight when it stopped: sent again
    assert outbox.done_alerts(4, EARLIER) == {"record:SPY"}
    database.close()


def test_the_migrated_log_resumes_where_the_old_one_stopped(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    write_legacy(path)
    database = Database(path)
    outbox, owner = OutboxLog(database), new_owner()
    now = moment(T3)
    # Chat 1's third-of-three part was in flight: the remote claim's lease runs out later.
    assert outbox.claim(1, SESSION, (BRIEFING,), owner, now) is None
    assert outbox.claim(1, SESSION, (BRIEFING,), owner, datetime(2025, 11, 22, tzinfo=UTC)) == 1
    assert outbox.claim(1, EARLIER, (BRIEFING,), owner, now) is None  # sent: never again
    assert outbox.claim(3, SESSION, (BRIEFING,), owner, now) is None  # failed for good
    assert outbox.claim(2, SESSION, (BRIEFING,), owner, now) == 0
    assert outbox.claim(-100, SESSION, (alert_item("cross50:IWM/SPY"),), owner, now) == 0
    database.close()


def test_reopening_a_migrated_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    write_legacy(path)
    Database(path).close()
    database = Database(path)
    tables = {
        row[0] for row in database.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert tables == {"chats", "outbox"}
    assert len(database.query("SELECT * FROM chats")) == 5
    assert len(database.query("SELECT * FROM outbox")) == len(DELIVERIES) + len(ALERT_LOG)
    database.close()


def test_a_database_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(SchemaError, match="upgrade marketbrief"):
        Database(path)


#: The chats table of schema version 1 (before a chat's language was stored).
CHATS_V1 = """
CREATE TABLE chats (
    chat_id INTEGER PRIMARY KEY, chat_type TEXT NOT NULL, title TEXT, brief_time TEXT,
    brief_zone TEXT, brief_thread INTEGER, brief_active INTEGER NOT NULL DEFAULT 0,
    brief_chart TEXT, subscribed_by INTEGER, subscribed_at TEXT, brief_updated_at TEXT,
    brief_inactive_reason TEXT, alerts_enabled INTEGER NOT NULL DEFAULT 0, alerts_thread INTEGER,
    alerts_changed_by INTEGER, alerts_since TEXT, alerts_updated_at TEXT, alerts_off_reason TEXT
);
CREATE TABLE outbox (
    chat_id INTEGER NOT NULL, session TEXT NOT NULL, item TEXT NOT NULL, status TEXT NOT NULL,
    parts_total INTEGER, parts_sent INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, claimed_at TEXT, last_error TEXT,
    updated_at TEXT NOT NULL, PRIMARY KEY (chat_id, session, item)
);
"""


def test_version_1_gains_the_chats_language_and_keeps_its_chats(tmp_path: Path) -> None:
    path = write_versioned(
        tmp_path / "bot.sqlite3",
        CHATS_V1,
        1,
        "INSERT INTO chats (chat_id, chat_type, title, brief_time, brief_zone, brief_active, "
        "subscribed_at, brief_updated_at) VALUES (-5, 'group', 'Desk', '08:00', 'Asia/Shanghai', "
        "1, '2025-11-20T08:00:00+00:00', '2025-11-20T08:00:00+00:00')",
    )

    database = Database(path)
    assert database.schema_version() == SCHEMA_VERSION
    chats = ChatStore(database)
    subscription = chats.subscription(-5)
    assert subscription is not None
    assert subscription.active
    assert subscription.language is None  # never chosen: the default applies
    chats.set_language(-5, chat_type="group", title="Desk", language="zh")
    assert chats.language(-5) == "zh"
    assert chats.active()[0].language == "zh"
    # A group that becomes a supergroup keeps its language.
    chats.migrate(-5, -1005, datetime(2025, 11, 21, tzinfo=UTC))
    assert chats.language(-1005) == "zh"
    assert chats.language(-5) is None
    database.close()
    reopened = Database(path)
    assert reopened.schema_version() == SCHEMA_VERSION  # reopening changes nothing
    reopened.close()


def dump(path: Path) -> list[str]:
    """Return the database's schema and rows as SQL (the journal mode in its header aside)."""
    connection = sqlite3.connect(path)
    try:
        return [*connection.iterdump(), str(connection.execute("PRAGMA user_version").fetchone())]
    finally:
        connection.close()


def test_a_file_of_the_current_version_but_another_layout_is_refused_untouched(
    tmp_path: Path,
) -> None:
    # The version 1 tables under the current number.
    path = write_versioned(tmp_path / "bot.sqlite3", CHATS_V1, SCHEMA_VERSION)
    before = dump(path)
    with pytest.raises(
        StorageFault, match=r"its chats table lacks language, replies, recaps and 1 more\)"
    ) as refused:
        Database(path)
    assert refused.value.kind == "corrupt"
    assert str(path) in str(refused.value)
    assert dump(path) == before


def test_a_foreign_chats_table_in_an_unversioned_file_is_refused_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE chats (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    connection.commit()
    connection.close()
    before = dump(path)
    with pytest.raises(StorageFault, match="schema version 0 but not its layout"):
        Database(path)
    assert dump(path) == before  # the migration's new tables were rolled back


def test_tables_and_columns_a_newer_tool_added_beside_ours_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    Database(path).close()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (text TEXT NOT NULL)")
    connection.execute("ALTER TABLE chats ADD COLUMN nickname TEXT")
    connection.execute("ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
    connection.commit()
    connection.close()
    database = Database(path)
    ChatStore(database).set_language(-5, chat_type="group", title="Desk", language="zh")
    database.close()

    # A column every insert would have to give, which this version does not know, is refused.
    connection = sqlite3.connect(path)
    connection.executescript(
        "DROP TABLE outbox;"
        "CREATE TABLE outbox (chat_id INTEGER NOT NULL, session TEXT NOT NULL, item TEXT NOT NULL,"
        " status TEXT NOT NULL, parts_total INTEGER, parts_sent INTEGER NOT NULL DEFAULT 0,"
        " attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, claimed_at TEXT, last_error TEXT,"
        " updated_at TEXT NOT NULL, channel TEXT NOT NULL, PRIMARY KEY (chat_id, session, item));"
    )
    connection.close()
    with pytest.raises(StorageFault, match="requires unknown columns channel"):
        Database(path)


#: The chats table of schema version 2 (before a group chose where its answers go).
CHATS_V2 = CHATS_V1.replace("alerts_off_reason TEXT\n", "alerts_off_reason TEXT, language TEXT\n")


def test_version_2_gains_where_answers_go_and_keeps_its_chats(tmp_path: Path) -> None:
    path = write_versioned(
        tmp_path / "bot.sqlite3",
        CHATS_V2,
        2,
        "INSERT INTO chats (chat_id, chat_type, title, language) "
        "VALUES (-5, 'group', 'Desk', 'zh')",
    )

    database = Database(path)
    assert database.schema_version() == SCHEMA_VERSION
    chats = ChatStore(database)
    assert chats.language(-5) == "zh"
    assert chats.replies(-5) is None  # never chosen: answers go to the asker alone
    chats.set_replies(-5, chat_type="group", title="Desk", replies="public")
    chats.migrate(-5, -1005, datetime(2025, 11, 21, tzinfo=UTC))
    assert (chats.replies(-1005), chats.language(-1005)) == ("public", "zh")
    database.close()
    reopened = Database(path)
    assert reopened.schema_version() == SCHEMA_VERSION
    assert ChatStore(reopened).replies(-1005) == "public"
    reopened.close()


#: The chats table of schema version 3 (before recaps and the remembered rich refusal).
CHATS_V3 = CHATS_V2.replace("language TEXT\n", "language TEXT, replies TEXT\n")


def test_version_3_gains_the_rich_refusal_and_keeps_its_chats(tmp_path: Path) -> None:
    path = write_versioned(
        tmp_path / "bot.sqlite3",
        CHATS_V3,
        3,
        "INSERT INTO chats (chat_id, chat_type, title, language, replies) "
        "VALUES (-5, 'group', 'Desk', 'zh', 'public')",
    )

    database = Database(path)
    assert database.schema_version() == SCHEMA_VERSION
    chats = ChatStore(database)
    assert (chats.language(-5), chats.replies(-5)) == ("zh", "public")
    assert chats.reads_rich(-5)  # never refused: tables go as rich messages
    now = datetime(2025, 11, 21, tzinfo=UTC)
    chats.refuse_rich(-5, chat_type="group", title="Desk", now=now)
    chats.migrate(-5, -1005, now)
    assert not chats.reads_rich(-1005)
    assert chats.reads_rich(-7)  # a chat the bot never saw
    database.close()
    reopened = Database(path)
    assert reopened.schema_version() == SCHEMA_VERSION
    assert not ChatStore(reopened).reads_rich(-1005)
    reopened.close()

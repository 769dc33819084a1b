"""Subscriptions in the chats table: subscribe, change, deactivate, migrate, survive reopening."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from bot.store.chats import ChatStore, Purpose, Schedule
from bot.store.database import Database

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
EIGHT_NY = Schedule(time(8, 0), "America/New_York")
SEVEN_LONDON = Schedule(time(7, 30), "Europe/London")


def open_store(path: Path) -> ChatStore:
    return ChatStore(Database(path / "bot.sqlite3"))


def subscribe(
    store: ChatStore, chat_id: int, schedule: Schedule = EIGHT_NY, **extra: object
) -> None:
    fields: dict[str, object] = {
        "chat_type": "private",
        "title": f"chat {chat_id}",
        "thread_id": None,
        "subscribed_by": chat_id,
    }
    fields.update(extra)
    store.subscribe(chat_id, schedule=schedule, now=NOW, **fields)  # type: ignore[arg-type]


def test_subscribe_stores_every_field(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    stored = store.subscribe(
        -100123,
        chat_type="supergroup",
        title="Traders <&>",
        thread_id=7,
        schedule=SEVEN_LONDON,
        subscribed_by=42,
        now=NOW,
    )
    assert stored.chat_id == -100123
    assert stored.chat_type == "supergroup"
    assert stored.title == "Traders <&>"
    assert stored.thread_id == 7
    assert stored.schedule == SEVEN_LONDON
    assert stored.active
    assert stored.subscribed_by == 42
    assert stored.subscribed_at == NOW
    assert store.subscription(-100123) == stored


def test_resubscribing_replaces_the_schedule(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, 1)
    subscribe(store, 1, SEVEN_LONDON)
    assert [s.schedule for s in store.active()] == [SEVEN_LONDON]


def test_schedules_are_distinct_over_active_chats(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    for chat_id in (1, 2, 3):
        subscribe(store, chat_id)
    subscribe(store, 4, SEVEN_LONDON)
    assert store.schedules() == {EIGHT_NY, SEVEN_LONDON}
    assert [s.chat_id for s in store.active(EIGHT_NY)] == [1, 2, 3]
    store.unsubscribe(4, "unsubscribed", NOW)
    assert store.schedules() == {EIGHT_NY}
    assert [s.chat_id for s in store.active(chat_ids=[2, 4])] == [2]


def test_deactivate_keeps_the_row_and_reason(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, 1)
    assert store.unsubscribe(1, "forbidden: bot was blocked", NOW) is not None
    assert store.unsubscribe(1, "again", NOW) is None
    row = store.subscription(1)
    assert row is not None
    assert not row.active
    assert row.inactive_reason == "forbidden: bot was blocked"
    assert store.counts() == {"inactive": 1}


def test_migrate_moves_the_subscription_to_the_supergroup(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, -5, chat_type="group", title="Club")
    store.migrate(-5, -1005, NOW)
    moved = store.subscription(-1005)
    assert moved is not None
    assert moved.chat_id == -1005
    assert moved.chat_type == "supergroup"
    assert moved.title == "Club"
    assert store.subscription(-5) is None
    store.migrate(-5, -1005, NOW)  # nothing left to move
    assert store.subscription(-1005) == moved


def test_clear_thread_sends_to_the_chat_itself(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, -100, chat_type="supergroup", thread_id=12)
    store.clear_thread(-100, Purpose.BRIEFING, NOW)
    row = store.subscription(-100)
    assert row is not None
    assert row.thread_id is None


def test_subscriptions_survive_reopening_the_database(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, 1)
    subscribe(store, -2, SEVEN_LONDON, chat_type="group")
    reopened = open_store(tmp_path)
    assert [(s.chat_id, s.schedule) for s in reopened.active()] == [
        (-2, SEVEN_LONDON),
        (1, EIGHT_NY),
    ]
    assert reopened.counts() == {"private": 1, "group": 1}


def test_migrate_keeps_a_newer_supergroup_subscription(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, -5, chat_type="group")
    subscribe(store, -1005, SEVEN_LONDON, chat_type="supergroup")
    store.migrate(-5, -1005, NOW)
    kept = store.subscription(-1005)
    assert kept is not None
    assert kept.schedule == SEVEN_LONDON
    assert [s.chat_id for s in store.active()] == [-1005]


def test_migrate_moves_both_settings_and_keeps_the_supergroups_own(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, -5, chat_type="group", title="Club")
    store.turn_alerts_on(-5, chat_type="group", title="Club", thread_id=None, changed_by=1, now=NOW)
    store.turn_alerts_on(
        -1005, chat_type="supergroup", title="Club", thread_id=4, changed_by=2, now=NOW
    )
    store.migrate(-5, -1005, NOW)
    assert store.subscription(-5) is None
    assert store.alerts(-5) is None
    moved = store.subscription(-1005)
    assert moved is not None
    assert (moved.active, moved.schedule, moved.chat_type) == (True, EIGHT_NY, "supergroup")
    alerts = store.alerts(-1005)
    assert alerts is not None
    assert (alerts.thread_id, alerts.changed_by) == (4, 2)  # the supergroup's own setting

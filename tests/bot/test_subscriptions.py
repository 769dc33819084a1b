"""The subscriptions table: subscribe, change, deactivate, migrate, survive reopening."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from bot.database import Database
from bot.subscriptions import Schedule, SubscriptionStore

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
EIGHT_NY = Schedule(time(8, 0), "America/New_York")
SEVEN_LONDON = Schedule(time(7, 30), "Europe/London")


def open_store(path: Path) -> SubscriptionStore:
    return SubscriptionStore(Database(path / "bot.sqlite3"))


def subscribe(
    store: SubscriptionStore, chat_id: int, schedule: Schedule = EIGHT_NY, **extra: object
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
    assert store.get(-100123) == stored


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
    store.deactivate(4, "unsubscribed", NOW)
    assert store.schedules() == {EIGHT_NY}
    assert [s.chat_id for s in store.active(chat_ids=[2, 4])] == [2]


def test_deactivate_keeps_the_row_and_reason(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, 1)
    assert store.deactivate(1, "forbidden: bot was blocked", NOW) is not None
    assert store.deactivate(1, "again", NOW) is None
    row = store.get(1)
    assert row is not None
    assert not row.active
    assert row.inactive_reason == "forbidden: bot was blocked"
    assert store.counts() == {"inactive": 1}


def test_migrate_moves_the_subscription_to_the_supergroup(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, -5, chat_type="group", title="Club")
    moved = store.migrate(-5, -1005, NOW)
    assert moved is not None
    assert moved.chat_id == -1005
    assert moved.chat_type == "supergroup"
    assert moved.title == "Club"
    assert store.get(-5) is None
    assert store.migrate(-5, -1005, NOW) is None


def test_clear_thread_sends_to_the_chat_itself(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    subscribe(store, -100, chat_type="supergroup", thread_id=12)
    store.clear_thread(-100, NOW)
    row = store.get(-100)
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
    kept = store.migrate(-5, -1005, NOW)
    assert kept is not None
    assert kept.schedule == SEVEN_LONDON
    assert [s.chat_id for s in store.active()] == [-1005]

"""Recap choices in the bot database: version 3 files gain them in place, chats keep them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.store.chats import ChatStore
from bot.store.database import Database
from bot.store.schema import SCHEMA_VERSION
from tests.bot.test_schema_migration import CHATS_V3, write_versioned


def test_version_3_gains_recaps_and_keeps_its_chats(tmp_path: Path) -> None:
    path = write_versioned(
        tmp_path / "bot.sqlite3",
        CHATS_V3,
        3,
        "INSERT INTO chats (chat_id, chat_type, title, brief_time, brief_zone, brief_active, "
        "subscribed_at, brief_updated_at, language, replies) VALUES (-5, 'group', 'Desk', "
        "'08:00', 'Asia/Shanghai', 1, '2025-11-20T08:00:00+00:00', "
        "'2025-11-20T08:00:00+00:00', 'zh', 'public')",
    )

    database = Database(path)
    assert database.schema_version() == SCHEMA_VERSION
    chats = ChatStore(database)
    assert chats.recaps(-5) is None  # never chosen: no recaps
    assert (chats.language(-5), chats.replies(-5)) == ("zh", "public")
    subscription = chats.subscription(-5)
    assert subscription is not None
    assert subscription.active
    chats.set_recaps(-5, chat_type="group", title="Desk", recaps="monthly")
    assert chats.recap_choices() == {-5: "monthly"}
    chats.migrate(-5, -1005, datetime(2025, 11, 21, tzinfo=UTC))
    assert chats.recaps(-1005) == "monthly"
    database.close()
    reopened = Database(path)
    assert reopened.schema_version() == SCHEMA_VERSION
    assert ChatStore(reopened).recap_choices() == {-1005: "monthly"}
    reopened.close()

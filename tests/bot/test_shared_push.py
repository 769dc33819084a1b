"""Two ``marketbrief push`` processes share one paid broadcast: every chat gets it exactly once.

Each process claims a chat's briefing in the outbox log before sending it, so a chat the other
process holds is skipped, not sent twice. Each gets half the paid rate, and together they stay
inside the server's paid limit.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from bot.store.chats import ChatStore, Schedule
from bot.store.database import Database
from localapi import LocalApiControl
from tests.bot.test_crash import api_url, bot_env, prepare_data_dir  # noqa: F401 (fixture)

CHATS = 400
PAID_RATE = 100


def test_two_push_processes_share_a_broadcast_without_loss_or_duplicates(
    api_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
    demo_store: Path,
) -> None:
    data_dir = prepare_data_dir(tmp_path, demo_store)
    chats = list(range(700_001, 700_001 + CHATS))
    database = Database(data_dir / "bot.sqlite3")
    store = ChatStore(database)
    with LocalApiControl(api_url) as control:
        control.reset()
        control.set_flood_limits({"paid_per_second": PAID_RATE})
        for chat in chats:
            control.add_chat(chat, "private")
            store.subscribe(
                chat,
                chat_type="private",
                title=None,
                thread_id=None,
                schedule=Schedule(clock_time(8, 0), "America/New_York"),
                subscribed_by=chat,
                now=datetime(2025, 1, 1, tzinfo=UTC),
            )
        database.close()
        env = {**bot_env(api_url, data_dir), "MARKETBRIEF_PAID_BROADCAST_RATE": "50"}
        command = [sys.executable, "-m", "bot.cli", "push"]
        processes = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120)[0] for process in processes]
        assert [process.returncode for process in processes] == [0, 0], outputs

        per_chat = Counter(message["chat_id"] for message in control.bot_messages())
        parts = {text for m in control.bot_messages() if (text := m["text"])}
        calls = [c for c in control.calls("sendMessage") if c["status"] == 200]
        rejections = control.flood_rejections()
        paid = control.paid_broadcasts()

    assert set(per_chat) == set(chats)  # none lost
    assert set(per_chat.values()) == {len(parts)}  # none with a part twice
    sent = [int(re.search(r"(\d+) sent", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    print(f"\nshared push: {CHATS} chats, sent {sent[0]} + {sent[1]}; 429s: {rejections}")
    assert sum(sent) == CHATS
    assert min(sent) > 0, outputs  # both processes took part in the one broadcast
    assert paid == len(calls) == CHATS * len(parts)
    assert rejections == 0

"""Two ``marketbrief push`` processes share one paid broadcast: every chat gets it exactly once.

Each process claims a chat's briefing in the outbox log before sending it, so a chat the other
process holds is skipped, not sent twice. Each gets half the paid rate, and together they stay
inside the server's paid limit.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from localapi import LocalApiControl
from tests.bot.push_processes import (  # noqa: F401 (the fixture)
    api_url,
    bot_env,
    prepare_data_dir,
    run_pushes,
    subscribe_private_chats,
)

# 1.5 s of broadcast at the token's 100 a second, which the two processes share: far longer than
# the two take to start, so both take part.
CHATS = 150
PAID_RATE = 100


def test_two_push_processes_share_a_broadcast_without_loss_or_duplicates(
    api_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
    demo_store: Path,
) -> None:
    data_dir = prepare_data_dir(tmp_path, demo_store)
    chats = list(range(700_001, 700_001 + CHATS))
    with LocalApiControl(api_url) as control:
        control.reset()
        control.set_flood_limits({"paid_per_second": PAID_RATE})
        subscribe_private_chats(data_dir, control, chats)
        # Each process is set to the token's whole rate: the flood budget shares it.
        env = {**bot_env(api_url, data_dir), "MARKETBRIEF_PAID_BROADCAST_RATE": str(PAID_RATE)}
        outputs = run_pushes(env)

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

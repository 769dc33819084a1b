"""Out of process: kill -9 the bot mid-broadcast; after a restart every chat has the briefing.

Also runs ``marketbrief run`` against an out-of-process local Bot API: it answers, stops on
SIGTERM, and never writes the token to its log.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.database import Database
from localapi import LocalApiControl
from tests.bot.conftest import TOKEN
from tests.bot.push_processes import (  # noqa: F401 (the fixture)
    api_url,
    bot_env,
    prepare_data_dir,
    subscribe_private_chats,
)

# At the server's 30 messages a second: about two seconds of broadcast, the kill after half a
# second (the polling below checks every 20 ms).
CHATS = 60
KILL_AFTER = 15  # messages delivered before the kill (of one or two a chat)


def push(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "push"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def in_flight(data_dir: Path) -> int:
    database = Database(data_dir / "bot.sqlite3")
    try:
        rows = database.query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'sending'")
        return int(rows[0]["n"])
    finally:
        database.close()


def test_kill_mid_broadcast_then_restart_delivers_to_every_chat(
    api_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
    demo_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = prepare_data_dir(tmp_path, demo_store)
    chats = list(range(900_001, 900_001 + CHATS))
    with LocalApiControl(api_url) as control:
        subscribe_private_chats(data_dir, control, chats)
        env = bot_env(api_url, data_dir)

        first = push(env)
        deadline = time.monotonic() + 60
        while len(control.bot_messages()) < KILL_AFTER:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the broadcast did not start"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL, "the broadcast ended before the kill"
        at_kill = len(control.bot_messages())
        unacknowledged = in_flight(data_dir)

        # The restart is what `marketbrief push` runs, here in this process: only the kill
        # needs a process of its own.
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        restarted = main(["push"])
        out, err = capsys.readouterr()
        assert restarted == 0, err

        per_chat = Counter(message["chat_id"] for message in control.bot_messages())
        parts = min(per_chat.values())
        assert set(per_chat) == set(chats)
        assert parts >= 1
        duplicates = sum(per_chat.values()) - parts * CHATS
        rejected = control.flood_rejections()
        print(
            f"\ncrash test: {CHATS} chats, {parts} part(s) each; killed after {at_kill} "
            f"messages with {unacknowledged} in flight; duplicates after restart: {duplicates}; "
            f"flood-limit 429s: {rejected}"
        )
        assert duplicates <= unacknowledged
        assert "sent" in out
        assert TOKEN not in out + err


def test_run_answers_and_stops_cleanly_without_logging_the_token(
    api_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
    demo_store: Path,
) -> None:
    data_dir = prepare_data_dir(tmp_path, demo_store)
    env = bot_env(api_url, data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with LocalApiControl(api_url) as control:
            control.add_chat(4242, "private")
            control.send_text(4242, 4242, "/start")
            replies = control.wait_for_messages(4242, 1, timeout=30)
            assert "Market rotation briefings" in replies[0]["shown_text"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "@marketbrief_bot started:" in err  # the one start-up line (PTB's are WARNING+)
    assert TOKEN not in out + err
    assert TOKEN.split(":")[1] not in err


@pytest.mark.parametrize(
    ("argv", "token", "expected"),
    [
        (["push"], "123456789:AAHaDifferentTokenTheServerRejects", "Telegram rejected"),
        (["push", "--chat", "31337"], TOKEN, "chat 31337 is not subscribed"),
    ],
)
def test_push_refusals_are_one_line_and_exit_2(
    api_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
    demo_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    token: str,
    expected: str,
) -> None:
    data_dir = prepare_data_dir(tmp_path, demo_store)
    for name, value in bot_env(api_url, data_dir).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert token not in err

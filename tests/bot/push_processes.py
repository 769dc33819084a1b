"""Out-of-process pushes: a flood-enforcing local Bot API process, a data dir, subscribed chats."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest

from bot.store.chats import ChatStore, Schedule
from bot.store.database import Database
from briefings.config import Settings
from localapi import LocalApiControl
from tests.bot.conftest import TOKEN


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    """Start ``python -m localapi`` (enforcing flood limits) in its own process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "localapi", "--port", "0", "--token", TOKEN, "--flood"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), line
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        process.communicate(timeout=10)


def bot_env(api_url: str, data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "MARKETBRIEF_DATA_DIR": str(data_dir),
        "MARKETBRIEF_SOURCE": "demo",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return env


def prepare_data_dir(tmp_path: Path, demo_store: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_store, Settings(data_dir=data_dir).store_path)
    return data_dir


def run_pushes(env: dict[str, str], count: int = 2) -> list[str]:
    """Run ``count`` ``marketbrief push`` processes at once; return what each printed (exit 0)."""
    command = [sys.executable, "-m", "bot.cli", "push"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(count)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0] * count, outputs
    return outputs


def subscribe_private_chats(data_dir: Path, control: LocalApiControl, chats: list[int]) -> None:
    """Make each chat a private chat on the server, subscribed at 08:00 New York time."""
    database = Database(data_dir / "bot.sqlite3")
    store = ChatStore(database)
    try:
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
    finally:
        database.close()

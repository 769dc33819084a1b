"""marketbrief backup: a consistent copy of both databases while another process writes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.backup import BackupError, backup_databases
from bot.cli import main
from bot.config import BOT_DATABASE_NAME
from briefings.config import Settings

#: Subscribes chat after chat, then turns its alerts on: two commits per chat, in that order.
WRITER = """
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from bot.store.chats import ChatStore, Schedule
from bot.store.database import Database

chats = ChatStore(Database(Path(sys.argv[1])))
stop = Path(sys.argv[2])
chat = 0
while not stop.exists():
    chat += 1
    now = datetime.now(UTC)
    chats.subscribe(chat, chat_type="private", title=None, thread_id=None,
                            schedule=Schedule(time(8, 0), "UTC"), subscribed_by=chat, now=now)
    chats.turn_alerts_on(chat, chat_type="private", title=None, thread_id=None, changed_by=chat,
                   now=now)
    if chat == 50:
        print("writing", flush=True)
print(chat, flush=True)
"""


def chat_ids(path: Path, where: str) -> set[int]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute(f"SELECT chat_id FROM chats WHERE {where}")}


def test_backup_while_another_process_writes(tmp_path: Path, data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    bot_db = data_dir / BOT_DATABASE_NAME
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(bot_db), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        copies = [backup_databases(settings, tmp_path / f"backup-{n}") for n in range(3)]
    finally:
        stop.touch()
        written = int((writer.communicate(timeout=60)[0] or "0").split()[-1])
    assert writer.returncode == 0
    for copy in copies:
        assert {c.target.name for c in copy} == {"prices.sqlite3", BOT_DATABASE_NAME}
        copied = copy[0].target.parent / BOT_DATABASE_NAME
        with sqlite3.connect(copied) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        subscribed = chat_ids(copied, "brief_active = 1")
        alerted = chat_ids(copied, "alerts_enabled = 1")
        # A snapshot: chats 1..n subscribed, and alerts on for all of them or all but the last.
        n = len(subscribed)
        assert 50 <= n <= written
        assert subscribed == set(range(1, n + 1))
        assert alerted in (subscribed, subscribed - {n})
        assert not Path(f"{copied}-wal").exists()
    prices = copies[-1][0].target
    with sqlite3.connect(prices) as connection:
        assert connection.execute("SELECT COUNT(*) FROM series").fetchone()[0] > 0


def test_backup_command_and_its_errors(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))
    assert main(["backup", str(tmp_path / "out")]) == 0
    out, _ = capsys.readouterr()
    assert "prices.sqlite3" in out
    assert (tmp_path / "out" / "prices.sqlite3").is_file()
    assert (tmp_path / "out" / "prices.sqlite3").stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / "out").glob("*.partial"))

    assert main(["backup", str(data_dir)]) == 1
    _, err = capsys.readouterr()
    assert err.count("\n") == 1
    assert "must not be the data folder" in err

    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match="no databases"):
        backup_databases(Settings.from_env(), tmp_path / "elsewhere")

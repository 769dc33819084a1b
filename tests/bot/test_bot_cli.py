"""The console script's bot commands: one-line config errors, the offline terminal chat."""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.runtime.terminal_chat import chat, html_to_text
from briefings.config import Settings


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["run", "push"])
def test_a_missing_token_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, err = run_cli(capsys, command, "--source", "demo")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in err


def test_a_malformed_token_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "oops-this-is-not-a-token")
    code, _, err = run_cli(capsys, "run")
    assert code == 2
    assert err.count("\n") == 1
    assert "malformed" in err
    assert "oops-this-is-not-a-token" not in err


def test_the_domain_commands_are_still_there(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for name in ("brief", "refresh", "sectors", "rotation", "run", "chat", "push"):
        assert name in out


def terminal_chat_demo(tmp_path: Path, demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give the offline chat (its own folder in the data dir) the run's demo market."""
    data_dir = tmp_path / "data"
    store = Settings(data_dir=data_dir / "terminal-chat").store_path
    store.parent.mkdir(parents=True)
    shutil.copy(demo_store, store)
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))


def test_html_is_shown_as_plain_text() -> None:
    assert html_to_text("<b>Tech &amp; co</b> <i>&lt;3</i>") == "Tech & co <3"


async def test_the_offline_chat_answers_typed_commands(
    tmp_path: Path, demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal_chat_demo(tmp_path, demo_store, monkeypatch)
    script = io.StringIO("/start\n\n/rotation\n:press 1M\n:press 9Z\n/frobnicate\n:quit\n/brief\n")
    output = io.StringIO()
    assert await chat("demo", script, output) == 0
    shown = output.getvalue()
    assert "Market rotation briefings" in shown
    assert "[• MTD •]" in shown
    assert "bot (edited)> " in shown
    assert "[• 1M •]" in shown
    assert "Rotation, month to date (MTD)" in shown  # the rich table's plain text
    assert "Small vs large" in shown
    assert "(no button '9Z'" in shown
    assert "I don't know /frobnicate" in shown
    assert "Market rotation brief\n" not in shown  # input after :quit is not read


async def test_the_offline_group_chat_switches_speakers_and_shows_private_answers(
    tmp_path: Path, demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal_chat_demo(tmp_path, demo_store, monkeypatch)
    script = io.StringIO(
        ":as member\n/pair IWM SPY\n:press Share with the group\n"
        "/settings replies public\n:as admin\n/settings replies public\n"
        ":as member\n/tickers\n:as nobody\n:quit\n"
    )
    output = io.StringIO()
    assert await chat("demo", script, output, group=True) == 0
    shown = output.getvalue()
    assert "(you are now the group's member)" in shown
    before, _, after = shown.partition("bot (only you)> ")
    assert "Traders" in before or "group" in before  # the greeting on joining
    assert "IWM" in after.split("bot> ")[0]  # the member's /pair, seen by them alone
    assert "[👥 Share with the group]" in after
    assert "(your private copy is closed)" in after  # shared: posted for all, copy removed
    assert "Only this group's administrators" in after  # the member may not choose
    assert "whole group" in after  # the admin may
    assert "(':as admin' or ':as member'" in shown
    assert shown.count("bot (only you)> ") == 2  # /tickers after "public" went to the group


def test_chat_without_the_local_extra_says_what_to_install(tmp_path: Path) -> None:
    # A process where aiohttp cannot be imported, as after `pip install marketbrief`.
    script = (
        "import sys; sys.modules['aiohttp'] = None; "
        "from bot.cli import main; raise SystemExit(main(['chat']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "pip install 'marketbrief[local]'" in done.stderr


def test_a_database_from_a_newer_bot_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    newer = sqlite3.connect(data_dir / "bot.sqlite3")
    newer.execute("PRAGMA user_version = 99")
    newer.close()
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAHlocalTestTokenForMarketbriefBot01")
    code, out, err = run_cli(capsys, "push", "--source", "demo")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "schema version 99" in err
    assert "upgrade marketbrief" in err


async def test_the_offline_chat_saves_a_chart_and_prints_its_path(
    tmp_path: Path, demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal_chat_demo(tmp_path, demo_store, monkeypatch)
    images = tmp_path / "images"
    output = io.StringIO()

    assert await chat("demo", io.StringIO("/chart rrg\n"), output, images) == 0

    shown = output.getvalue()
    saved = sorted(images.glob("photo-*.png"))
    assert len(saved) == 1
    assert f"saved as {saved[0]}]" in shown
    assert saved[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"[image, {saved[0].stat().st_size // 1024} KiB, saved as" in shown
    assert "Leading" in shown  # the caption says what the picture shows

"""`marketbrief run` as a process: one start-up line, quiet scheduler, clean stops and failures."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.logs import configure_logging
from localapi import LocalBotApi
from tests.bot.conftest import TOKEN

IN_USE = os.strerror(errno.EADDRINUSE)
REPO = Path(__file__).resolve().parents[2]


def bot_env(data_dir: Path, api_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        MARKETBRIEF_DATA_DIR=str(data_dir),
        MARKETBRIEF_SOURCE="demo",
    )
    return env


async def start_bot(data_dir: Path, api_url: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        *args,
        cwd=REPO,
        env=bot_env(data_dir, api_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_logs_one_start_line_and_stops_on_sigterm(
    server: LocalBotApi, data_dir: Path
) -> None:
    process = await start_bot(data_dir, server.base_url)
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("started:" in line for line in lines):
                line = (await process.stderr.readline()).decode()
                assert line, f"the bot exited early: {lines}"
                lines.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        rest = (await process.communicate())[1].decode()
    start = lines[-1]
    assert [line for line in lines if " INFO " in line] == [start]
    assert "INFO" in start
    assert "@marketbrief_bot started: source demo (simulated), 0 subscribed chats" in start
    assert "no briefing scheduled; long polling" in start
    assert len(start.rstrip("\n")) <= 160
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "apscheduler" not in output  # its per-job lines stay at WARNING
    assert TOKEN not in output


async def test_unreachable_telegram_is_one_line_and_exit_1(data_dir: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    process = await start_bot(data_dir, f"http://127.0.0.1:{closed}/bot")
    out, err = await asyncio.wait_for(process.communicate(), 60)
    text = err.decode()
    assert process.returncode == 1
    assert out == b""
    assert text.count("\n") == 1, text
    assert text.startswith("marketbrief: cannot reach Telegram at http://127.0.0.1:")
    assert TOKEN not in text


async def test_a_busy_listen_address_is_one_line_and_exit_1(
    server: LocalBotApi, data_dir: Path
) -> None:
    process = await start_bot(data_dir, server.base_url, "--health", f"127.0.0.1:{server.port}")
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert err.decode() == f"marketbrief: cannot listen on 127.0.0.1:{server.port}: {IN_USE}\n"


@pytest.mark.parametrize(("verbose", "level"), [(False, logging.WARNING), (True, logging.INFO)])
def test_scheduler_lines_need_verbose(verbose: bool, level: int) -> None:
    loggers = [logging.getLogger(name) for name in ("apscheduler", "telegram.ext")]
    before = [logger.level for logger in loggers]
    try:
        configure_logging(verbose=verbose)
        assert [logger.level for logger in loggers] == [level, level]
    finally:
        for logger, old in zip(loggers, before, strict=True):
            logger.setLevel(old)


def test_a_webhook_without_the_web_extra_is_one_line_and_exit_2(tmp_path: Path) -> None:
    without_aiohttp = (
        "import sys; sys.modules['aiohttp'] = None; from bot.cli import main; "
        "sys.exit(main(['run', '--webhook-url', 'https://bot.example.org/tg']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", without_aiohttp],
        cwd=REPO,
        env=bot_env(tmp_path / "data", "http://127.0.0.1:9/bot"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "add --extra web to uv sync" in done.stderr
    assert "pip install 'marketbrief[web]'" in done.stderr

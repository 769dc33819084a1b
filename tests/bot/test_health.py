"""GET /healthz in polling mode: 503 before start and with an unreadable store, else 200."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pandas as pd
import pytest

from bot.cli import main
from bot.runtime.app import build_application
from bot.runtime.serve import ServeOptions, serving
from bot.runtime.web import bound_port, build_web_app, start_web
from bot.runtime.webconfig import ListenAddress
from bot.services.hub import get_services
from briefings.config import Settings
from briefings.quarantine import QuarantineStore
from briefings.refresh import served_marks_key
from briefings.sanity import NOT_POSITIVE, QuarantinedClose, Screening
from briefings.service import MarketService
from briefings.store import PriceStore
from localapi import LocalBotApi
from tests.bot.conftest import make_settings

USER = 5151
ANY_PORT = ListenAddress("127.0.0.1", 0)


async def get_health(port: int) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


def hold_a_close(data_dir: Path) -> None:
    """File one close as held by the sanity check, as a refresh would."""
    prices = PriceStore(Settings(data_dir=data_dir).store_path)
    bad = QuarantinedClose("XLK", date(2020, 1, 2), 0.0, NOT_POSITIVE)
    nothing = pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    QuarantineStore(prices).record("demo", [Screening("XLK", nothing, (bad,))], datetime.now(UTC))
    # And one ticker served by a source chain's fallback, as a chained refresh records it.
    prices.save_marks(served_marks_key("demo"), {"QQQ": "tiingo"})
    prices.close()


async def test_health_states_in_polling_mode(server: LocalBotApi, data_dir: Path) -> None:
    hold_a_close(data_dir)
    settings = make_settings(data_dir)
    application = build_application(
        settings, MarketService.from_settings(settings.domain), base_url=server.base_url
    )
    # Before the bot starts: 503.
    early = await start_web(build_web_app(application, None), ANY_PORT)
    try:
        port = bound_port(early)
        assert port is not None
        status, body = await get_health(port)
        assert (status, body["status"]) == (503, "not started")
    finally:
        await early.cleanup()

    async with serving(application, ServeOptions(health=ANY_PORT, poll_timeout=2)) as runner:
        assert runner is not None
        port = bound_port(runner)
        assert port is not None
        await get_services(application).startup_complete.wait()
        server.add_chat(USER, "private", title="Ann")
        server.send_text(USER, USER, "/subscribe 07:30 London")
        await server.wait_for_messages(USER, 1, timeout=15)

        status, body = await get_health(port)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["bot"] == "@marketbrief_bot"
        assert (body["source"], body["simulated"]) == ("demo", True)
        assert body["last_completed_session"]
        assert body["data"]["current"] is True
        assert body["data"]["last_stored_session"] == body["last_completed_session"]
        assert body["data"]["quarantined_closes"] == 1
        assert body["data"]["served_by"] == {"tiingo": 1}
        assert body["next_briefing"]["schedule"] == "07:30 Europe/London"
        assert body["chats"] == 1
        assert await asyncio.to_thread(main, ["health", f"127.0.0.1:{port}"]) == 0

        # The price store becomes unreadable: 503 and a reason.
        store = Settings(data_dir=data_dir).store_path
        store.write_bytes(b"this is not a database" * 100)
        for suffix in ("-wal", "-shm"):
            Path(f"{store}{suffix}").unlink(missing_ok=True)
        status, body = await get_health(port)
        assert (status, body["status"]) == (503, "price store unreadable")
        assert await asyncio.to_thread(main, ["health", f"0.0.0.0:{port}"]) == 1


def test_health_command_without_a_bot(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert main(["health", f"127.0.0.1:{closed}"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"marketbrief: unreachable at 127.0.0.1:{closed}")
    assert err.count("\n") == 1


def test_the_light_health_check_imports_neither_telegram_nor_pandas() -> None:
    probe = (
        "import sys, bot.runtime.healthcheck; "
        "print(sorted({'telegram', 'pandas', 'aiohttp'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

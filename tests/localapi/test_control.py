"""`python -m localapi` in its own process, driven through LocalApiControl and a real Bot."""

from __future__ import annotations

import datetime as dtm
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import Forbidden, RetryAfter

from localapi import LocalApiControl, LocalBotApi
from localapi.actions import CONTROL_ACTIONS
from localapi.control import ControlError
from localapi.state import ApiState
from tests.localapi.conftest import TOKEN, png_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start the server process on a free port; yield its base URL and the process."""
    with subprocess.Popen(
        [sys.executable, "-m", "localapi", "--port", "0", "--token", TOKEN],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line.startswith("listening on http://127.0.0.1:"), line
            yield line.removeprefix("listening on "), process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)


async def test_control_api_injects_and_reads_back(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base_url, process = served
    with LocalApiControl(base_url) as control:
        control.add_chat(7)
        update = control.send_text(7, 7, "/brief")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        async with Bot(TOKEN, base_url=base_url) as bot:
            [received] = await bot.get_updates()
            assert received.message is not None
            assert received.message.text == "/brief"
            await bot.send_message(7, "<b>Brief</b>", parse_mode="HTML")
            image = png_bytes(8, 8)
            await bot.send_photo(7, image)
            control.add_fault("sendMessage", kind="retry_after", retry_after=2)
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(7, "flooded")
            assert caught.value.retry_after == dtm.timedelta(seconds=2)
            control.block_chat(7)
            with pytest.raises(Forbidden):
                await bot.send_message(7, "blocked")
        [text, photo] = control.wait_for_messages(7, 2, timeout=5)
        assert (text["text"], text["shown_text"]) == ("<b>Brief</b>", "Brief")
        assert photo["photo"]["length"] == len(image)
        assert [c["status"] for c in control.calls("sendMessage")] == [200, 429, 403]
        with pytest.raises(ControlError, match="unknown chat type"):
            control.add_chat(8, type="forum")
        control.reset()
        assert control.bot_messages() == []
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0


def test_every_control_action_is_a_state_method_or_value() -> None:
    state = ApiState(TOKEN, "marketbrief_bot", None)
    for name, action in CONTROL_ACTIONS.items():
        assert callable(getattr(state, name)) is not action.is_property, name
    # The facade is the state itself; the client refuses what the table lacks.
    assert issubclass(LocalBotApi, ApiState)
    with LocalApiControl("http://127.0.0.1:9/bot") as control, pytest.raises(AttributeError):
        control.resolve_chat  # noqa: B018 - a state helper, not a control action

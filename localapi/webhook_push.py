"""Deliver pending updates to the webhook setWebhook stored, as Telegram's servers do."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import aiohttp

from localapi.state import ApiState, WebhookSetting

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: After a failed POST the update is offered again this much later (Telegram backs off too).
RETRY_DELAY = 0.5
POST_TIMEOUT = 10.0


class Signal(Protocol):
    """The server's change signal (see server.ChangeSignal)."""

    version: int

    async def wait(self, seen_version: int, timeout: float) -> None: ...


class WebhookPusher:
    """POST each pending update to the webhook, one at a time, until it answers 200."""

    def __init__(self, state: ApiState, signal: Signal) -> None:
        self._state = state
        self._signal = signal
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        """Start delivering in the background on the running loop."""
        self._stopped = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="webhook pusher")

    async def stop(self) -> None:
        """Stop delivering."""
        if self._task is None:
            return
        # The flag as well as cancel(): Python 3.11's wait_for can swallow a cancellation
        # that arrives as the signal fires.
        self._stopped = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._stopped:
                seen = self._signal.version
                setting = self._state.webhook
                pending = self._state.deliverable_updates(1) if setting else []
                if setting is None or not pending:
                    await self._signal.wait(seen, 60.0)
                    continue
                update = pending[0]
                status = await _post(session, setting, update)
                with self._state.lock:
                    self._state.webhook_deliveries.append((update["update_id"], status))
                if status == 200:
                    self._state.confirm_updates(update["update_id"] + 1)
                    self._state.on_change()
                else:
                    self._state.on_change()
                    await asyncio.sleep(RETRY_DELAY)


async def _post(session: aiohttp.ClientSession, setting: WebhookSetting, update: Any) -> int:
    headers = {SECRET_HEADER: setting.secret_token} if setting.secret_token else {}
    try:
        async with session.post(setting.url, json=update, headers=headers) as response:
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0

"""Notice when the Bot API stops answering and when it is back: one WARNING line each.

Every HTTP request the bot makes (getUpdates included) goes through ``WatchedRequest``, which
tells an ``ApiHealth`` whether the API answered. A 5xx, a timeout or a failed connection marks
an outage; the first answer after it ends the outage. Polling retries during an outage are
then quiet (the error handler logs them at DEBUG), instead of a traceback per retry.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest

from bot.delivery.http_client import bot_request

log = logging.getLogger(__name__)


class ApiHealth:
    """Whether the Bot API is answering; logs an outage's start and end once each."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.failures = 0
        self.outages = 0

    @property
    def is_down(self) -> bool:
        """Return True during an outage."""
        return self.down_since is not None

    def failed(self, reason: str) -> None:
        """Count a request the API did not answer (or answered with a 5xx)."""
        self.failures += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            log.warning("Telegram Bot API not answering (%s); retrying quietly", reason)

    def answered(self) -> None:
        """Note that the API answered; end an outage if one is on."""
        if self.down_since is None:
            return
        log.warning(
            "Telegram Bot API answering again after %.0f s (%d failed requests)",
            time.monotonic() - self.down_since,
            self.failures,
        )
        self.down_since = None
        self.failures = 0


class WatchedRequest(BaseRequest):
    """The bot's HTTP request (``bot_request``) that reports every answer and failure."""

    def __init__(self, health: ApiHealth, **kwargs: Any) -> None:
        self.inner = bot_request(**kwargs)
        self.health = health

    @property
    def read_timeout(self) -> float | None:
        """Return the inner request's default read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the inner request's connections."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the inner request's connections."""
        await self.inner.shutdown()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Make the request; tell the health tracker how it went."""
        try:
            code, payload = await self.inner.do_request(*args, **kwargs)
        except NetworkError as exc:
            self.health.failed(str(exc))
            raise
        if code >= 500:
            self.health.failed(f"HTTP {code}")
        else:
            self.health.answered()
        return code, payload

"""Choose the bot's HTTP client: aiohttp's (``bot.delivery.transport``) when installed, else httpx.

aiohttp comes with the ``web`` and ``local`` extras (and the Docker image); a broadcast spends
a fraction of the CPU per message there that it spends in PTB's default httpx client. Long
polling alone runs on either.
"""

from __future__ import annotations

from typing import Any

from telegram.request import BaseRequest, HTTPXRequest


def bot_request(**kwargs: Any) -> BaseRequest:
    """Return a Bot API request (PTB's request options, e.g. ``connection_pool_size``)."""
    try:
        from bot.delivery.transport import AiohttpRequest
    except ModuleNotFoundError as exc:
        if exc.name != "aiohttp":
            raise
        return HTTPXRequest(**kwargs)
    return AiohttpRequest(**kwargs)

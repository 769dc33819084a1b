"""LocalApiControl: a synchronous client for a local Bot API's /_control/ JSON API."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from localapi.actions import CONTROL_ACTIONS, named_arguments

POLL_INTERVAL = 0.05


class ControlError(RuntimeError):
    """Raise when the server refuses a control action."""


class LocalApiControl:
    """Drive a `python -m localapi` server from another process (same names as LocalBotApi).

    Every control action is a method with the state method's parameters (properties such as
    ``flood_rejections`` are calls here). Messages and calls come back as
    JSON dicts (SentMessage.to_json / ApiCall.to_json form).
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        root = base_url.rstrip("/").removesuffix("/bot")
        # trust_env=False: an HTTP(S)_PROXY in the environment must not capture 127.0.0.1.
        self._client = httpx.Client(base_url=f"{root}/_control/", timeout=timeout, trust_env=False)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> LocalApiControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, action: str, **kwargs: Any) -> Any:
        response = self._client.post(action, json=kwargs)
        body = response.json()
        if not body.get("ok"):
            raise ControlError(f"{action}: {body.get('error')}")
        return body["result"]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        """Return control action ``name`` (see CONTROL_ACTIONS) as a function of JSON values."""
        if name not in CONTROL_ACTIONS:
            raise AttributeError(f"{type(self).__name__} has no control action {name!r}")

        def action(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, **named_arguments(name, args, kwargs))

        action.__name__ = name
        return action

    def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Poll until the chat has at least `count` bot messages; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            messages: list[dict[str, Any]] = self._call("bot_messages", chat_id=chat_id)
            if len(messages) >= count:
                return messages
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"chat {chat_id} has {len(messages)} bot messages after {timeout}s, "
                    f"wanted {count}"
                )
            time.sleep(POLL_INTERVAL)

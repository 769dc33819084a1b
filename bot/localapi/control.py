"""LocalApiControl: a synchronous client for a local Bot API's /_control/ JSON API."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

import httpx

POLL_INTERVAL = 0.05


class ControlError(RuntimeError):
    """Raise when the server refuses a control action."""


class LocalApiControl:
    """Drive a `python -m bot.localapi` server from another process (same names as LocalBotApi).

    Messages and calls come back as JSON dicts (SentMessage.to_json / ApiCall.to_json form).
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

    def add_user(
        self, user_id: int, first_name: str = "Ann", username: str | None = None
    ) -> dict[str, Any]:
        """Create a user; return its User object."""
        result: dict[str, Any] = self._call(
            "add_user", user_id=user_id, first_name=first_name, username=username
        )
        return result

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        is_forum: bool = False,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Create a chat; return its Chat object."""
        result: dict[str, Any] = self._call(
            "add_chat",
            chat_id=chat_id,
            type=type,
            title=title,
            is_forum=is_forum,
            username=username,
        )
        return result

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a member's status."""
        self._call("set_member_status", chat_id=chat_id, user_id=user_id, status=status)

    def send_text(
        self, chat_id: int, user_id: int, text: str, message_thread_id: int | None = None
    ) -> dict[str, Any]:
        """Inject a user's text message; return the Update."""
        result: dict[str, Any] = self._call(
            "send_text",
            chat_id=chat_id,
            user_id=user_id,
            text=text,
            message_thread_id=message_thread_id,
        )
        return result

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, data: str
    ) -> dict[str, Any]:
        """Inject a button press; return the Update."""
        result: dict[str, Any] = self._call(
            "press_button", chat_id=chat_id, user_id=user_id, message_id=message_id, data=data
        )
        return result

    def add_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update."""
        result: dict[str, Any] = self._call("add_update", update=update)
        return result

    def bot_messages(
        self, chat_id: int | None = None, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Return the bot's messages as JSON dicts (files as {"length", "sha256"})."""
        result: list[dict[str, Any]] = self._call(
            "bot_messages", chat_id=chat_id, include_deleted=include_deleted
        )
        return result

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Return the request log as JSON dicts."""
        result: list[dict[str, Any]] = self._call("calls", method=method)
        return result

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Return the commands set for a scope."""
        result: list[dict[str, str]] = self._call(
            "commands", scope=scope, language_code=language_code
        )
        return result

    def answered_callbacks(self) -> list[str]:
        """Return the answered callback query ids."""
        result: list[str] = self._call("answered_callbacks")
        return result

    def flood_rejections(self) -> int:
        """Return how many sends flood control refused."""
        result: int = self._call("flood_rejections")
        return result

    def add_fault(
        self,
        method: str = "sendMessage",
        chat_id: int | str | None = None,
        kind: str = "retry_after",
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
        delay: float | None = None,
    ) -> None:
        """Fail the next `times` matching requests as `kind`."""
        extra = {} if delay is None else {"delay": delay}
        self._call(
            "add_fault",
            method=method,
            chat_id=chat_id,
            kind=kind,
            times=times,
            retry_after=retry_after,
            description=description,
            **extra,
        )

    def block_chat(self, chat_id: int) -> None:
        """Answer every write to the chat with 403."""
        self._call("block_chat", chat_id=chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Let the bot write to the chat again."""
        self._call("unblock_chat", chat_id=chat_id)

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """Upgrade a group to a supergroup; return the new Chat object."""
        result: dict[str, Any] = self._call(
            "migrate_chat", old_chat_id=old_chat_id, new_chat_id=new_chat_id
        )
        return result

    def set_flood_limits(self, limits: dict[str, Any] | None) -> None:
        """Turn flood control on with FloodLimits fields (None turns it off)."""
        self._call("set_flood_limits", limits=limits)

    def reset(self) -> None:
        """Forget everything the server knows."""
        self._call("reset")

    def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Poll until the chat has at least `count` bot messages; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.bot_messages(chat_id)
            if len(messages) >= count:
                return messages
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"chat {chat_id} has {len(messages)} bot messages after {timeout}s, "
                    f"wanted {count}"
                )
            time.sleep(POLL_INTERVAL)

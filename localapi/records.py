"""What tests read back from the local Bot API: sent messages, requests, callback answers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SentMessage:
    """A bot message as it stands now (after edits); `text` and `caption` are as the bot sent them.

    `shown_text` is what the user sees: the text or caption after HTML parsing and trimming.
    `edits` lists the earlier texts, oldest first (editMessageText only).
    """

    chat_id: int
    message_id: int
    message_thread_id: int | None
    kind: str
    text: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    photo: bytes | None
    document: bytes | None
    file_name: str | None
    shown_text: str
    entities: tuple[dict[str, Any], ...]
    sent_at: float
    edits: list[str]
    deleted: bool
    reply_to_message_id: int | None
    media_group_id: str | None
    disable_notification: bool
    link_preview_options: dict[str, Any] | None
    rich_message: dict[str, Any] | None = None
    """A rich message's InputRichMessage (sendRichMessage); None for any other message."""

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict; file bytes become {"length", "sha256"}."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "message_thread_id": self.message_thread_id,
            "kind": self.kind,
            "text": self.text,
            "caption": self.caption,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "photo": _file_digest(self.photo),
            "document": _file_digest(self.document),
            "file_name": self.file_name,
            "shown_text": self.shown_text,
            "entities": list(self.entities),
            "sent_at": self.sent_at,
            "edits": list(self.edits),
            "deleted": self.deleted,
            "reply_to_message_id": self.reply_to_message_id,
            "media_group_id": self.media_group_id,
            "disable_notification": self.disable_notification,
            "rich_message": self.rich_message,
            "link_preview_options": self.link_preview_options,
        }


@dataclass(frozen=True)
class EphemeralMessage:
    """An ephemeral message as its one receiver sees it now (after edits).

    ``kind`` is text or photo; ``text`` is the text or caption as the bot sent it.

    ``replaces_message_id``: the chat message it is shown in place of, for the receiver alone.
    """

    chat_id: int
    ephemeral_message_id: int
    receiver_user_id: int
    kind: str
    photo: bytes | None
    text: str
    parse_mode: str | None
    shown_text: str
    reply_markup: dict[str, Any] | None
    replaces_message_id: int | None
    edits: list[str]
    deleted: bool

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "chat_id": self.chat_id,
            "ephemeral_message_id": self.ephemeral_message_id,
            "receiver_user_id": self.receiver_user_id,
            "kind": self.kind,
            "photo": _file_digest(self.photo),
            "text": self.text,
            "parse_mode": self.parse_mode,
            "shown_text": self.shown_text,
            "reply_markup": self.reply_markup,
            "replaces_message_id": self.replaces_message_id,
            "edits": list(self.edits),
            "deleted": self.deleted,
        }


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request: canonical method name, decoded params, HTTP status, arrival time."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    description: str | None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict of this call."""
        return {
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "at": self.at,
            "description": self.description,
        }


@dataclass(frozen=True)
class CallbackAnswer:
    """An answerCallbackQuery the bot made."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class BotCommand:
    """One command from setMyCommands."""

    command: str
    description: str
    is_ephemeral: bool = False
    """The command is ephemeral: seen only by its sender and the bot (Bot API 10.3)."""

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API BotCommand object (is_ephemeral only when true)."""
        made: dict[str, Any] = {"command": self.command, "description": self.description}
        if self.is_ephemeral:
            made["is_ephemeral"] = True
        return made


def _file_digest(content: bytes | None) -> dict[str, Any] | None:
    if content is None:
        return None
    return {"length": len(content), "sha256": hashlib.sha256(content).hexdigest()}

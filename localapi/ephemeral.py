"""Ephemeral messages: in a group, a bot message only one member sees (Bot API 10.2, 10.3).

Sent with ``ephemeral_message_parameters`` (receiver_user_id, callback_query_id,
replace_callback_query_message), changed with ``editEphemeralMessage…`` and removed with
``deleteEphemeralMessage``; see https://core.telegram.org/bots/api-changelog and
https://core.telegram.org/bots/api#ephemeralmessageparameters. The book keeps them apart from
the chat's messages: ``bot_messages`` stays what every member sees, and an ephemeral message is
read back only through its receiver (``EphemeralBook.seen_by``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from localapi.errors import bad_request
from localapi.html_entities import FormattedText
from localapi.records import EphemeralMessage
from localapi.world import StoredFile

#: The chat types ephemeral messages exist in.
EPHEMERAL_CHAT_TYPES = frozenset({"group", "supergroup"})
#: Member statuses that no longer receive anything in the chat.
GONE_STATUSES = frozenset({"left", "kicked"})


@dataclass(frozen=True)
class CallbackSource:
    """Where a button press came from: the chat, the pressed message and the presser."""

    chat_id: int
    message_id: int
    user_id: int
    from_ephemeral: bool


@dataclass
class EphemeralRecord:
    """One ephemeral message as its receiver sees it now (mutable for edits)."""

    chat_id: int
    ephemeral_message_id: int
    receiver_user_id: int
    date: int
    text: str
    parse_mode: str | None
    shown: FormattedText
    reply_markup: dict[str, Any] | None
    replaces_message_id: int | None
    message_thread_id: int | None
    kind: str = "text"
    file: StoredFile | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False

    def to_api(
        self, chat: dict[str, Any], bot: dict[str, Any], receiver: dict[str, Any]
    ) -> dict[str, Any]:
        """Return the Bot API Message object of an ephemeral message."""
        # message_id 0: the message has no place in the chat's history, only its own id.
        message: dict[str, Any] = {
            "message_id": 0,
            "ephemeral_message_id": self.ephemeral_message_id,
            "receiver_user": receiver,
            "date": self.date,
            "chat": chat,
            "from": bot,
        }
        entities = [dict(entity) for entity in self.shown.entities]
        if self.file is not None:
            message["photo"] = self.file.photo_sizes()
            if self.shown.text:
                message["caption"] = self.shown.text
            if entities:
                message["caption_entities"] = entities
        else:
            message["text"] = self.shown.text
            if entities:
                message["entities"] = entities
        if self.message_thread_id is not None:
            message["message_thread_id"] = self.message_thread_id
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message

    def snapshot(self) -> EphemeralMessage:
        """Return the frozen view tests read."""
        return EphemeralMessage(
            chat_id=self.chat_id,
            ephemeral_message_id=self.ephemeral_message_id,
            receiver_user_id=self.receiver_user_id,
            kind=self.kind,
            photo=self.file.content if self.file is not None else None,
            text=self.text,
            parse_mode=self.parse_mode,
            shown_text=self.shown.text,
            reply_markup=self.reply_markup,
            replaces_message_id=self.replaces_message_id,
            edits=list(self.edits),
            deleted=self.deleted,
        )


class EphemeralBook:
    """Every chat's ephemeral messages, the sources of button presses, and an injected refusal."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, int], EphemeralRecord] = {}
        self.order: list[tuple[int, int]] = []
        self.callback_sources: dict[str, CallbackSource] = {}
        self.refusal: str | None = None
        self._last_id: dict[int, int] = {}

    def add(self, **fields: Any) -> EphemeralRecord:
        """Store a new ephemeral message with the chat's next ephemeral id."""
        chat_id = int(fields["chat_id"])
        next_id = self._last_id.get(chat_id, 0) + 1
        self._last_id[chat_id] = next_id
        record = EphemeralRecord(
            ephemeral_message_id=next_id, date=int(time.time()), edits=[], **fields
        )
        self.records[(chat_id, next_id)] = record
        self.order.append((chat_id, next_id))
        return record

    def find(
        self, chat_id: int, receiver_user_id: Any, ephemeral_message_id: Any
    ) -> EphemeralRecord:
        """Return a live ephemeral message named by the edit and delete methods; 400 if none."""
        if ephemeral_message_id is None:
            raise bad_request("message identifier is not specified")
        record = self.records.get((chat_id, int(ephemeral_message_id)))
        if record is None or record.deleted or record.receiver_user_id != receiver_user_id:
            raise bad_request("message to edit not found")
        return record

    def seen_by(
        self, chat_id: int, user_id: int, include_deleted: bool = False
    ) -> list[EphemeralMessage]:
        """Return the ephemeral messages of ``chat_id`` that ``user_id`` received, in order."""
        records = (self.records[key] for key in self.order)
        return [
            record.snapshot()
            for record in records
            if record.chat_id == chat_id
            and record.receiver_user_id == user_id
            and (include_deleted or not record.deleted)
        ]

"""Everything the local Bot API remembers, plus the test API that shapes and inspects it."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from localapi.ephemeral import CallbackSource, EphemeralBook, EphemeralRecord
from localapi.errors import ApiError, bad_request, chat_migrated, too_many_requests
from localapi.faults import DEFAULT_TIMEOUT_DELAY, FaultHit, FaultQueue
from localapi.flood import FloodGate, FloodLimits
from localapi.html_entities import FormattedText, utf16_length
from localapi.records import ApiCall, BotCommand, CallbackAnswer, EphemeralMessage, SentMessage
from localapi.world import (
    CHAT_TYPES,
    MEMBER_STATUSES,
    ChatRecord,
    MessageRecord,
    StoredFile,
    UserRecord,
    chat_member,
)


@dataclass(frozen=True)
class WebhookSetting:
    """What setWebhook stored: where updates go and the secret they carry."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: tuple[str, ...] | None


# getUpdates without allowed_updates delivers everything except these (Bot API default).
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiState:
    """Users, chats, messages, pending updates, recorded calls, faults and flood windows.

    All methods take `lock`, so a test thread and the server's event loop may both use it.
    `on_change` is called after every change that a waiter could be waiting for.
    """

    def __init__(
        self,
        token: str,
        bot_username: str,
        flood_limits: FloodLimits | None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.lock = threading.RLock()
        self.token = token
        self.on_change = on_change
        bot_id_text, separator, _secret = token.partition(":")
        if not (separator and bot_id_text.isdigit()):
            raise ValueError(f"a bot token looks like 123456:secret, not {token!r}")
        bot_id = int(bot_id_text)
        self.bot = UserRecord(bot_id, "Marketbrief", bot_username, is_bot=True)
        self.next_update_id = 1
        self.callback_ids = itertools.count(1)
        self.media_group_ids = itertools.count(1)
        self.flood_limits = flood_limits
        self._clear()

    def _clear(self) -> None:
        self.users: dict[int, UserRecord] = {self.bot.id: self.bot}
        self.chats: dict[int, ChatRecord] = {}
        self.messages: dict[tuple[int, int], MessageRecord] = {}
        self.bot_message_order: list[tuple[int, int]] = []
        self.files: dict[str, StoredFile] = {}
        self.updates: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] | None = None
        self.pending_callbacks: dict[str, tuple[int, int, int]] = {}
        self.ephemerals = EphemeralBook()
        self.callback_answers: list[CallbackAnswer] = []
        self.command_sets: dict[tuple[str, str], list[BotCommand]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        """setChatMenuButton's buttons by private chat; None holds the default."""
        self.call_log: list[ApiCall] = []
        self.faults = FaultQueue()
        self.flood_gate = FloodGate(self.flood_limits) if self.flood_limits else None
        self.flood_rejections = 0
        self.paid_broadcasts = 0
        self.bot_descriptions: dict[tuple[str, str], str] = {}
        self.webhook: WebhookSetting | None = None
        self.rich_messages_refused = False
        """Answer as a server older than Bot API 10.1: sendRichMessage is unknown."""
        self.webhook_deliveries: list[tuple[int, int]] = []
        """(update_id, HTTP status) of every webhook POST, in order."""

    # ----- test API: the world -------------------------------------------------------------

    def reset(self) -> None:
        """Forget every chat, user, message, update, call, fault and flood window."""
        with self.lock:
            self._clear()
        self.on_change()

    def add_user(
        self,
        user_id: int,
        first_name: str = "Ann",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Create (or rename) a user and return its Bot API User object."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                user = UserRecord(user_id, first_name, username, language_code=language_code)
                self.users[user_id] = user
            else:
                user.first_name, user.username = first_name, username
                user.language_code = language_code
            return user.to_api()

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        is_forum: bool = False,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Create a chat (a private chat's id is its user's id) and return its Chat object."""
        if type not in CHAT_TYPES:
            raise ValueError(f"unknown chat type {type!r}; expected one of {CHAT_TYPES}")
        with self.lock:
            chat = ChatRecord(chat_id, type, title=title, username=username, is_forum=is_forum)
            if type == "private":
                user = self.users.get(chat_id)
                if user is None:
                    self.add_user(chat_id, first_name=title or f"User {chat_id}")
                    user = self.users[chat_id]
                chat.first_name, chat.username = user.first_name, user.username
                chat.members[chat_id] = "member"
            self.chats[chat_id] = chat
            return chat.to_api()

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set what getChatMember answers for `user_id` in `chat_id`."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {MEMBER_STATUSES}")
        with self.lock:
            chat = self._existing_chat(chat_id)
            if user_id not in self.users:
                self.add_user(user_id, first_name=f"User {user_id}")
            chat.members[user_id] = status

    def set_bot_status(self, chat_id: int, user_id: int, status: str) -> dict[str, Any]:
        """Let ``user_id`` add (member, administrator) or remove (left, kicked) the bot.

        Queue the my_chat_member Update Telegram sends and return it; a bot that left or was
        kicked gets 403 for every write to the chat.
        """
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {MEMBER_STATUSES}")
        with self.lock:
            chat = self._existing_chat(chat_id)
            if user_id not in self.users:
                self.add_user(user_id, first_name=f"User {user_id}")
            bot = self.bot.to_api()
            old = chat.members.get(self.bot.id, "left")
            chat.members[self.bot.id] = status
            chat.blocked = status in ("left", "kicked")
            change = {
                "chat": chat.to_api(),
                "from": self.users[user_id].to_api(),
                "date": int(time.time()),
                "old_chat_member": chat_member(bot, old),
                "new_chat_member": chat_member(bot, status),
            }
        return self.add_update({"my_chat_member": change})

    def refuse_rich_messages(self, refuse: bool = True) -> None:
        """Answer rich messages as an older server would (or, with False, accept them again)."""
        with self.lock:
            self.rich_messages_refused = refuse

    def block_chat(self, chat_id: int) -> None:
        """Make every send to the chat fail with 403, as after a block or kick."""
        with self.lock:
            self._existing_chat(chat_id).blocked = True

    def unblock_chat(self, chat_id: int) -> None:
        """Let the bot write to the chat again (the user restarted it)."""
        with self.lock:
            self._existing_chat(chat_id).blocked = False

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """Upgrade a group to a supergroup with a new id; return the new Chat object."""
        with self.lock:
            old = self._existing_chat(old_chat_id)
            if old.type != "group":
                raise ValueError(f"only groups migrate; chat {old_chat_id} is a {old.type}")
            new = ChatRecord(new_chat_id, "supergroup", title=old.title, members=dict(old.members))
            self.chats[new_chat_id] = new
            old.migrated_to = new_chat_id
            return new.to_api()

    def send_text(
        self, chat_id: int, user_id: int, text: str, message_thread_id: int | None = None
    ) -> dict[str, Any]:
        """Inject a user's text message as an Update; /commands get a bot_command entity."""
        with self.lock:
            if user_id not in self.users:
                self.add_user(user_id, first_name=f"User {user_id}")
            if chat_id not in self.chats and chat_id == user_id:
                self.add_chat(chat_id)
            chat = self._existing_chat(chat_id)
            if chat.migrated_to is not None:
                raise ValueError(f"chat {chat_id} migrated to {chat.migrated_to}")
            chat.members.setdefault(user_id, "member")
            record = MessageRecord(
                chat_id=chat_id,
                message_id=chat.next_message_id(),
                sender_id=user_id,
                from_bot=False,
                date=int(time.time()),
                sent_at=time.monotonic(),
                text=text,
                shown=FormattedText(text, _command_entities(text)),
                message_thread_id=message_thread_id,
            )
            self.messages[(chat_id, record.message_id)] = record
            kind = "channel_post" if chat.type == "channel" else "message"
            return self.add_update({kind: self.message_api(record)})

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, data: str
    ) -> dict[str, Any]:
        """Inject a callback_query Update for a button the bot message currently shows."""
        with self.lock:
            record = self.messages.get((chat_id, message_id))
            if record is None or not record.from_bot or record.deleted:
                raise LookupError(f"no bot message {message_id} in chat {chat_id}")
            shown_data = _callback_data(record.reply_markup)
            if data not in shown_data:
                raise LookupError(
                    f"message {message_id} has no button with data {data!r}; it has {shown_data}"
                )
            if user_id not in self.users:
                self.add_user(user_id, first_name=f"User {user_id}")
            return self._callback_update(
                CallbackSource(chat_id, message_id, user_id, False),
                self.message_api(record),
                data,
            )

    def press_ephemeral_button(
        self, chat_id: int, user_id: int, ephemeral_message_id: int, data: str
    ) -> dict[str, Any]:
        """Inject the callback_query Update of a button on an ephemeral message ``user_id`` sees."""
        with self.lock:
            record = self.ephemerals.records.get((chat_id, ephemeral_message_id))
            if record is None or record.deleted or record.receiver_user_id != user_id:
                raise LookupError(
                    f"user {user_id} sees no ephemeral message {ephemeral_message_id} "
                    f"in chat {chat_id}"
                )
            shown_data = _callback_data(record.reply_markup)
            if data not in shown_data:
                raise LookupError(
                    f"ephemeral message {ephemeral_message_id} has no button with data "
                    f"{data!r}; it has {shown_data}"
                )
            message = self.ephemeral_api(record)
            return self._callback_update(
                CallbackSource(chat_id, ephemeral_message_id, user_id, True), message, data
            )

    def _callback_update(
        self, source: CallbackSource, message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        query_id = f"{self.bot.id}{next(self.callback_ids):08d}"
        self.pending_callbacks[query_id] = (source.chat_id, source.message_id, source.user_id)
        self.ephemerals.callback_sources[query_id] = source
        return self.add_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.users[source.user_id].to_api(),
                    "message": message,
                    "chat_instance": str(abs(source.chat_id) * 7919 % 10**12),
                    "data": data,
                }
            }
        )

    def refuse_ephemeral_messages(self, description: str | None = "EPHEMERAL_NOT_ALLOWED") -> None:
        """Make every ephemeral send 400 with ``description`` (None: accept them again)."""
        with self.lock:
            self.ephemerals.refusal = description

    def add_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update for getUpdates (an update_id is assigned when missing)."""
        with self.lock:
            stored = dict(update)
            if "update_id" in stored:
                self.next_update_id = max(self.next_update_id, int(stored["update_id"]) + 1)
            else:
                stored["update_id"] = self.next_update_id
                self.next_update_id += 1
            self.updates.append(stored)
        self.on_change()
        return stored

    # ----- test API: faults and flood control ----------------------------------------------

    def add_fault(
        self,
        method: str = "sendMessage",
        chat_id: int | str | None = None,
        kind: str = "retry_after",
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
        delay: float = DEFAULT_TIMEOUT_DELAY,
    ) -> None:
        """Make the next `times` matching requests fail as `kind`."""
        with self.lock:
            self.faults.add(method, chat_id, kind, times, retry_after, description, delay)

    def take_fault(self, method: str, chat_id: object) -> FaultHit | None:
        """Consume the first fault that matches this request, if any."""
        with self.lock:
            return self.faults.take(method, chat_id)

    def set_flood_limits(self, limits: FloodLimits | None) -> None:
        """Turn flood control on with `limits` (fresh windows) or off with None."""
        with self.lock:
            self.flood_limits = limits
            self.flood_gate = FloodGate(limits) if limits else None

    # ----- test API: reading back ----------------------------------------------------------

    def bot_messages(
        self, chat_id: int | None = None, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Return the bot's messages in send order (all chats when `chat_id` is None)."""
        with self.lock:
            records = (self.messages[key] for key in self.bot_message_order)
            return [
                record.snapshot()
                for record in records
                if (chat_id is None or record.chat_id == chat_id)
                and (include_deleted or not record.deleted)
            ]

    def ephemeral_messages(
        self, chat_id: int, receiver_user_id: int, include_deleted: bool = False
    ) -> list[EphemeralMessage]:
        """Return the ephemeral messages ``receiver_user_id`` got in ``chat_id``, in order.

        Only through its receiver: nobody else in the chat can read one.
        """
        with self.lock:
            return self.ephemerals.seen_by(chat_id, receiver_user_id, include_deleted)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Return every request so far, or those of one method (case-insensitive)."""
        with self.lock:
            if method is None:
                return list(self.call_log)
            return [call for call in self.call_log if call.method.lower() == method.lower()]

    def record_call(self, call: ApiCall) -> None:
        """Append a finished request to the call log."""
        with self.lock:
            self.call_log.append(call)
        self.on_change()

    @property
    def answered_callbacks(self) -> list[str]:
        """Return the callback query ids the bot answered, in order."""
        with self.lock:
            return [answer.callback_query_id for answer in self.callback_answers]

    def descriptions(self, language_code: str = "") -> dict[str, str]:
        """Return the bot's description and short description as last set."""
        with self.lock:
            return {
                kind: self.bot_descriptions.get((kind, language_code), "")
                for kind in ("description", "short_description")
            }

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[BotCommand]:
        """Return the commands setMyCommands set for `scope` (default scope when None)."""
        with self.lock:
            return list(self.command_sets.get((scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        """Return the menu button setChatMenuButton set for a chat (the default when None)."""
        with self.lock:
            button = self.menu_buttons.get(chat_id)
            return None if button is None else dict(button)

    # ----- helpers for the Bot API methods -------------------------------------------------

    def resolve_chat(self, chat_id: int | str | None) -> ChatRecord:
        """Find the chat a request names; 400 when unknown or migrated."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat: ChatRecord | None
        if isinstance(chat_id, str):
            chat = next(
                (c for c in self.chats.values() if c.username and f"@{c.username}" == chat_id),
                None,
            )
        else:
            chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise chat_migrated(chat.migrated_to)
        return chat

    def admit_send(self, chat: ChatRecord, *, paid: bool = False) -> None:
        """Refuse a send to a chat that blocked the bot (403) or whose window is full (429).

        ``paid``: the request carries ``allow_paid_broadcast`` (counted in ``paid_broadcasts``).
        """
        if chat.blocked:
            raise ApiError(403, chat.blocked_reason())
        if self.flood_gate is not None:
            retry_after = self.flood_gate.admit(
                chat.id, chat.type == "private", time.monotonic(), paid=paid
            )
            if retry_after is not None:
                self.flood_rejections += 1
                raise too_many_requests(retry_after)
        if paid:
            self.paid_broadcasts += 1

    def store_bot_message(self, chat: ChatRecord, **fields: Any) -> MessageRecord:
        """Save a new bot message in `chat` and return it."""
        record = MessageRecord(
            chat_id=chat.id,
            message_id=chat.next_message_id(),
            sender_id=self.bot.id,
            from_bot=True,
            date=int(time.time()),
            sent_at=time.monotonic(),
            **fields,
        )
        self.messages[(chat.id, record.message_id)] = record
        self.bot_message_order.append((chat.id, record.message_id))
        if record.file is not None:
            self.files[record.file.file_id] = record.file
        return record

    def message_api(self, record: MessageRecord, with_reply: bool = True) -> dict[str, Any]:
        """Return the Bot API Message object for a stored message."""
        reply_to = None
        if with_reply and record.reply_to_message_id is not None:
            replied = self.messages.get((record.chat_id, record.reply_to_message_id))
            if replied is not None and not replied.deleted:
                reply_to = self.message_api(replied, with_reply=False)
        chat = self.chats[record.chat_id].to_api()
        return record.to_api(chat, self.users[record.sender_id].to_api(), reply_to)

    def ephemeral_api(self, record: EphemeralRecord) -> dict[str, Any]:
        """Return the Bot API Message object of a stored ephemeral message."""
        return record.to_api(
            self.chats[record.chat_id].to_api(),
            self.bot.to_api(),
            self.users[record.receiver_user_id].to_api(),
        )

    def confirm_updates(self, offset: int | None) -> None:
        """Forget updates below `offset`; a negative offset keeps only the last -offset."""
        with self.lock:
            if offset is None or offset == 0:
                return
            if offset > 0:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            else:
                self.updates = self.updates[offset:]

    def deliverable_updates(self, limit: int) -> list[dict[str, Any]]:
        """Return up to `limit` pending updates of the allowed types."""
        with self.lock:
            wanted = [u for u in self.updates if self._is_allowed(u)]
            return wanted[:limit]

    def set_allowed_updates(self, allowed: Iterable[str] | None) -> None:
        """Remember allowed_updates (None keeps the previous setting; [] means the default)."""
        with self.lock:
            if allowed is not None:
                self.allowed_updates = frozenset(allowed) or None

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self.allowed_updates is None:
            return kind not in OPT_IN_UPDATE_TYPES
        return kind in self.allowed_updates

    def _existing_chat(self, chat_id: int) -> ChatRecord:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} does not exist; call add_chat first")
        return chat


def scope_key(scope: dict[str, Any] | None) -> str:
    """Return a stable key for a BotCommandScope (None is the default scope)."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _command_entities(text: str) -> tuple[dict[str, Any], ...]:
    """Return the bot_command entity Telegram adds to a text starting with /command."""
    if not text.startswith("/"):
        return ()
    command = text.split(maxsplit=1)[0]
    return ({"type": "bot_command", "offset": 0, "length": utf16_length(command)},)


def _callback_data(markup: dict[str, Any] | None) -> list[str]:
    """Return the callback_data of every button in an inline keyboard."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]

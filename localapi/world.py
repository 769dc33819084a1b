"""The local server's world: users, chats and messages, each able to render its Bot API object."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from localapi.html_entities import FormattedText
from localapi.records import SentMessage

CHAT_TYPES = ("private", "group", "supergroup", "channel")
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


@dataclass
class UserRecord:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = "en"

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        return user


@dataclass
class ChatRecord:
    """A chat, its members' statuses, and whether it blocked the bot or was migrated."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    first_name: str | None = None
    members: dict[int, str] = field(default_factory=dict)
    migrated_to: int | None = None
    blocked: bool = False
    last_message_id: int = 0

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API Chat object (the short form inside messages)."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or str(self.id)
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def full_info(self) -> dict[str, Any]:
        """Return the Bot API ChatFullInfo object answered by getChat."""
        return {
            **self.to_api(),
            "accent_color_id": abs(self.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def next_message_id(self) -> int:
        """Allocate the chat's next message id."""
        self.last_message_id += 1
        return self.last_message_id

    def blocked_reason(self) -> str:
        """Return the 403 description Telegram gives when this chat shut the bot out."""
        return {
            "private": "Forbidden: bot was blocked by the user",
            "group": "Forbidden: bot was kicked from the group chat",
            "supergroup": "Forbidden: bot was kicked from the supergroup chat",
            "channel": "Forbidden: bot is not a member of the channel chat",
        }[self.type]


@dataclass
class StoredFile:
    """An uploaded file and the ids Telegram would give it."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0

    @classmethod
    def from_upload(
        cls,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Name the file by its content, as Telegram's file_unique_id does."""
        digest = hashlib.sha256(content).hexdigest()
        return cls(f"LOCAL{digest[:40]}", digest[:16], content, file_name, mime_type, width, height)

    def photo_sizes(self) -> list[dict[str, Any]]:
        """Return the PhotoSize list of a photo message (one size: the original)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": len(self.content),
            }
        ]

    def document(self) -> dict[str, Any]:
        """Return the Document object of a document message."""
        document: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document


@dataclass
class MessageRecord:
    """A message in a chat, from the bot or injected as a user's; mutable for edits."""

    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    date: int
    sent_at: float
    kind: str = "text"
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    shown: FormattedText = field(default_factory=lambda: FormattedText(""))
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    message_thread_id: int | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    disable_notification: bool = False
    link_preview_options: dict[str, Any] | None = None
    edits: list[str] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    rich_message: dict[str, Any] | None = None
    """The InputRichMessage of a rich message (its plain text is in ``shown``)."""

    def to_api(
        self, chat: dict[str, Any], sender: dict[str, Any], reply_to: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Return the Bot API Message object."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
        }
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = sender
        if self.message_thread_id is not None:
            message["message_thread_id"] = self.message_thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.media_group_id is not None:
            message["media_group_id"] = self.media_group_id
        self._content_to_api(message)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message

    def _content_to_api(self, message: dict[str, Any]) -> None:
        """Add the message's content: rich blocks, text and entities, or a file and caption."""
        entities = [dict(entity) for entity in self.shown.entities]
        if self.rich_message is not None:
            message["rich_message"] = self.rich_message
        elif self.kind == "text":
            message["text"] = self.shown.text
            if entities:
                message["entities"] = entities
            if self.link_preview_options:
                message["link_preview_options"] = self.link_preview_options
        else:
            assert self.file is not None
            if self.kind == "photo":
                message["photo"] = self.file.photo_sizes()
            else:
                message["document"] = self.file.document()
            if self.shown.text:
                message["caption"] = self.shown.text
                if entities:
                    message["caption_entities"] = entities

    def snapshot(self) -> SentMessage:
        """Return the frozen view tests read."""
        content = self.file.content if self.file else None
        return SentMessage(
            chat_id=self.chat_id,
            message_id=self.message_id,
            message_thread_id=self.message_thread_id,
            kind=self.kind,
            text=self.text,
            caption=self.caption,
            parse_mode=self.parse_mode,
            reply_markup=self.reply_markup,
            photo=content if self.kind == "photo" else None,
            document=content if self.kind == "document" else None,
            file_name=self.file.file_name if self.file else None,
            shown_text=self.shown.text,
            entities=self.shown.entities,
            sent_at=self.sent_at,
            edits=list(self.edits),
            deleted=self.deleted,
            reply_to_message_id=self.reply_to_message_id,
            media_group_id=self.media_group_id,
            disable_notification=self.disable_notification,
            link_preview_options=self.link_preview_options,
            rich_message=self.rich_message,
        )


def chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """Return the Bot API ChatMember object for `user` with `status`."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_pin_messages=True,
            can_manage_topics=False,
        )
    elif status == "restricted":
        member.update(
            is_member=True,
            until_date=0,
            can_send_messages=False,
            can_send_audios=False,
            can_send_documents=False,
            can_send_photos=False,
            can_send_videos=False,
            can_send_video_notes=False,
            can_send_voice_notes=False,
            can_send_polls=False,
            can_send_other_messages=False,
            can_add_web_page_previews=False,
            can_change_info=False,
            can_invite_users=False,
            can_pin_messages=False,
            can_manage_topics=False,
            can_edit_tag=False,
            can_react_to_messages=False,
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member

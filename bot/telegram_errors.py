"""What a Telegram error means for the bot, decided in one place.

PTB gives the errors that matter their own types and fields where Telegram documents them:
``Forbidden`` (blocked, kicked), ``ChatMigrated.new_chat_id``, ``RetryAfter.retry_after``,
``NetworkError`` (and its ``TimedOut``). A 400 ``BadRequest`` has no finer type: Telegram's
description is the only thing that tells a deleted topic from a deleted chat, so the few
descriptions the bot acts on are matched here and nowhere else.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from telegram.error import BadRequest, RetryAfter


class Refusal(Enum):
    """What a 400 Bad Request refused."""

    THREAD_GONE = "the forum topic was deleted"
    CHAT_GONE = "the chat does not exist (any more)"
    FILE_REFUSED = "a file_id is no longer accepted"
    NOT_MODIFIED = "an edit would change nothing"
    QUERY_EXPIRED = "a button press is too old to answer"
    MESSAGE_GONE = "the message to edit is gone or too old"
    OTHER = "anything else: the request itself is wrong"


#: Fragments of Telegram's descriptions, lower case, checked in this order.
_DESCRIPTIONS: tuple[tuple[str, Refusal], ...] = (
    ("query is too old", Refusal.QUERY_EXPIRED),
    ("query id is invalid", Refusal.QUERY_EXPIRED),
    ("thread not found", Refusal.THREAD_GONE),
    ("chat not found", Refusal.CHAT_GONE),
    ("message is not modified", Refusal.NOT_MODIFIED),
    ("message can't be edited", Refusal.MESSAGE_GONE),
    ("file", Refusal.FILE_REFUSED),
    ("not found", Refusal.MESSAGE_GONE),
)


def refusal(error: BadRequest) -> Refusal:
    """Return what ``error`` refused, from Telegram's description."""
    description = error.message.lower()
    for fragment, meaning in _DESCRIPTIONS:
        if fragment in description:
            return meaning
    return Refusal.OTHER


def retry_after_seconds(error: RetryAfter) -> float:
    """Return how long a RetryAfter asks to wait, in seconds (timedelta or int API)."""
    value: object = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]

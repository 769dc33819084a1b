"""Which language a chat reads: the one it chose with /language, else a private user's own.

The language of the update being handled is kept in a context variable, set by a handler that
runs before all others (``remember_language``), so that every reply rendered while handling the
update (``bot.chat.replies.render_bot``) is in the chat's language without being told.
"""

from __future__ import annotations

from contextvars import ContextVar

from telegram.constants import ChatType

from briefings.i18n import DEFAULT_LANGUAGE, language_of

_CURRENT: ContextVar[str] = ContextVar("chat_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """Return the language of the chat whose update is being handled (English outside one)."""
    return _CURRENT.get()


def use_language(language: str) -> None:
    """Answer the rest of the current update in ``language`` (after /language changed it)."""
    _CURRENT.set(language)


def default_language(chat_type: str, user_language_code: str | None) -> str:
    """Return a chat's language before it chose one: a private user's own when supported."""
    if chat_type == ChatType.PRIVATE:
        return language_of(user_language_code) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def chat_language(chosen: str | None, chat_type: str, user_language_code: str | None) -> str:
    """Return the language a chat reads: the one it chose, else its default."""
    return language_of(chosen) or default_language(chat_type, user_language_code)

"""Send replies rendered from templates/bot/*.j2, split to Telegram's size limit."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.desk.reader_language import current_language
from briefings.render.templates import render_template
from bot.desk.split import split_message

#: Longest command message answered normally; longer ones get a usage note without parsing.
MAX_COMMAND_LENGTH = 300
#: Most of a user's input echoed back in a reply.
ECHO_LIMIT = 40


def render_bot(name: str, lang: str | None = None, **context: Any) -> str:
    """Render ``templates/bot/<name>`` in ``lang`` (default: the chat's being answered)."""
    return render_template(f"bot/{name}", lang or current_language(), **context)


def data_behind_note(session: date, expected: date) -> str:
    """Return the line saying the data ends on ``session`` before ``expected`` ("" if not)."""
    if session >= expected:
        return ""
    return render_bot("behind.html.j2", session=session, expected=expected)


def with_note(text: str, note: str) -> str:
    """Return ``text`` with ``note`` (if any) as its last line."""
    return f"{text.rstrip()}\n{note}" if note else text


async def send_html(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send Telegram HTML to the update's chat and topic; the keyboard goes on the last part."""
    message = update.effective_message
    if message is None:
        return []
    parts = split_message(text)
    sent: list[Message] = []
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        sent.append(
            await message.reply_text(
                part, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=False
            )
        )
    return sent


async def reply(update: Update, template: str, **context: Any) -> list[Message]:
    """Render ``templates/bot/<template>.html.j2`` and send it."""
    return await send_html(update, render_bot(f"{template}.html.j2", **context))


def echo(text: str) -> str:
    """Return user input shortened for quoting in a reply (templates escape it)."""
    text = " ".join(text.split())
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"

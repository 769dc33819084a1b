"""Answers for one member: in groups, on-demand views go to the asker alone, with a Share button.

The views: /pair, /since, /breadth, /tickers, the window views /rotation, /sectors, /movers
(whose window buttons then edit the asker's copy) and the charts of /chart and /rrg.

An ephemeral message (Bot API 10.2, https://core.telegram.org/bots/api-changelog) is seen by the
member who asked only; *Share with the group* posts the same view for everyone. A group's
administrators choose the default with ``/settings replies private|public``. Where Telegram
refuses an ephemeral message the rest of the answer is posted to the group, as before: nothing
asked for is lost.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode

from bot.chat.replies import render_bot, send_html
from bot.desk.buttons import ShareButton, encode
from bot.desk.split import split_message
from bot.services.context import BotContext
from bot.telegram_next import (
    EphemeralRefused,
    EphemeralTarget,
    EphemeralText,
    delete_ephemeral,
    ephemeral_ref,
    send_ephemeral_text,
)

log = logging.getLogger(__name__)

#: Where a group's on-demand answers go: to the asker alone (the default) or to everyone.
REPLIES_PRIVATE = "private"
REPLIES_PUBLIC = "public"
REPLY_MODES = (REPLIES_PRIVATE, REPLIES_PUBLIC)
_GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def share_keyboard(keyboard: InlineKeyboardMarkup | None = None) -> InlineKeyboardMarkup:
    """Return ``keyboard`` (if any) with a last row that posts the answer for the whole group."""
    label = render_bot("share_button.txt.j2").strip()
    button = InlineKeyboardButton(label, callback_data=encode(ShareButton()))
    rows = list(keyboard.inline_keyboard) if keyboard is not None else []
    return InlineKeyboardMarkup([*rows, [button]])


async def answers_privately(update: Update, context: BotContext) -> bool:
    """Return whether this update's answer goes to the member who asked alone."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type not in _GROUPS or user is None or user.is_bot:
        return False
    if message is not None and message.sender_chat is not None:
        return False  # an anonymous administrator or a channel: no one member to answer
    services = context.services
    try:
        chosen = await services.database.run(services.chats.replies, chat.id)
    except Exception:
        # The answer matters more than where it goes; the group sees it as before.
        log.warning("reply setting of chat %s not read; answering the group", chat.id)
        return False
    return chosen != REPLIES_PUBLIC


async def send_view(
    update: Update,
    context: BotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Send an on-demand view: to the asker alone in a group that wants that, else to the chat.

    ``keyboard`` goes on the last part (the window buttons of /rotation, /sectors, /movers).
    """
    parts = split_message(text)
    if await answers_privately(update, context):
        parts = await _send_ephemeral_parts(update, context, parts, keyboard)
    for index, part in enumerate(parts):
        await send_html(update, part, keyboard if index == len(parts) - 1 else None)


async def _send_ephemeral_parts(
    update: Update,
    context: BotContext,
    parts: list[str],
    keyboard: InlineKeyboardMarkup | None,
) -> list[str]:
    """Send ``parts`` to the asker alone; return those Telegram refused (from the first)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None
    assert user is not None
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    for index, part in enumerate(parts):
        markup = share_keyboard(keyboard if index == len(parts) - 1 else None)
        request = EphemeralText(chat.id, part, EphemeralTarget(user.id), markup, thread)
        try:
            await send_ephemeral_text(context.bot, request)
        except EphemeralRefused as refused:
            log.info("chat %s refused an ephemeral answer (%s); posting it", chat.id, refused)
            return parts[index:]
    return []


async def share_button(update: Update, context: BotContext) -> None:
    """Post the pressed ephemeral answer for the whole group, then remove the private copy."""
    query = update.callback_query
    if query is None:
        return
    message = query.message
    ref = ephemeral_ref(message) if isinstance(message, Message) else None
    if ref is None or not isinstance(message, Message) or not (message.text or message.photo):
        await query.answer(render_bot("callback_stale.txt.j2").strip(), show_alert=True)
        return
    thread = message.message_thread_id if message.is_topic_message else None
    if message.photo:
        await context.bot.send_photo(
            ref.chat_id,
            message.photo[-1].file_id,
            caption=message.caption_html if message.caption else None,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread,
        )
    else:
        await context.bot.send_message(
            ref.chat_id, message.text_html, parse_mode=ParseMode.HTML, message_thread_id=thread
        )
    # Already gone for its reader, the private copy matters no more: the shared one counts.
    with contextlib.suppress(EphemeralRefused):
        await delete_ephemeral(context.bot, ref)
    await query.answer(render_bot("shared.txt.j2").strip())

"""Table views as rich messages (native tables), or as HTML for a chat where Telegram refused one.

A chat gets the rich message first; when Telegram refuses it (a server too old, blocks it does
not take) the same view goes out as today's HTML at once, and the chat is remembered
(``chats.rich_refused_at``) so it reads HTML from then on. Answers a group sends to the asker
alone stay HTML (``bot.chat.private_answers``).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.chat.private_answers import answers_privately
from bot.desk.rich_views import rich_view
from bot.services.context import BotContext
from bot.telegram_next import RichRefused, send_rich_message
from briefings import TableView

log = logging.getLogger(__name__)


async def sent_as_rich(
    update: Update,
    context: BotContext,
    tables: TableView,
    keyboard: InlineKeyboardMarkup | None = None,
    note: str = "",
) -> bool:
    """Send ``tables`` as one rich message; False: the caller sends the HTML view instead.

    False for a chat that reads HTML, an answer for the asker alone, or a refusal (remembered).
    """
    chat, message = update.effective_chat, update.effective_message
    if chat is None or not await _reads_rich(context, chat.id):
        return False
    if await answers_privately(update, context):
        return False
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    try:
        await send_rich_message(context.bot, chat.id, rich_view(tables, note), keyboard, thread)
    except RichRefused as refused:
        log.info("chat %s refused a rich message (%s); it reads HTML from now", chat.id, refused)
        await _remember_refusal(context, chat.id, chat.type, chat.title)
        return False
    return True


async def _reads_rich(context: BotContext, chat_id: int) -> bool:
    services = context.services
    try:
        return await services.database.run(services.chats.reads_rich, chat_id)
    except Exception:
        log.warning("rich setting of chat %s not read; sending HTML", chat_id)
        return False


async def _remember_refusal(
    context: BotContext, chat_id: int, chat_type: str, title: str | None
) -> None:
    services = context.services
    try:
        await services.database.run(
            services.chats.refuse_rich,
            chat_id,
            chat_type=chat_type,
            title=title,
            now=services.clock(),
        )
    except Exception:
        # The answer still goes out as HTML; the next view tries rich again.
        log.warning("rich refusal of chat %s not stored", chat_id)

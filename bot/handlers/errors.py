"""The error handler: log every exception a handler raises and tell the person."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.handlers.replies import render_bot, reply

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the exception with the update's ids; answer the chat (or the button press)."""
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=context.error)
        return
    chat_id = update.effective_chat.id if update.effective_chat else None
    log.error(
        "handler failed for update %s (chat %s)", update.update_id, chat_id, exc_info=context.error
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(render_bot("callback_error.txt.j2").strip())
        elif update.effective_message is not None:
            await reply(update, "error")
    except TelegramError as exc:
        log.warning("could not tell chat %s about the error: %s", chat_id, exc)

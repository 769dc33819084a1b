"""The error handler: log every exception a handler raises and tell the person.

Faults outside anyone's control are one line, at the level they deserve: a Bot API outage is
logged by bot.delivery.outage (retries of polling are DEBUG here), a flood-limit storm by
bot.delivery.ratelimit, an expired button press is INFO, and a storage fault (a full disk) is a
WARNING with a reply saying the change could not be saved. Anything else is a bug: ERROR with
the traceback.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.services.context import BotContext
from bot.chat.replies import render_bot, reply
from bot.telegram_errors import Refusal, refusal
from briefings.storage import fault_kind

log = logging.getLogger(__name__)


def is_expired_query(error: BaseException | None) -> bool:
    """Return True for the error of answering a button press Telegram no longer accepts."""
    return isinstance(error, BadRequest) and refusal(error) is Refusal.QUERY_EXPIRED


def is_transport_failure(error: BaseException | None) -> bool:
    """Return True for a failed connection, a timeout or a 5xx (PTB's BadRequest, a 400, is a
    NetworkError too, but it is the bot's mistake)."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def on_error(update: object, context: BotContext) -> None:
    """Log the exception with the update's ids; answer the chat (or the button press)."""
    error = context.error
    if not isinstance(update, Update):
        if is_transport_failure(error) or isinstance(error, RetryAfter):
            log.debug("Bot API request failed outside an update: %s", error)
        else:
            log.error("error outside an update", exc_info=error)
        return
    chat_id = update.effective_chat.id if update.effective_chat else None
    if is_expired_query(error):
        log.info("button press in chat %s expired before it was answered", chat_id)
        return
    if isinstance(error, RetryAfter):
        log.debug("reply to chat %s dropped in a flood-limit storm", chat_id)
        return  # the storm is logged once by the rate limiter; a reply now would be refused too
    kind = fault_kind(error) if error is not None else None
    if kind is not None:
        log.warning("update %s (chat %s): storage fault: %s", update.update_id, chat_id, error)
    elif is_transport_failure(error):
        log.warning("update %s (chat %s): Bot API failed: %s", update.update_id, chat_id, error)
    else:
        log.error(
            "handler failed for update %s (chat %s)", update.update_id, chat_id, exc_info=error
        )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(render_bot("callback_error.txt.j2").strip())
        elif update.effective_message is not None and kind is not None:
            await reply(update, "storage_fault", kind=kind)
        elif update.effective_message is not None:
            await reply(update, "error")
    except TelegramError as exc:
        log.warning("could not tell chat %s about the error: %s", chat_id, exc)

"""/language: the chat's language (English or Simplified Chinese)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Update

from bot.chat.commands import InputProblem, command
from bot.chat.replies import echo, reply
from bot.chat.subscription import store_setting
from bot.desk.reader_language import chat_language, use_language
from bot.services.context import BotContext
from briefings import DEFAULT_LANGUAGE, LANGUAGES

Context = BotContext
log = logging.getLogger(__name__)


@command("language", max_args=1)
async def language(update: Update, context: Context, args: Sequence[str]) -> None:
    """Show the chat's language; "en" or "zh" (administrators in groups) changes it."""
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    if not args:
        await reply(update, "language", changed=False)
        return
    wanted = args[0].lower()
    if wanted not in LANGUAGES:
        raise InputProblem("not_language", text=echo(args[0]))
    if await store_setting(
        update, context, "language", services.chats.set_language, language=wanted
    ):
        use_language(wanted)
        await reply(update, "language", changed=True)


async def remember_language(update: Update, context: BotContext) -> None:
    """Look up the update's chat language and keep it for the handlers that answer it."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        use_language(DEFAULT_LANGUAGE)
        return
    services = context.services
    try:
        chosen = await services.database.run(services.chats.language, chat.id)
    except Exception:
        # The answer matters more than its language; the handler meets the fault itself.
        log.warning("language of chat %s not read; answering in its default", chat.id)
        chosen = None
    use_language(chat_language(chosen, chat.type, user.language_code if user else None))

"""/language: the chat's language (English or Simplified Chinese)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update

from bot.context import BotContext
from bot.handlers.commands import InputProblem, command
from bot.handlers.replies import echo, reply
from bot.handlers.subscription import may_manage
from bot.language import use_language
from briefings.i18n import LANGUAGES

Context = BotContext


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
        raise InputProblem(f"“{echo(args[0])}” is not a language; use en or zh.")
    if not await may_manage(update, context):
        await reply(update, "not_admin", setting="language")
        return
    await services.database.run(
        services.chats.set_language,
        chat.id,
        chat_type=chat.type,
        title=chat.effective_name,
        language=wanted,
    )
    use_language(wanted)
    await reply(update, "language", changed=True)

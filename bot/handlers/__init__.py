"""Register the bot's handlers and build its command menu."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services.context import BotContext
from bot.chat.alerts import alerts
from bot.chat.callbacks import window_button
from bot.chat.charts import chart, rrg
from bot.chat.commands import brief, help_command, pair, plain_text, rotation, sectors, since, stats, tickers, unknown_command
from bot.chat.errors import on_error
from bot.chat.language import language, remember_language
from bot.chat.members import breadth, movers
from bot.chat.onboarding import CONFIRM_SUBSCRIBE, confirm_subscribe, membership_changed, start
from bot.chat.replies import render_bot
from bot.chat.subscription import settings, subscribe, unsubscribe
from bot.chat.views import VIEW_PREFIX, view_button
from bot.services.hub import BotApplication
from briefings.i18n import LANGUAGES

#: The handler group that finds the chat's language: before any other group, since in a group
#: only the first matching handler runs (PTB), and every group after it answers in the language.
LANGUAGE_GROUP = -1000
#: Updates from channels are not handled: the bot serves private chats and groups.
_CHATS = filters.ChatType.PRIVATE | filters.ChatType.GROUPS


def register_handlers(application: BotApplication) -> None:
    """Add every command, the view and window buttons, the fallbacks and the error handler."""
    commands = {
        "start": start,
        "help": help_command,
        "brief": brief,
        "rotation": rotation,
        "sectors": sectors,
        "since": since,
        "pair": pair,
        "breadth": breadth,
        "movers": movers,
        "tickers": tickers,
        "rrg": rrg,
        "chart": chart,
        "alerts": alerts,
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "settings": settings,
        "language": language,
        "stats": stats,
    }
    # Before every other handler: the language the chat reads (bot.desk.reader_language).
    application.add_handler(TypeHandler(Update, remember_language), group=LANGUAGE_GROUP)
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=_CHATS))
    application.add_handler(CallbackQueryHandler(_button))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.COMMAND & _CHATS, unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, plain_text)
    )
    application.add_error_handler(on_error)


async def _button(update: Update, context: BotContext) -> None:
    """Route a button press: the subscribe confirmation, a summary view, else a window button.

    One handler, not two with patterns: PTB lets a pattern handler take presses whose data is
    empty, which must get the window handler's "expired" answer.
    """
    query = update.callback_query
    if query is not None and query.data == CONFIRM_SUBSCRIBE:
        await confirm_subscribe(update, context)
    elif query is not None and (query.data or "").startswith(VIEW_PREFIX):
        await view_button(update, context)
    else:
        await window_button(update, context)


def _menu(template: str, lang: str) -> list[BotCommand]:
    commands = []
    for line in render_bot(template, lang).splitlines():
        name, separator, description = line.partition(" - ")
        if separator:
            commands.append(BotCommand(name.strip(), description.strip()))
    return commands


def command_menu(lang: str = LANGUAGES[0]) -> list[BotCommand]:
    """Return the public command menu in ``lang`` (templates/bot/commands.txt.j2)."""
    return _menu("commands.txt.j2", lang)


def admin_command_menu(lang: str = LANGUAGES[0]) -> list[BotCommand]:
    """Return the menu shown to the bot's administrators: the public one plus /stats."""
    return [*command_menu(lang), *_menu("admin_commands.txt.j2", lang)]

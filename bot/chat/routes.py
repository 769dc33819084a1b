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

from bot.chat.alerts import alerts
from bot.chat.callbacks import window_button
from bot.chat.charts import chart, rrg
from bot.chat.commands import (
    brief,
    factors,
    help_command,
    pair,
    plain_text,
    rotation,
    sectors,
    since,
    stats,
    tickers,
    unknown_command,
)
from bot.chat.errors import on_error
from bot.chat.lab import lab
from bot.chat.language import language, remember_language
from bot.chat.members import breadth, movers
from bot.chat.onboarding import confirm_subscribe, membership_changed, start
from bot.chat.private_answers import share_button
from bot.chat.replies import render_bot
from bot.chat.subscription import settings, subscribe, unsubscribe
from bot.chat.views import view_button
from bot.desk import buttons
from bot.desk.buttons import ShareButton, SubscribeButton, ViewButton, WindowButton
from bot.services.context import BotContext
from bot.services.hub import BotApplication
from briefings import LANGUAGES

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
        "factors": factors,
        "since": since,
        "pair": pair,
        "breadth": breadth,
        "movers": movers,
        "tickers": tickers,
        "rrg": rrg,
        "chart": chart,
        "lab": lab,
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
    # First: PTB hands a press without data to any handler with a pattern, so the one answering
    # data no button encodes must come before the buttons' own.
    application.add_handler(CallbackQueryHandler(_expired_button, pattern=buttons.unreadable))
    for kind, callback in (
        (SubscribeButton, confirm_subscribe),
        (ViewButton, view_button),
        (WindowButton, window_button),
        (ShareButton, share_button),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=buttons.pattern(kind)))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.COMMAND & _CHATS, unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, plain_text)
    )
    application.add_error_handler(on_error)


async def _expired_button(update: Update, context: BotContext) -> None:
    """Answer a button whose data no button of this bot encodes: it has expired."""
    query = update.callback_query
    if query is not None:
        await query.answer(render_bot("callback_stale.txt.j2").strip())


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


#: The on-demand views a group answers for the asker alone (bot.chat.private_answers): in a
#: group's menu they are ephemeral commands (BotCommand.is_ephemeral, Bot API 10.3), so the
#: command too is seen only by the member who sent it and the bot.
EPHEMERAL_IN_GROUPS = frozenset(
    {"pair", "since", "breadth", "movers", "rotation", "sectors", "factors", "tickers", "rrg"}
    | {"chart"}
)


def group_command_menu(lang: str = LANGUAGES[0]) -> list[BotCommand]:
    """Return the menu of group chats: the public one, its on-demand views ephemeral."""
    return [
        BotCommand(c.command, c.description, api_kwargs={"is_ephemeral": True})
        if c.command in EPHEMERAL_IN_GROUPS
        else c
        for c in command_menu(lang)
    ]


def admin_command_menu(lang: str = LANGUAGES[0]) -> list[BotCommand]:
    """Return the menu shown to the bot's administrators: the public one plus /stats."""
    return [*command_menu(lang), *_menu("admin_commands.txt.j2", lang)]

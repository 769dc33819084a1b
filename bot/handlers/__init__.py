"""Register the bot's handlers and build its command menu."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.handlers.alerts import alerts
from bot.handlers.callbacks import window_button
from bot.handlers.charts import chart, rrg
from bot.handlers.commands import (
    brief,
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
from bot.handlers.errors import on_error
from bot.handlers.members import breadth, movers
from bot.handlers.replies import render_bot
from bot.handlers.subscription import settings, subscribe, unsubscribe
from bot.services import BotApplication

#: Updates from channels are not handled: the bot serves private chats and groups.
_CHATS = filters.ChatType.PRIVATE | filters.ChatType.GROUPS


def register_handlers(application: BotApplication) -> None:
    """Add every command, the window buttons, the fallbacks and the error handler."""
    commands = {
        "start": help_command,
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
        "stats": stats,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=_CHATS))
    application.add_handler(CallbackQueryHandler(window_button))
    application.add_handler(MessageHandler(filters.COMMAND & _CHATS, unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, plain_text)
    )
    application.add_error_handler(on_error)


def _menu(template: str) -> list[BotCommand]:
    commands = []
    for line in render_bot(template).splitlines():
        name, separator, description = line.partition(" - ")
        if separator:
            commands.append(BotCommand(name.strip(), description.strip()))
    return commands


def command_menu() -> list[BotCommand]:
    """Return the public command menu (templates/bot/commands.txt.j2)."""
    return _menu("commands.txt.j2")


def admin_command_menu() -> list[BotCommand]:
    """Return the menu shown to the bot's administrators: the public one plus /stats."""
    return [*command_menu(), *_menu("admin_commands.txt.j2")]

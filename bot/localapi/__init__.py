"""A local Telegram Bot API server that the real python-telegram-bot client talks to."""

from bot.localapi.control import LocalApiControl
from bot.localapi.flood import FloodLimits
from bot.localapi.records import ApiCall, BotCommand, CallbackAnswer, SentMessage
from bot.localapi.server import LocalBotApi

__all__ = [
    "ApiCall",
    "BotCommand",
    "CallbackAnswer",
    "FloodLimits",
    "LocalApiControl",
    "LocalBotApi",
    "SentMessage",
]

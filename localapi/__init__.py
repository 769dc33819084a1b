"""A local Telegram Bot API server that the real python-telegram-bot client talks to."""

from localapi.control import LocalApiControl
from localapi.flood import FloodLimits
from localapi.records import ApiCall, BotCommand, CallbackAnswer, SentMessage
from localapi.server import LocalBotApi

__all__ = [
    "ApiCall",
    "BotCommand",
    "CallbackAnswer",
    "FloodLimits",
    "LocalApiControl",
    "LocalBotApi",
    "SentMessage",
]

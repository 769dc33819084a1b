"""A local Telegram Bot API server that the real python-telegram-bot client talks to."""

from localapi.control import LocalApiControl
from localapi.flood import FloodLimits
from localapi.records import ApiCall, BotCommand, CallbackAnswer, EphemeralMessage, SentMessage
from localapi.server import LocalBotApi

__all__ = [
    "ApiCall",
    "BotCommand",
    "CallbackAnswer",
    "EphemeralMessage",
    "FloodLimits",
    "LocalApiControl",
    "LocalBotApi",
    "SentMessage",
]

"""The typed context every handler and job receives (PTB's ``ContextTypes``).

``build_application`` registers ``BotContext``, so ``context.services`` is the bot's
``BotServices``, typed, instead of a lookup in ``bot_data`` in every handler.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.services.hub import SERVICES_KEY, BotServices


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """A CallbackContext that knows the bot's services."""

    @property
    def services(self) -> BotServices:
        """Return the services ``build_application`` stored on the application."""
        services = self.application.bot_data.get(SERVICES_KEY)
        if not isinstance(services, BotServices):
            raise RuntimeError("the application was not built by bot.runtime.app.build_application")
        return services


#: What ``ApplicationBuilder.context_types`` is given.
CONTEXT_TYPES = ContextTypes(context=BotContext)

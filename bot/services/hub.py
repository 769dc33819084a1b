"""What handlers and jobs share: settings, the desks, the database, the outbox and its pushes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from bot.config import BotSettings
from bot.delivery.alert_push import AlertPush
from bot.delivery.briefing_push import BriefingPush
from bot.delivery.outage import ApiHealth
from bot.delivery.outbox import OutboxLog
from bot.delivery.recap_push import RecapPush
from bot.delivery.sender import Sender
from bot.desk.chart_desk import ChartDesk
from bot.desk.market_desk import MarketDesk
from bot.store.chats import ChatStore
from bot.store.database import Database
from briefings import Clock

SERVICES_KEY = "marketbrief"

#: The bot's Application, whatever its context types.
BotApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class BotServices:
    """The bot's long-lived collaborators, stored in ``application.bot_data``."""

    settings: BotSettings
    clock: Clock
    """The bot's one clock: the desk, the sender, the jobs and the handlers read it."""
    desk: MarketDesk
    database: Database
    chats: ChatStore
    outbox: OutboxLog
    sender: Sender
    briefings: BriefingPush
    alerts: AlertPush
    recaps: RecapPush
    """The weekly and monthly recaps, sent after the briefing of a period's last session."""
    charts: ChartDesk
    startup_complete: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the start-up refresh and catch-up have run (their broadcasts may still run)."""
    api_health: ApiHealth = field(default_factory=ApiHealth)
    """Whether the Bot API answers (outages are logged once, at their start and end)."""


def get_services(application: BotApplication) -> BotServices:
    """Return the services ``build_application`` stored on the application."""
    services = application.bot_data.get(SERVICES_KEY)
    if not isinstance(services, BotServices):
        raise RuntimeError("the application was not built by bot.runtime.app.build_application")
    return services

"""The bot's health: is it serving, how fresh is the data, when is the next briefing."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.services.hub import BotApplication, BotServices, get_services
from bot.services.jobs import next_delivery
from bot.store.chats import Schedule
from briefings import CalendarRangeError, StoreError

OK, UNAVAILABLE = 200, 503


@dataclass(frozen=True)
class NextBriefing:
    """The earliest scheduled delivery of any subscribed chat."""

    at: datetime
    schedule: Schedule


async def next_briefing(services: BotServices, now: datetime) -> NextBriefing | None:
    """Return the soonest delivery time over every active schedule (on an NYSE session day)."""
    found: NextBriefing | None = None
    for schedule in await services.database.run(services.chats.schedules):
        moment = next_delivery(schedule, now)
        if moment is not None and (found is None or moment < found.at):
            found = NextBriefing(moment, schedule)
    return found


def bot_name(application: BotApplication) -> str | None:
    """Return "@username", None before getMe answered."""
    try:
        return f"@{application.bot.username}"
    except RuntimeError:
        return None


async def health_report(application: BotApplication) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status (200 or 503) and the JSON body of GET /healthz.

    503 while the bot has not started (or stopped) and when the price store cannot be read.
    """
    services = get_services(application)
    name = bot_name(application)
    if not application.running:
        return UNAVAILABLE, {"status": "not started", "bot": name}
    if not services.startup_complete.is_set():
        return UNAVAILABLE, {"status": "starting", "bot": name}
    try:
        freshness = await services.desk.freshness()
    except (StoreError, sqlite3.Error, OSError) as exc:
        return UNAVAILABLE, {"status": "price store unreadable", "bot": name, "error": str(exc)}
    except CalendarRangeError as exc:
        return UNAVAILABLE, {"status": "calendar out of range", "bot": name, "error": str(exc)}
    upcoming = await next_briefing(services, services.clock())
    chats = await services.database.run(services.chats.active)
    refresh = freshness.last_refresh
    return OK, {
        "status": "ok",
        "bot": name,
        "source": freshness.source,
        "simulated": freshness.simulated,
        "last_completed_session": freshness.expected_session.isoformat(),
        "data": {
            "last_stored_session": _iso(freshness.last_session),
            "current": freshness.is_current,
            "quarantined_closes": freshness.quarantined,
            "served_by": dict(freshness.served_by),
            "last_refresh": None
            if refresh is None
            else {
                "at": refresh.when.isoformat(),
                "ok": refresh.ok,
                "message": refresh.message,
            },
        },
        "next_briefing": None
        if upcoming is None
        else {"at": upcoming.at.isoformat(), "schedule": upcoming.schedule.key},
        "chats": len(chats),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()

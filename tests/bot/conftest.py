"""Fixtures: a local Bot API server and the real bot Application on the demo market."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.config import BotSettings, RateLimits
from bot.runtime.app import build_application, running
from bot.services.hub import BotApplication, BotServices, get_services
from bot.store.chats import ChatStore, Schedule
from briefings.clock import Clock, utc_now
from briefings.config import Settings
from briefings.service import MarketService
from localapi import LocalBotApi, SentMessage

TOKEN = "123456789:AAHlocalTestTokenForMarketbriefBot01"
BOT_USERNAME = "marketbrief_bot"
ADMIN_ID = 1001
#: Relaxed limits for conversation tests (many messages in one chat); storm tests use real ones.
FAST_LIMITS = RateLimits(overall_per_second=500, per_chat_per_second=100, per_chat_burst=50)
#: The handler group of the test's "update handled" mark: after every group the bot uses.
HANDLED_GROUP = 1_000


#: The schedule the seeded chats chose: the daily briefing at 08:00 New York time.
EIGHT_NEW_YORK = Schedule(time(8, 0), "America/New_York")


def seed_private_chats(
    store: ChatStore, chats: list[int], subscribed_at: datetime, server: LocalBotApi | None = None
) -> None:
    """Subscribe private chats at 08:00 New York straight into the bot database (and make each
    known to the server, when given)."""
    for chat in chats:
        if server is not None:
            server.add_chat(chat, "private")
        store.subscribe(
            chat,
            chat_type="private",
            title=None,
            thread_id=None,
            schedule=EIGHT_NEW_YORK,
            subscribed_by=chat,
            now=subscribed_at,
        )


def make_data_dir(tmp_path: Path, demo_store: Path) -> Path:
    """Return a fresh data dir holding a copy of the refreshed demo price store.

    Private, as the bot makes it: a looser one is tightened at start with a log line.
    """
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700, exist_ok=True)
    target = Settings(data_dir=data_dir).store_path
    if not target.exists():
        shutil.copy(demo_store, target)
    return data_dir


def make_settings(data_dir: Path, **changes: Any) -> BotSettings:
    """Return bot settings for tests: the demo source, one admin, relaxed limits."""
    fields: dict[str, Any] = {
        "token": TOKEN,
        "domain": Settings(data_dir=data_dir, source="demo"),
        "admins": frozenset({ADMIN_ID}),
        "default_time": time(8, 0),
        "default_zone": "America/New_York",
        "rate_limits": FAST_LIMITS,
    }
    fields.update(changes)
    return BotSettings(**fields)


class HandledUpdates:
    """Mark each update once the bot's handlers (and its error handler) are done with it.

    Registered as a PTB handler in the last group: PTB runs a update's groups in order and
    awaits each handler, so when the mark is set every reply to the update has been sent.
    """

    def __init__(self) -> None:
        self._done: dict[int, asyncio.Event] = {}

    def _event(self, update_id: int) -> asyncio.Event:
        return self._done.setdefault(update_id, asyncio.Event())

    async def mark(self, update: object, context: object) -> None:
        if isinstance(update, Update):
            self._event(update.update_id).set()

    async def wait(self, update_id: int, timeout: float) -> None:
        await asyncio.wait_for(self._event(update_id).wait(), timeout)


@dataclass
class Harness:
    """The local server and the running bot, with helpers to talk to it."""

    server: LocalBotApi
    application: BotApplication
    data_dir: Path
    handled: HandledUpdates

    @property
    def services(self) -> BotServices:
        return get_services(self.application)

    def private_chat(self, user_id: int, name: str = "Ann") -> int:
        """Create a user with a private chat; return the chat id (== user id)."""
        self.server.add_user(user_id, first_name=name)
        self.server.add_chat(user_id, "private", title=name)
        return user_id

    def group(
        self,
        chat_id: int,
        *,
        admins: tuple[int, ...] = (),
        members: tuple[int, ...] = (),
        type: str = "supergroup",
        title: str = "Traders",
        is_forum: bool = False,
    ) -> int:
        """Create a group with administrators and members; return its id."""
        self.server.add_chat(chat_id, type, title=title, is_forum=is_forum)
        for user_id in admins:
            self.server.add_user(user_id, first_name=f"Admin {user_id}")
            self.server.set_member_status(chat_id, user_id, "administrator")
        for user_id in members:
            self.server.add_user(user_id, first_name=f"Member {user_id}")
            self.server.set_member_status(chat_id, user_id, "member")
        return chat_id

    async def settle(self, chat_id: int, seen: int, timeout: float = 15.0) -> list[SentMessage]:
        """Wait for a new bot message after ``seen`` and for the pushes under way to finish."""
        await self.server.wait_for_messages(chat_id, seen + 1, timeout)
        await asyncio.wait_for(self.services.briefings.wait_idle(), timeout)
        await asyncio.wait_for(self.services.alerts.wait_idle(), timeout)
        return self.server.bot_messages(chat_id)[seen:]

    async def say(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        thread: int | None = None,
        timeout: float = 15.0,
    ) -> list[SentMessage]:
        """Send ``text`` as a user and return the bot's replies once it has handled it."""
        seen = len(self.server.bot_messages(chat_id))
        update = self.server.send_text(chat_id, user_id or chat_id, text, message_thread_id=thread)
        await self.handled.wait(int(update["update_id"]), timeout)
        return self.server.bot_messages(chat_id)[seen:]

    async def say_one(self, chat_id: int, text: str, **kwargs: Any) -> SentMessage:
        """Send ``text`` and return the single reply it must get."""
        replies = await self.say(chat_id, text, **kwargs)
        assert len(replies) == 1, [r.text for r in replies]
        return replies[0]


@asynccontextmanager
async def running_bot(
    server: LocalBotApi,
    data_dir: Path,
    clock: Clock = utc_now,
    service: MarketService | None = None,
    **changes: Any,
) -> AsyncIterator[Harness]:
    """Build the bot on ``data_dir`` (settings ``changes`` applied) and run it.

    ``service`` replaces the market service the settings describe (e.g. one with a test clock).
    """
    settings = make_settings(data_dir, **changes)
    service = service or MarketService.from_settings(settings.domain)
    application = build_application(settings, service, base_url=server.base_url, clock=clock)
    handled = HandledUpdates()
    application.add_handler(TypeHandler(Update, handled.mark), group=HANDLED_GROUP)
    async with running(application, poll_timeout=2):
        yield Harness(server, application, data_dir, handled)


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    """Start a local Bot API server for one test."""
    async with LocalBotApi(token=TOKEN, bot_username=BOT_USERNAME) as api:
        yield api


@pytest.fixture
def data_dir(tmp_path: Path, demo_store: Path) -> Path:
    """Return a data dir with the demo store already refreshed."""
    return make_data_dir(tmp_path, demo_store)


@pytest.fixture
async def bot(server: LocalBotApi, data_dir: Path) -> AsyncIterator[Harness]:
    """Run the real bot application against the local server."""
    async with running_bot(server, data_dir) as harness:
        yield harness

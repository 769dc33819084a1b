"""Build the bot: a python-telegram-bot Application wired to the market service and database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    LinkPreviewOptions,
    MenuButton,
    MenuButtonCommands,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, Defaults

from bot.chat.replies import render_bot
from bot.chat.routes import (
    admin_command_menu,
    command_menu,
    group_command_menu,
    register_handlers,
)
from bot.config import BotSettings
from bot.delivery.alert_push import AlertPush
from bot.delivery.briefing_push import BriefingPush, LabButton
from bot.delivery.flood_budget import flood_budget
from bot.delivery.outage import ApiHealth, WatchedRequest
from bot.delivery.outbox import OutboxLog
from bot.delivery.ratelimit import FloodLimiter
from bot.delivery.recap_push import RecapPush
from bot.delivery.sender import Sender
from bot.desk.chart_desk import ChartDesk
from bot.desk.lab_button import lab_button
from bot.desk.market_desk import MarketDesk
from bot.logs import protect_secret
from bot.services.context import CONTEXT_TYPES
from bot.services.hub import SERVICES_KEY, BotApplication, BotServices, get_services
from bot.services.jobs import start_jobs
from bot.store.chats import ChatStore
from bot.store.database import Database
from briefings import DEFAULT_LANGUAGE, LANGUAGES, Clock, MarketService, utc_now

log = logging.getLogger(__name__)

#: Updates the bot asks Telegram for (everything its handlers use).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def _push_lab_button(application: BotApplication) -> LabButton:
    """Return the daily push's Lab button maker (the bot's name is known once it started)."""

    def button(private: bool, lang: str) -> InlineKeyboardButton | None:
        settings = get_services(application).settings
        return lab_button(
            settings, private=private, bot_username=application.bot.username, lang=lang
        )

    return button


def build_application(
    bot_settings: BotSettings,
    service: MarketService,
    *,
    base_url: str | None = None,
    clock: Clock = utc_now,
    charts: ChartDesk | None = None,
) -> BotApplication:
    """Return the bot's Application (not started) with handlers, services and start-up hooks.

    ``base_url`` overrides ``TELEGRAM_API_URL`` (e.g. a local Bot API server in tests and
    benchmarks). ``bot.runtime.serve.serving`` (what ``marketbrief run`` uses) and ``running``
    call the start-up hook; a script that drives the application itself calls
    ``await start_services(app)`` after ``initialize()`` and ``await stop_services(app)`` at
    the end. ``charts`` replaces the default chart desk (e.g.
    one with a smaller cache in a benchmark).
    """
    protect_secret(bot_settings.token)
    health = ApiHealth()
    application = (
        ApplicationBuilder()
        .token(bot_settings.token)
        .base_url(base_url or bot_settings.api_url)
        .request(WatchedRequest(health, connection_pool_size=256))
        .get_updates_request(WatchedRequest(health, connection_pool_size=1))
        .rate_limiter(FloodLimiter(bot_settings.rate_limits, budget=flood_budget(bot_settings)))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(True)
        .post_init(start_services)
        .post_shutdown(stop_services)
        .build()
    )
    database = Database(bot_settings.database_path)
    chats = ChatStore(database)
    outbox = OutboxLog(database)
    desk = MarketDesk(service, clock)
    # One chart desk per application: its cache and thread pool serve handlers and broadcasts.
    charts = charts or ChartDesk()
    sender = Sender(application.bot, database, chats, outbox, charts=charts, clock=clock)
    application.bot_data[SERVICES_KEY] = BotServices(
        settings=bot_settings,
        clock=clock,
        desk=desk,
        database=database,
        chats=chats,
        outbox=outbox,
        sender=sender,
        briefings=BriefingPush(
            sender, desk, database, outbox, charts, lab_button=_push_lab_button(application)
        ),
        alerts=AlertPush(sender, desk, database, chats, outbox),
        recaps=RecapPush(sender, desk, database, outbox, chats),
        charts=charts,
        api_health=health,
    )
    register_handlers(application)
    return application


async def start_services(application: BotApplication) -> None:
    """Set the command menus and descriptions, schedule the jobs (before updates arrive)."""
    services = get_services(application)
    services.sender.keep_going = lambda: application.running
    await _set_command_menus(application, services.settings.admins)
    await _set_descriptions(application, simulated=services.desk.service.simulated)
    await _set_menu_button(application)
    await start_jobs(application)


async def stop_services(application: BotApplication) -> None:
    """Release the sender's claims, stop the chart pool and close the database."""
    services = get_services(application)
    services.sender.close()
    services.charts.close()
    services.database.close()


@asynccontextmanager
async def running(
    application: BotApplication, *, poll_timeout: float = 10.0
) -> AsyncIterator[BotApplication]:
    """Run the application with long polling inside ``async with`` (what run_polling does)."""
    await application.initialize()
    try:
        await start_services(application)
        await application.start()
        updater = application.updater
        if updater is None:
            raise RuntimeError("the application has no updater to poll with")
        await updater.start_polling(
            poll_interval=0.0,
            timeout=int(poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
            error_callback=polling_failed,
        )
        try:
            yield application
        finally:
            await updater.stop()
            await application.stop()
    finally:
        await stop_services(application)
        await application.shutdown()


async def _set_descriptions(application: BotApplication, *, simulated: bool) -> None:
    """Say on the empty-chat screen and the profile what the bot does (templates/bot)."""
    bot = application.bot
    try:
        for lang in LANGUAGES:
            # The default (no language_code) is English; each other language is set for its users.
            code = None if lang == DEFAULT_LANGUAGE else lang
            description = render_bot("description.txt.j2", lang, simulated=simulated).strip()
            short = render_bot("short_description.txt.j2", lang, simulated=simulated).strip()
            await bot.set_my_description(description, language_code=code)
            await bot.set_my_short_description(short, language_code=code)
    except TelegramError as exc:
        log.warning("could not set the bot's description: %s", exc)


def polling_failed(error: TelegramError) -> None:
    """Log a failed getUpdates at DEBUG (the updater's ``error_callback``)."""
    # What run_polling does with these: the error handler, which logs outages once.
    log.debug("polling failed: %s", error)


async def _set_menu_button(application: BotApplication) -> None:
    """Open the Lab from the menu button of private chats when it is served, else the commands."""
    page = get_services(application).settings.lab.page_url
    if page is None:
        button: MenuButton = MenuButtonCommands()
    else:
        label = render_bot("lab_button.txt.j2", DEFAULT_LANGUAGE).strip()
        button = MenuButtonWebApp(label, WebAppInfo(page))
    try:
        await application.bot.set_chat_menu_button(menu_button=button)
    except TelegramError as exc:
        log.warning("could not set the menu button: %s", exc)


async def _set_command_menus(application: BotApplication, admins: frozenset[int]) -> None:
    bot = application.bot
    # The default menu is English; users whose Telegram speaks another language get theirs.
    await bot.set_my_commands(command_menu(DEFAULT_LANGUAGE))
    others = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
    for lang in others:
        await bot.set_my_commands(command_menu(lang), language_code=lang)
    groups = BotCommandScopeAllGroupChats()
    await bot.set_my_commands(group_command_menu(DEFAULT_LANGUAGE), scope=groups)
    for lang in others:
        await bot.set_my_commands(group_command_menu(lang), scope=groups, language_code=lang)
    for admin in sorted(admins):
        try:
            scope = BotCommandScopeChat(admin)
            await bot.set_my_commands(admin_command_menu(DEFAULT_LANGUAGE), scope=scope)
            for lang in others:
                await bot.set_my_commands(admin_command_menu(lang), scope=scope, language_code=lang)
        except TelegramError as exc:
            # An admin who never opened a chat with the bot has no chat to scope a menu to.
            log.info("no /stats menu entry for admin %s: %s", admin, exc)


__all__ = [
    "ALLOWED_UPDATES",
    "BotApplication",
    "build_application",
    "running",
    "start_services",
    "stop_services",
]

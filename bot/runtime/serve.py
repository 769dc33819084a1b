"""Run the bot as a service: long polling or a webhook, the health endpoint, clean stops."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.runtime.app import ALLOWED_UPDATES, polling_failed, start_services, stop_services
from bot.runtime.health import bot_name, next_briefing
from bot.runtime.webconfig import ListenAddress, WebhookSettings
from bot.services.hub import BotApplication, get_services

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 10
WEB_EXTRA_MISSING = (
    "the webhook and /healthz (--health, MARKETBRIEF_HEALTH) need aiohttp, the web extra: add "
    "--extra web to uv sync (as deploy/marketbrief.service does), or pip install "
    "'marketbrief[web]'"
)


class WebExtraMissing(RuntimeError):
    """Raise when a webhook or /healthz is asked for without the ``web`` extra installed."""


def require_web(options: ServeOptions) -> None:
    """Raise WebExtraMissing early when ``options`` need an HTTP listener and aiohttp is absent."""
    if options.webhook is None and options.health is None:
        return
    try:
        import aiohttp  # noqa: F401
    except ModuleNotFoundError:
        raise WebExtraMissing(WEB_EXTRA_MISSING) from None


@dataclass(frozen=True)
class ServeOptions:
    """How updates arrive (webhook, else long polling) and where /healthz listens."""

    webhook: WebhookSettings | None = None
    health: ListenAddress | None = None
    """Polling mode only: in webhook mode /healthz shares the webhook's listener."""
    drop_pending_updates: bool = False
    poll_timeout: int = POLL_TIMEOUT_SECONDS


@asynccontextmanager
async def serving(
    application: BotApplication, options: ServeOptions
) -> AsyncIterator[web.AppRunner | None]:
    """Run the bot inside ``async with``; yield the HTTP runner (None without one).

    ``initialize()`` asks Telegram for the bot (getMe) first, so an unreachable Telegram or a
    rejected token raises before anything else starts.
    """
    with _outage_lines_muted():
        # A failed start is reported once by the caller ("cannot reach Telegram ..."), not
        # also as the start of an outage.
        try:
            await application.initialize()
        except BaseException:
            await application.bot.shutdown()  # PTB leaves the HTTP sessions open
            raise
    runner: web.AppRunner | None = None
    try:
        # Bind first: a busy address fails before any job starts. /healthz answers 503 until
        # the application runs.
        address = options.webhook.listen if options.webhook is not None else options.health
        if address is None and get_services(application).settings.lab.public_url is not None:
            log.warning(
                "MARKETBRIEF_PUBLIC_URL is set but nothing listens for the Rotation Lab: "
                "set MARKETBRIEF_HEALTH (or run with a webhook) to serve it"
            )
        if address is not None:
            try:
                from bot.runtime.web import build_web_app, start_web
            except ModuleNotFoundError as exc:
                if exc.name != "aiohttp":
                    raise
                raise WebExtraMissing(WEB_EXTRA_MISSING) from None
            runner = await start_web(build_web_app(application, options.webhook), address)
        await start_services(application)
        await application.start()
        try:
            await _start_updates(application, options)
            log.info(await startup_line(application, options))
            yield runner
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
    finally:
        if runner is not None:
            await runner.cleanup()
        await stop_services(application)
        await application.shutdown()


@contextmanager
def _outage_lines_muted() -> Iterator[None]:
    logger = logging.getLogger("bot.delivery.outage")

    def mute(record: logging.LogRecord) -> bool:
        return False

    logger.addFilter(mute)
    try:
        yield
    finally:
        logger.removeFilter(mute)


async def _start_updates(application: BotApplication, options: ServeOptions) -> None:
    webhook = options.webhook
    if webhook is not None:
        await application.bot.set_webhook(
            webhook.url,
            secret_token=webhook.secret,
            max_connections=webhook.max_connections,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=webhook.drop_pending_updates,
        )
        return
    updater = application.updater
    if updater is None:
        raise RuntimeError("the application has no updater to poll with")
    # start_polling deletes a webhook left from an earlier run in webhook mode.
    await updater.start_polling(
        poll_interval=0.0,
        timeout=options.poll_timeout,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=options.drop_pending_updates,
        error_callback=polling_failed,
    )


async def startup_line(application: BotApplication, options: ServeOptions) -> str:
    """Return the one line logged at start: the bot, its source, chats, next briefing, mode."""
    services = get_services(application)
    service = services.desk.service
    source = f"{service.source_name} (simulated)" if service.simulated else service.source_name
    chats = len(await services.database.run(services.chats.active))
    upcoming = await next_briefing(services, services.clock())
    when = (
        "no briefing scheduled"
        if upcoming is None
        else f"next briefing {upcoming.at:%Y-%m-%d %H:%M} {upcoming.schedule.time_zone}"
    )
    webhook = options.webhook
    if webhook is not None:
        secret = "generated" if webhook.secret_generated else "from TELEGRAM_WEBHOOK_SECRET"
        mode = f"webhook on {webhook.listen}, path {webhook.path}, secret set ({secret})"
    else:
        mode = "long polling"
        if options.health is not None:
            mode += f", health on {options.health}"
    return (
        f"{bot_name(application)} started: source {source}, {chats} subscribed chats, "
        f"{when}; {mode}"
    )


async def serve_until_stopped(application: BotApplication, options: ServeOptions) -> None:
    """Serve until SIGINT or SIGTERM (what a service manager sends), then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with serving(application, options):
            await stop.wait()
            log.info("stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)

"""Run and push: the bot commands of the console script that talk to Telegram.

Kept apart from ``bot.cli`` so the domain commands (``marketbrief brief``) do not pay for
importing python-telegram-bot and matplotlib.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys

from telegram.error import InvalidToken, NetworkError

from bot.runtime.app import build_application, stop_services
from bot.desk.chart_desk import share_the_gil_often
from bot.config import BotSettings, ConfigError
from bot.services.jobs import push_now
from bot.logs import configure_logging, protect_secret, redact
from bot.store.schema import SchemaError
from bot.delivery.sender import Outcome
from bot.runtime.serve import ServeOptions, WebExtraMissing, require_web, serve_until_stopped
from bot.services.hub import BotApplication, get_services
from bot.runtime.webconfig import health_address, webhook_settings
from briefings.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, warn_unknown_tickers
from briefings.cli import open_service as open_market_service
from briefings.service import MarketService
from briefings.storage import describe, probe_database


def bot_settings() -> BotSettings:
    """Read the bot's settings from the environment, or raise UsageError (exit code 2)."""
    try:
        settings = BotSettings.from_env(os.environ)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    protect_secret(settings.token)
    return settings


def open_application(settings: BotSettings, service: MarketService) -> BotApplication:
    """Build the application; a database from a newer bot is a UsageError, a damaged, locked
    or full one a one-line StorageFault naming the file."""
    try:
        return build_application(settings, service)
    except SchemaError as exc:
        raise UsageError(f"{settings.database_path}: {exc}") from None
    except sqlite3.Error as exc:
        raise describe(settings.database_path, exc) from None


def run_bot(args: argparse.Namespace) -> int:
    """Run the bot (long polling, or a webhook) until SIGINT or SIGTERM.

    The caller holds the data dir lock.
    """
    settings = bot_settings()
    try:
        webhook = webhook_settings(
            args.webhook_url,
            args.listen,
            max_connections=args.max_connections,
            drop_pending_updates=args.drop_pending_updates,
        )
        # With a webhook /healthz shares --listen; MARKETBRIEF_HEALTH is for long polling.
        health = health_address(args.health) if webhook is None else None
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if webhook is not None:
        protect_secret(webhook.secret)
        if args.health:
            raise UsageError("--health is for long polling; with a webhook /healthz is on --listen")
    options = ServeOptions(
        webhook=webhook, health=health, drop_pending_updates=args.drop_pending_updates
    )
    try:
        require_web(options)
    except WebExtraMissing as exc:
        raise UsageError(str(exc)) from None
    configure_logging(verbose=args.verbose)
    service = open_market_service(args)
    probe_database(settings.database_path)
    warn_unknown_tickers(service)
    share_the_gil_often()
    application = open_application(settings, service)
    try:
        asyncio.run(serve_until_stopped(application, options))
    except InvalidToken:
        raise UsageError("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
    except NetworkError as exc:
        print(
            redact(f"marketbrief: cannot reach Telegram at {settings.api_url}: {exc}"),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except OSError as exc:
        address = options.webhook.listen if options.webhook else options.health
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"marketbrief: cannot listen on {address}: {reason}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def push(args: argparse.Namespace) -> int:
    """Send the current session's briefing to every subscribed chat that lacks it."""
    settings = bot_settings()
    configure_logging(logging.WARNING)
    service = open_market_service(args)
    probe_database(settings.database_path)
    return asyncio.run(_push_async(settings, service, args.chat))


async def _push_async(settings: BotSettings, service: MarketService, chat_id: int | None) -> int:
    application = open_application(settings, service)
    try:
        await application.initialize()
        try:
            services = get_services(application)
            if chat_id is not None:
                subscription = await services.database.run(services.chats.subscription, chat_id)
                if subscription is None or not subscription.active:
                    print(f"marketbrief: chat {chat_id} is not subscribed", file=sys.stderr)
                    return EXIT_USAGE
            report = await push_now(application, None if chat_id is None else [chat_id])
        finally:
            await application.shutdown()
    except InvalidToken:
        raise UsageError("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
    except NetworkError as exc:
        print(redact(f"marketbrief: cannot reach {settings.api_url}: {exc}"), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        # Closes the HTTP connections even when initialize() failed (PTB leaves them open).
        await application.bot.shutdown()
        await stop_services(application)
    print(report.summary())
    unfinished = report.count(Outcome.PENDING) + report.count(Outcome.FAILED)
    return EXIT_FAILURE if report.error or unfinished else EXIT_OK

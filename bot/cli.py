"""The ``marketbrief`` console script: the domain commands plus run, chat and push."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv
from telegram.error import InvalidToken, NetworkError

from bot.app import ALLOWED_UPDATES, build_application, stop_services
from bot.charts import share_the_gil_often
from bot.config import BotSettings, ConfigError
from bot.delivery import Outcome
from bot.jobs import push_now
from bot.logs import configure_logging, protect_secret
from bot.services import get_services
from briefings.cli import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    OneLineErrorParser,
    UsageError,
    build_parser,
    run,
)
from briefings.cli import open_service as open_market_service
from briefings.service import MarketService


def _add_source(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument(
        "--source",
        metavar="S",
        default=default,
        help="demo, yfinance or csv:DIR (default: $MARKETBRIEF_SOURCE or yfinance)"
        if default is None
        else f"market data source (default: {default})",
    )


def add_bot_commands(commands: argparse._SubParsersAction[OneLineErrorParser]) -> None:
    """Add the Telegram sub-commands to the domain parser."""
    run_parser = commands.add_parser("run", help="run the Telegram bot (long polling)")
    _add_source(run_parser)
    run_parser.set_defaults(handler=_run)

    chat_parser = commands.add_parser(
        "chat", help="try the bot offline: type commands, read its replies (no token needed)"
    )
    _add_source(chat_parser, default="demo")
    chat_parser.set_defaults(handler=_chat)

    push_parser = commands.add_parser(
        "push", help="send the current session's briefing now to subscribed chats that lack it"
    )
    push_parser.add_argument("--chat", type=int, metavar="ID", help="only this chat")
    _add_source(push_parser)
    push_parser.set_defaults(handler=_push)


def bot_settings() -> BotSettings:
    """Read the bot's settings from the environment, or raise UsageError (exit code 2)."""
    try:
        settings = BotSettings.from_env(os.environ)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    protect_secret(settings.token)
    return settings


def _run(args: argparse.Namespace) -> int:
    settings = bot_settings()
    configure_logging()
    service = open_market_service(args)
    share_the_gil_often()
    application = build_application(settings, service)
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise UsageError("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
    except NetworkError as exc:
        print(f"marketbrief: cannot reach {settings.api_url}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _push(args: argparse.Namespace) -> int:
    settings = bot_settings()
    configure_logging(logging.WARNING)
    service = open_market_service(args)
    return asyncio.run(_push_async(settings, service, args.chat))


async def _push_async(settings: BotSettings, service: MarketService, chat_id: int | None) -> int:
    application = build_application(settings, service)
    try:
        await application.initialize()
        try:
            services = get_services(application)
            if chat_id is not None:
                subscription = services.subscriptions.get(chat_id)
                if subscription is None or not subscription.active:
                    print(f"marketbrief: chat {chat_id} is not subscribed", file=sys.stderr)
                    return EXIT_USAGE
            report = await push_now(application, None if chat_id is None else [chat_id])
        finally:
            await application.shutdown()
    except InvalidToken:
        raise UsageError("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
    except NetworkError as exc:
        print(f"marketbrief: cannot reach {settings.api_url}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        # Closes the HTTP connections even when initialize() failed (PTB leaves them open).
        await application.bot.shutdown()
        await stop_services(application)
    print(report.summary())
    unfinished = report.count(Outcome.PENDING) + report.count(Outcome.FAILED)
    return EXIT_FAILURE if report.error or unfinished else EXIT_OK


def _chat(args: argparse.Namespace) -> int:
    from bot.terminal_chat import run_terminal_chat

    return run_terminal_chat(args.source)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (reading a .env file first) and run the command."""
    load_dotenv(Path.cwd() / ".env", override=False)
    parser = build_parser(extra=add_bot_commands)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

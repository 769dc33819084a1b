"""The ``marketbrief`` console script: the domain commands plus run, chat and push."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv

from briefings.cli import (
    AddCommand,
    UsageError,
    build_parser,
    run,
)

#: What ``marketbrief chat`` needs besides the bot (the ``local`` extra).
LOCAL_API_MODULES = frozenset({"localapi", "aiohttp", "httpx"})
LOCAL_API_MISSING = (
    "marketbrief chat needs the local Bot API server; install it with "
    "pip install 'marketbrief[local]'"
)


def _add_source(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument(
        "--source",
        metavar="S",
        default=default,
        help="demo, yfinance or csv:DIR (default: $MARKETBRIEF_SOURCE or yfinance)"
        if default is None
        else f"market data source (default: {default})",
    )


def add_bot_commands(add_command: AddCommand) -> None:
    """Add the Telegram sub-commands to the domain parser."""
    run_parser = add_command("run", help="run the Telegram bot (long polling)")
    _add_source(run_parser)
    run_parser.set_defaults(handler=_run)

    chat_parser = add_command(
        "chat", help="try the bot offline: type commands, read its replies (no token needed)"
    )
    _add_source(chat_parser, default="demo")
    chat_parser.set_defaults(handler=_chat)

    push_parser = add_command(
        "push", help="send the current session's briefing now to subscribed chats that lack it"
    )
    push_parser.add_argument("--chat", type=int, metavar="ID", help="only this chat")
    _add_source(push_parser)
    push_parser.set_defaults(handler=_push)


def _run(args: argparse.Namespace) -> int:
    from bot.operations import run_bot

    return run_bot(args)


def _push(args: argparse.Namespace) -> int:
    from bot.operations import push

    return push(args)


def _chat(args: argparse.Namespace) -> int:
    try:
        import localapi  # first: without the extra this fails before PTB is imported
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in LOCAL_API_MODULES:
            raise UsageError(LOCAL_API_MISSING) from None
        raise
    del localapi
    from bot.terminal_chat import run_terminal_chat

    return run_terminal_chat(args.source)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (reading a .env file first) and run the command."""
    load_dotenv(Path.cwd() / ".env", override=False)
    parser = build_parser(extra=add_bot_commands)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

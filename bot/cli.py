"""The ``marketbrief`` console script: the domain commands plus run, chat and push."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from briefings import (
    EXIT_FAILURE,
    EXIT_OK,
    AddCommand,
    DataDirLock,
    Settings,
    UsageError,
    add_source_option,
    build_parser,
    run_command,
)

#: What ``marketbrief chat`` needs besides the bot (the ``local`` extra).
LOCAL_API_MODULES = frozenset({"localapi", "aiohttp", "httpx"})
LOCAL_API_MISSING = (
    "marketbrief chat needs the local Bot API server, the local extra: add --extra local to uv "
    "sync (the dev group has it), or pip install 'marketbrief[local]'"
)


def parse_chat_id(text: str) -> int:
    """Parse a Telegram chat id (an integer of at most 52 bits, negative for groups)."""
    try:
        chat_id = int(text)
    except ValueError:
        chat_id = 0
    if not 0 < abs(chat_id) < 2**52:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a chat id")
    return chat_id


def add_bot_commands(add_command: AddCommand) -> None:
    """Add the Telegram sub-commands to the domain parser."""
    run_parser = add_command(
        "run", help="run the Telegram bot (long polling, or a webhook with --webhook-url)"
    )
    add_source_option(run_parser)
    _add_serve_options(run_parser)
    run_parser.set_defaults(handler=_run)

    chat_parser = add_command(
        "chat", help="try the bot offline: type commands, read its replies (no token needed)"
    )
    add_source_option(chat_parser, default="demo")
    chat_parser.add_argument(
        "--group",
        action="store_true",
        help="play a group with an admin and a member (':as admin', ':as member' switch)",
    )
    chat_parser.set_defaults(handler=_chat)

    lab_parser = add_command(
        "lab", help="the Rotation Lab in a desktop browser: charts you can play (loopback, a token)"
    )
    add_source_option(lab_parser, default="demo")
    lab_parser.add_argument(
        "--listen",
        type=_listen_address,
        default="127.0.0.1:8765",
        metavar="HOST:PORT",
        help="where to listen (default 127.0.0.1:8765)",
    )
    lab_parser.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --listen address"
    )
    lab_parser.set_defaults(handler=_lab)

    push_parser = add_command(
        "push", help="send the current session's briefing now to subscribed chats that lack it"
    )
    push_parser.add_argument("--chat", type=parse_chat_id, metavar="ID", help="only this chat")
    add_source_option(push_parser)
    push_parser.set_defaults(handler=_push)

    backup_parser = add_command(
        "backup", help="copy the databases into a folder, safely while the bot runs"
    )
    backup_parser.add_argument("path", type=Path, metavar="PATH", help="the folder to write to")
    backup_parser.set_defaults(handler=_backup)

    health_parser = add_command(
        "health", help="ask the running bot's GET /healthz; exit 0 when healthy"
    )
    health_parser.add_argument(
        "address",
        nargs="?",
        metavar="HOST:PORT",
        help="where /healthz listens (default: $MARKETBRIEF_LISTEN with a webhook, else "
        "$MARKETBRIEF_HEALTH, else 127.0.0.1:8080)",
    )
    health_parser.set_defaults(handler=_health)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="receive updates by webhook at this public https URL; its path is the webhook "
        "path (default: $MARKETBRIEF_WEBHOOK_URL; unset: long polling)",
    )
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="webhook mode: where to listen, HOST:PORT or unix:PATH; /healthz is served here "
        "too (default: $MARKETBRIEF_LISTEN or 127.0.0.1:8080)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=40,
        metavar="N",
        help="webhook mode: at most N parallel connections from Telegram (1-100, default 40)",
    )
    parser.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="ignore the updates that arrived while the bot was down",
    )
    parser.add_argument(
        "--health",
        metavar="HOST:PORT",
        help="long polling: serve GET /healthz here (default: $MARKETBRIEF_HEALTH; unset: none)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also log the scheduler's lines for every job run"
    )


def _run(args: argparse.Namespace) -> int:
    # Two bots on one data directory would fight over getUpdates, so a second one exits at
    # once: the lock is taken before the Telegram stack is imported. `push` takes no lock.
    with DataDirLock(Settings.from_env().data_dir):
        from bot.runtime.operations import run_bot

        return run_bot(args)


def _push(args: argparse.Namespace) -> int:
    from bot.runtime.operations import push

    return push(args)


def _backup(args: argparse.Namespace) -> int:
    from bot.store.backup import BackupError, backup_databases

    try:
        report = backup_databases(Settings.from_env(), args.path)
    except BackupError as exc:
        print(f"marketbrief: backup failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    for copy in report.copied:
        print(f"{copy.source.name}: {copy.size_bytes / 1024:,.0f} KiB -> {copy.target}")
    for missed in report.not_copied:
        print(f"marketbrief: {missed.source.name} not backed up: {missed.reason}", file=sys.stderr)
    return EXIT_FAILURE if report.not_copied else EXIT_OK


def _health(args: argparse.Namespace) -> int:
    from bot.runtime.healthcheck import main as check

    return check([args.address] if args.address else [])


def _listen_address(text: str) -> object:
    from bot.runtime.webconfig import parse_listen

    try:
        return parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _lab(args: argparse.Namespace) -> int:
    try:
        from bot.runtime.lab_standalone import run_lab
    except ModuleNotFoundError as exc:
        if exc.name != "aiohttp":
            raise
        raise UsageError("marketbrief lab needs aiohttp: uv sync --extra web") from None
    from briefings import open_service

    return run_lab(open_service(args), args.listen, args.allow_remote)


def _chat(args: argparse.Namespace) -> int:
    try:
        import localapi  # first: without the extra this fails before PTB is imported
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in LOCAL_API_MODULES:
            raise UsageError(LOCAL_API_MISSING) from None
        raise
    del localapi
    from bot.runtime.terminal_chat import run_terminal_chat

    return run_terminal_chat(args.source, group=args.group)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (reading a .env file first) and run the command."""
    env_file = Path.cwd() / ".env"
    if env_file.is_file():
        # Imported only when there is a file to read: most runs have none and skip the import.
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)
    parser = build_parser(extra=add_bot_commands)
    return run_command(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the local Bot API until SIGTERM/SIGINT: python -m localapi --port 0 [--flood]."""

from __future__ import annotations

import argparse
import asyncio
import signal

from localapi.flood import FloodLimits
from localapi.server import DEFAULT_TOKEN, LocalBotApi


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m localapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help=f"default {DEFAULT_TOKEN}")
    parser.add_argument("--bot-username", default="marketbrief_bot")
    parser.add_argument("--flood", action="store_true", help="enforce Telegram's flood limits")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until a termination signal, printing the base URL once listening."""
    server = LocalBotApi(
        token=args.token,
        host=args.host,
        port=args.port,
        flood_limits=FloodLimits() if args.flood else None,
        bot_username=args.bot_username,
    )
    await server.start()
    print(f"listening on {server.base_url}", flush=True)
    print(f"bot token {server.token}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()

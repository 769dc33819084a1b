"""`marketbrief lab`: the Rotation Lab for a desktop browser, on loopback, with a one-time token."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import sys
from dataclasses import dataclass

from aiohttp import web

from bot.lab.gates import TokenGate
from bot.lab.server import LAB_PATH, add_lab_routes, lab_server
from bot.runtime.web import bound_port, start_web
from bot.runtime.webconfig import ListenAddress
from briefings import EXIT_FAILURE, EXIT_OK, LabViews, MarketService, UsageError


@dataclass(frozen=True)
class RunningLab:
    """A Lab listening: its runner (``cleanup()`` stops it), its URL with the one-time token."""

    runner: web.AppRunner
    url: str
    gate: TokenGate


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is localhost or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def start_lab(service: MarketService, address: ListenAddress) -> RunningLab:
    """Serve the Lab of ``service`` on ``address``; return its URL carrying the one-time token."""
    gate = TokenGate()
    app = web.Application(client_max_size=64 * 1024)
    add_lab_routes(app, lab_server(LabViews(service), gate))
    runner = await start_web(app, address)
    port = bound_port(runner) or address.port
    host = f"[{address.host}]" if ":" in address.host else address.host
    return RunningLab(runner, f"http://{host}:{port}{LAB_PATH}#token={gate.token}", gate)


def run_lab(service: MarketService, address: ListenAddress, allow_remote: bool) -> int:
    """Refresh, then serve the Lab until Ctrl-C or SIGTERM; print its URL on stdout."""
    if address.unix_path is not None:
        raise UsageError("lab --listen takes HOST:PORT, not a unix socket")
    if not allow_remote and not is_loopback(address.host):
        raise UsageError(
            f"lab listens on loopback only; {address.host} is not (add --allow-remote to mean it)"
        )
    report = service.refresh()
    if report.error is not None:
        print(f"warning: could not refresh ({report.error}); serving stored data", file=sys.stderr)
    return asyncio.run(_serve(service, address))


async def _serve(service: MarketService, address: ListenAddress) -> int:
    try:
        lab = await start_lab(service, address)
    except OSError as exc:
        print(f"cannot listen on {address}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"Rotation Lab: {lab.url}  (Ctrl-C stops it)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await lab.runner.cleanup()
    return EXIT_OK

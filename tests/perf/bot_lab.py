"""Benchmark: does the Lab slow the bot's replies? (uv run python -m tests.perf.bot_lab)

Prints figures, asserts nothing. The bot runs in a process of its own with its listener serving
the Lab, against a local Bot API in this process, which times /start from the moment the update
is queued to the moment the reply arrives.

- /start round trip, idle: median and p99 of sequential /start requests.
- /start round trip while people open the Lab: ``--visits`` new people a second, each with their
  own signed initData, fetch the page, its script, style sheet and words, then every view (nine
  requests, gzip accepted as a browser does). Target: loaded / idle <= 2.
- The first build of each view (cold) and a cached answer, through the bot's listener.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.config import BotSettings
from bot.lab.config import LabSettings
from bot.runtime.app import build_application, running
from bot.runtime.web import build_web_app, start_web
from bot.runtime.webconfig import ListenAddress
from briefings.config import Settings
from briefings.service import MarketService
from localapi import LocalBotApi
from tests.lab.signing import signed_init_data
from tests.perf.bot_charts import LIMITS, TOKEN, percentile, prepare_store, round_trip, summary

SAMPLES = 30
WARM_UP = 5
WAITER = 9000
#: A pause between /start samples, idle and loaded alike: they spread over the visits.
SAMPLE_GAP = 0.05
VIEWS = ("rrg-sectors", "rrg-pairs", "heatmap", "breadth", "pairs")
PAGE = ("/lab/", "/lab/static/app.js", "/lab/static/app.css", "/lab/api/words/en")


@dataclass(frozen=True)
class LabLoad:
    """What the Lab's visitors fetched while /start was timed."""

    requests: int
    bytes_received: int
    seconds: float


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def visit(http: aiohttp.ClientSession, base: str, user_id: int, counts: list[int]) -> None:
    """Open the Lab once as a new person: the page, its files and words, then every view."""
    headers = {
        "Authorization": f"tma {signed_init_data(token=TOKEN, user_id=user_id)}",
        "Accept-Encoding": "gzip",
    }
    for path in (*PAGE, *(f"/lab/api/view/{view}" for view in VIEWS)):
        async with http.get(base + path, headers=headers) as answer:
            body = await answer.read()
            counts[0] += 1
            counts[1] += len(body)


async def visitors(base: str, per_second: float, stop: asyncio.Event, counts: list[int]) -> None:
    """Start a new visit every 1 / ``per_second`` seconds until ``stop``; wait for them all."""
    visits: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        user_id = 1000
        while not stop.is_set():
            user_id += 1
            visits.append(asyncio.create_task(visit(http, base, user_id, counts)))
            await asyncio.sleep(1 / per_second)
        await asyncio.gather(*visits)


async def first_builds(base: str) -> tuple[dict[str, float], float]:
    """Return each view's first answer time (built), and a cached answer's median."""
    headers = {"Authorization": f"tma {signed_init_data(token=TOKEN, user_id=1)}"}
    cold: dict[str, float] = {}
    async with aiohttp.ClientSession() as http:
        for view in VIEWS:
            started = time.perf_counter()
            async with http.get(f"{base}/lab/api/view/{view}", headers=headers) as answer:
                await answer.read()
            cold[view] = time.perf_counter() - started
        cached = []
        for _ in range(20):
            started = time.perf_counter()
            async with http.get(f"{base}/lab/api/view/rrg-sectors", headers=headers) as answer:
                await answer.read()
            cached.append(time.perf_counter() - started)
    return cold, statistics.median(cached)


async def measure(data_dir: Path, per_second: float) -> None:
    """Start the bot (its own process), then time /start idle and while the Lab is loaded."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with LocalBotApi(token=TOKEN) as server:
        serve_args = ["--serve", server.base_url, str(data_dir), str(port)]
        bot = subprocess.Popen([sys.executable, "-m", "tests.perf.bot_lab", *serve_args])
        try:
            server.add_user(WAITER)
            server.add_chat(WAITER, "private")
            await round_trip(server, WAITER, "/help")  # the bot is up and polling
            cold, cached = await first_builds(base)
            for _ in range(WARM_UP):
                await round_trip(server, WAITER, "/start")
            idle = []
            for _ in range(SAMPLES):
                idle.append(await round_trip(server, WAITER, "/start"))
                await asyncio.sleep(SAMPLE_GAP)
            stop, counts = asyncio.Event(), [0, 0]
            started = time.perf_counter()
            load_task = asyncio.create_task(visitors(base, per_second, stop, counts))
            await asyncio.sleep(0.5)
            loaded = []
            for _ in range(SAMPLES):
                loaded.append(await round_trip(server, WAITER, "/start"))
                await asyncio.sleep(SAMPLE_GAP)
            stop.set()
            await load_task
            load = LabLoad(counts[0], counts[1], time.perf_counter() - started)
        finally:
            bot.send_signal(signal.SIGTERM)
            await asyncio.to_thread(bot.wait, 30)
    print("bot in its own process, its listener serving the Lab; demo market")
    print(
        "  first answer of each view (built once): "
        + ", ".join(f"{view} {seconds * 1e3:.0f} ms" for view, seconds in cold.items())
    )
    print(f"  a cached view: median {cached * 1e3:.1f} ms")
    print(f"  /start idle:                          {summary(idle)}")
    print(f"  /start, {per_second:g} Lab visits a second: {summary(loaded)}")
    print(
        f"  Lab load meanwhile: {load.requests} requests, {load.bytes_received / 1e6:.1f} MB "
        f"compressed in {load.seconds:.1f} s ({load.requests / load.seconds:.0f} requests/s)"
    )
    ratio_median = statistics.median(loaded) / statistics.median(idle)
    ratio_p99 = percentile(loaded, 0.99) / percentile(idle, 0.99)
    print(f"  loaded / idle: median {ratio_median:.2f}x, p99 {ratio_p99:.2f}x (target <= 2x)")


async def serve(api_url: str, data_dir: Path, port: int) -> None:
    """Run the bot and its listener with the Lab until SIGTERM."""
    settings = BotSettings(
        token=TOKEN,
        domain=Settings(data_dir=data_dir, source="demo"),
        rate_limits=LIMITS,
        lab=LabSettings(public_url="https://lab.example.org"),
    )
    service = MarketService.from_settings(settings.domain)
    application = build_application(settings, service, base_url=api_url)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with running(application, poll_timeout=10):
        runner = await start_web(build_web_app(application, None), ListenAddress("127.0.0.1", port))
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with --serve, the bot process it starts)."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bot_lab")
    parser.add_argument("--serve", nargs=3, metavar=("API_URL", "DATA_DIR", "PORT"))
    parser.add_argument(
        "--visits", type=float, default=10.0, help="new Lab visits a second (default 10)"
    )
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve[0], Path(args.serve[1]), int(args.serve[2])))
        return
    data_dir, session = prepare_store()
    print(f"demo market refreshed through {session}")
    asyncio.run(measure(data_dir, args.visits))


if __name__ == "__main__":
    main()

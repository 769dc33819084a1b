"""Benchmark: do charts slow the bot's other replies? (uv run python -m tests.perf.bot_charts)

Prints figures, asserts nothing. The bot runs in a process of its own (as in production) against
a local Bot API in this process, which stands in for Telegram and times the round trips: from
the moment an update is queued to the moment the bot's reply arrives.

- /start round trip, idle: median and p99 of sequential /start requests.
- /start round trip while ten uncached charts are drawn: ten people each ask for a different
  chart at once (every sector window, both RRGs, the pairs), then /start is timed until those
  charts are all sent; repeated until there are enough samples. The bot's chart cache holds a
  single chart here, so every round of ten starts uncached. Target: loaded / idle <= 2.
- Chart render times in this process, cold (chart data, drawing, PNG) and from a warm cache,
  and the /chart round trip through the bot, cold and cached.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from bot.runtime.app import build_application, running
from bot.desk.chart_desk import ChartDesk, share_the_gil_often
from bot.config import BotSettings, RateLimits
from briefings.charts import CHART_KINDS, ChartCache, cached_chart, render_chart
from briefings.config import Settings
from briefings.service import MarketService
from localapi import LocalBotApi

TOKEN = "123456789:AAHlocalPerfTokenForMarketbriefBot0001"
#: Relaxed flood limits: the benchmark times the bot, not Telegram's per-chat pacing.
LIMITS = RateLimits(overall_per_second=1000, per_chat_per_second=1000, per_chat_burst=1000)
SAMPLES = 30
WARM_UP = 5
CHART_REQUESTS = (
    *(f"/chart sectors {window}" for window in ("1D", "1W", "MTD", "1M", "3M", "YTD", "1Y")),
    "/rrg sectors",
    "/rrg pairs",
    "/chart pairs",
)
WAITER, FIRST_ASKER = 9000, 9100
REPLY_TIMEOUT = 60.0


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile: the ceil(share * n)-th smallest value."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def summary(values: list[float]) -> str:
    """Return "median x ms, p99 y ms (n samples)"."""
    return (
        f"median {statistics.median(values) * 1e3:6.1f} ms, "
        f"p99 {percentile(values, 0.99) * 1e3:6.1f} ms ({len(values)} samples)"
    )


async def round_trip(server: LocalBotApi, chat: int, text: str) -> float:
    """Send ``text`` to the bot and return the seconds until its first reply arrives."""
    seen = len(server.bot_messages(chat))
    started = time.perf_counter()
    server.send_text(chat, chat, text)
    await server.wait_for_messages(chat, seen + 1, REPLY_TIMEOUT)
    return time.perf_counter() - started


def photos_sent(server: LocalBotApi, chats: list[int]) -> int:
    """Return how many photos the bot has sent to ``chats``."""
    return sum(1 for chat in chats for m in server.bot_messages(chat) if m.kind == "photo")


async def loaded_round_trips(server: LocalBotApi, askers: list[int]) -> tuple[list[float], int]:
    """Time /start while rounds of ten uncached chart requests are in flight; return the rounds."""
    samples: list[float] = []
    rounds = 0
    while len(samples) < SAMPLES:
        rounds += 1
        before = photos_sent(server, askers)
        for chat, text in zip(askers, CHART_REQUESTS, strict=True):
            server.send_text(chat, chat, text)
        await asyncio.sleep(0.02)  # the chart requests reach the bot before the first /start
        while len(samples) < SAMPLES:
            elapsed = await round_trip(server, WAITER, "/start")
            if photos_sent(server, askers) - before >= len(CHART_REQUESTS):
                break  # the charts finished during this round trip: not a loaded sample
            samples.append(elapsed)
        deadline = time.monotonic() + REPLY_TIMEOUT
        while photos_sent(server, askers) - before < len(CHART_REQUESTS):
            if time.monotonic() > deadline:
                raise TimeoutError("the charts of a round were not all sent")
            await asyncio.sleep(0.05)
    return samples, rounds


def timed(action: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``action`` in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def render_times(data_dir: Path) -> None:
    """Print each chart kind's cold render time and its lookup time in a warm cache."""
    service = MarketService.from_settings(Settings(data_dir=data_dir, source="demo"))
    snapshot = service.snapshot()
    render_chart(snapshot, "sectors")  # fonts load once, outside the timings
    cache = ChartCache()
    print(f"\nchart render times in-process, session {snapshot.briefing.as_of}")
    print("  (median of 3 cold renders, of 200 cached lookups)")
    for kind in CHART_KINDS:
        cold = timed(partial(render_chart, snapshot, kind), repeat=3)
        cached_chart(cache, snapshot, kind)
        warm = timed(partial(cached_chart, cache, snapshot, kind), repeat=200)
        print(f"  {kind:12s} cold {cold * 1e3:6.0f} ms   cached {warm * 1e6:6.1f} us")


def prepare_store() -> tuple[Path, date]:
    """Return a data dir whose demo store holds the last completed session, and that session."""
    data_dir = Path(tempfile.mkdtemp(prefix="marketbrief-perf-"))
    report = MarketService.from_settings(Settings(data_dir=data_dir, source="demo")).refresh()
    if report.error:
        raise RuntimeError(report.error)
    return data_dir, report.through


async def measure(data_dir: Path) -> None:
    """Start the bot in its own process against a local Bot API here and time round trips."""
    async with LocalBotApi(token=TOKEN) as server:
        serve_args = ["--serve", server.base_url, str(data_dir)]
        bot = subprocess.Popen([sys.executable, "-m", "tests.perf.bot_charts", *serve_args])
        try:
            askers = [FIRST_ASKER + i for i in range(len(CHART_REQUESTS))]
            for chat in (WAITER, *askers):
                server.add_user(chat)
                server.add_chat(chat, "private")
            await round_trip(server, WAITER, "/help")  # the bot is up and polling
            for _ in range(WARM_UP):
                await round_trip(server, WAITER, "/start")
            idle = [await round_trip(server, WAITER, "/start") for _ in range(SAMPLES)]
            loaded, rounds = await loaded_round_trips(server, askers)
            cold_chart = await round_trip(server, askers[0], "/chart sectors 1W")
            cached = [await round_trip(server, askers[0], "/chart sectors 1W") for _ in range(10)]
        finally:
            bot.send_signal(signal.SIGTERM)
            # Waited for off the loop: the bot's last getUpdates needs this server to answer.
            await asyncio.to_thread(bot.wait, 30)
    ratio_median = statistics.median(loaded) / statistics.median(idle)
    ratio_p99 = percentile(loaded, 0.99) / percentile(idle, 0.99)
    print("bot in its own process, local Bot API here; demo market")
    print(f"  /start idle:                          {summary(idle)}")
    print(f"  /start with 10 uncached charts drawn: {summary(loaded)} over {rounds} rounds")
    print(f"  loaded / idle: median {ratio_median:.2f}x, p99 {ratio_p99:.2f}x (target <= 2x)")
    print(
        f"  /chart round trip: cold {cold_chart * 1e3:.0f} ms, "
        f"cached median {statistics.median(cached) * 1e3:.1f} ms"
    )


async def serve(api_url: str, data_dir: Path) -> None:
    """Run the bot until SIGTERM, with a one-chart cache so every round of ten is uncached."""
    settings = BotSettings(
        token=TOKEN, domain=Settings(data_dir=data_dir, source="demo"), rate_limits=LIMITS
    )
    service = MarketService.from_settings(settings.domain)
    share_the_gil_often()  # as `marketbrief run` does
    charts = ChartDesk(ChartCache(max_entries=1))
    application = build_application(settings, service, base_url=api_url, charts=charts)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with running(application, poll_timeout=10):
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with --serve, the bot process it starts)."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bot_charts")
    parser.add_argument("--serve", nargs=2, metavar=("API_URL", "DATA_DIR"))
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve[0], Path(args.serve[1])))
        return
    data_dir, session = prepare_store()
    print(f"demo market refreshed through {session}")
    asyncio.run(measure(data_dir))
    render_times(data_dir)


if __name__ == "__main__":
    main()

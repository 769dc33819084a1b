"""Shared set-up of the bot benchmarks: the demo market, a local Bot API, the running bot."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.runtime.app import build_application, running
from bot.config import BotSettings, RateLimits
from bot.services.hub import BotApplication, get_services
from briefings.config import Settings
from briefings.service import MarketService
from localapi import FloodLimits, LocalBotApi

TOKEN = "123456789:AAHlocalBenchTokenForMarketbriefBot01"
BOT_USERNAME = "marketbrief_bot"
#: How long a getUpdates long poll waits; short so the bot stops quickly at the end.
POLL_TIMEOUT = 2.0
#: How long the bot may take for its start-up refresh and catch-up before measuring begins.
STARTUP_TIMEOUT = 60.0


def demo_data_dir(root: Path) -> Path:
    """Return ``root/data`` holding the demo market's price store, refreshed through today."""
    data_dir = root / "data"
    service = MarketService.from_settings(Settings(data_dir=data_dir, source="demo"))
    report = service.refresh()
    if report.error is not None:
        raise RuntimeError(f"the demo refresh failed: {report.error}")
    return data_dir


def bench_settings(data_dir: Path, rate_limits: RateLimits) -> BotSettings:
    """Return bot settings on the demo source; no catch-up, so start-up sends nothing."""
    return BotSettings(
        token=TOKEN,
        domain=Settings(data_dir=data_dir, source="demo"),
        rate_limits=rate_limits,
        catchup=timedelta(0),
    )


@asynccontextmanager
async def local_api(flood_limits: FloodLimits | None = None) -> AsyncIterator[LocalBotApi]:
    """Run a local Bot API server (flood control enforced when ``flood_limits`` is given)."""
    async with LocalBotApi(
        token=TOKEN, bot_username=BOT_USERNAME, flood_limits=flood_limits
    ) as server:
        yield server


@asynccontextmanager
async def running_bot(
    server: LocalBotApi,
    settings: BotSettings,
    prepare: Callable[[BotApplication], None] = lambda application: None,
) -> AsyncIterator[BotApplication]:
    """Build the real bot, let ``prepare`` adjust it, run it and wait for its start-up job."""
    service = MarketService.from_settings(settings.domain)
    application = build_application(settings, service, base_url=server.base_url)
    prepare(application)
    async with running(application, poll_timeout=POLL_TIMEOUT):
        await asyncio.wait_for(get_services(application).startup_complete.wait(), STARTUP_TIMEOUT)
        yield application


@contextmanager
def busy_processes(count: int) -> Iterator[None]:
    """Run ``count`` CPU-bound processes (a busy loop each) for the duration of the block."""
    command = [sys.executable, "-c", "while True: pass"]
    processes = [subprocess.Popen(command) for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Spread:
    """The median and the 99th percentile of a sample, in seconds."""

    median: float
    p99: float
    count: int


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile: the value at rank ceil(share * n) (1-based)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def spread(values: Sequence[float]) -> Spread:
    """Return the median (mean of the middle two for an even count) and nearest-rank p99."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Spread(median=median, p99=percentile(ordered, 0.99), count=len(ordered))

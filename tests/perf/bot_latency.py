"""Benchmark: /rotation round trip against a bare echo handler, through the real bot.

Run: uv run python -m tests.perf.bot_latency [--requests 200] [--breakdown]
Prints figures, asserts nothing: machines are noisy, so compare the ratios within one run.

A local Bot API server (no flood limits) and the real Application (demo market, polling) run in
one event loop. A user message is injected with ``send_text``; each round trip has two ends on
the same monotonic clock: "sent" when the bot's sendMessage request reaches the server (the
bot's own cost) and "recorded" when the server has stored the reply (adds the local server's
HTML parsing, which grows with the message: a /rotation table costs it more than an echo).
The bot's rate limiter is relaxed so pacing never adds waits. ``/echo`` is registered by this
benchmark only and replies with the same text through the same send path (``send_html``), so
the difference is what /rotation does per message.
Target: /rotation ÷ echo at most 1.2x at the median and at p99 (analytics precomputed).
``--breakdown`` then times, on the running bot, each step /rotation takes per message.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler, ContextTypes

from bot.chat.keyboards import window_keyboard
from bot.chat.replies import send_html
from bot.config import RateLimits
from bot.desk.buttons import View
from bot.services.hub import BotApplication, get_services
from briefings.render.views import render_rotation
from localapi import LocalBotApi
from tests.perf._harness import (
    Spread,
    bench_settings,
    demo_data_dir,
    local_api,
    running_bot,
    spread,
)

ROTATION = "/rotation"
ECHO = "/echo"
#: Runs before the bot's own handlers (group 0); the handler stops the update there, so the
#: bot's unknown-command fallback never answers /echo as well.
ECHO_GROUP = -1
#: High enough that the bot's flood limiter never makes a reply wait.
RELAXED_LIMITS = RateLimits(
    overall_per_second=10_000, per_chat_per_second=10_000, per_chat_burst=10_000
)
#: Requests go round these private chats.
CHATS = tuple(range(5001, 5017))
TARGET_RATIO = 1.2
REPLY_TIMEOUT = 30.0
BREAKDOWN_REPEAT = 200


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the message's own text, then stop the update (no other handler runs)."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await send_html(update, html.escape(message.text))
    raise ApplicationHandlerStop


def add_echo(application: BotApplication) -> None:
    """Register /echo on the application (this benchmark only)."""
    application.add_handler(CommandHandler(ECHO.removeprefix("/"), echo), group=ECHO_GROUP)


@dataclass(frozen=True)
class RoundTrip:
    """Seconds from injecting a user message until the reply was sent and recorded."""

    sent: float
    recorded: float


async def round_trip(server: LocalBotApi, chat_id: int, text: str) -> RoundTrip:
    """Inject ``text`` from the chat's user and time the bot's (checked) reply."""
    seen = len(server.bot_messages(chat_id))
    start = time.monotonic()
    server.send_text(chat_id, chat_id, text)
    messages = await server.wait_for_messages(chat_id, seen + 1, REPLY_TIMEOUT)
    reply = messages[seen]
    if text == ROTATION and reply.reply_markup is None:
        raise RuntimeError(f"/rotation answered without its window buttons: {reply.shown_text!r}")
    if text.startswith(ECHO) and reply.text != html.escape(text):
        raise RuntimeError(f"/echo answered {reply.text!r} to {text!r}")
    # The server logs a call right after storing its message, before waiters wake.
    # /rotation answers with a rich message (a native table), /echo with a plain one.
    request = max(
        (
            call
            for method in ("sendMessage", "sendRichMessage")
            for call in server.calls(method)
            if str(call.params.get("chat_id")) == str(chat_id) and call.status == 200
        ),
        key=lambda call: call.at,
    )
    return RoundTrip(sent=request.at - start, recorded=reply.sent_at - start)


@dataclass(frozen=True)
class CommandLatency:
    """One command's round trips to both ends."""

    sent: Spread
    recorded: Spread

    @classmethod
    def of(cls, trips: Sequence[RoundTrip]) -> CommandLatency:
        """Summarize round trips."""
        return cls(
            sent=spread([t.sent for t in trips]), recorded=spread([t.recorded for t in trips])
        )


@dataclass(frozen=True)
class Ratios:
    """/rotation ÷ echo at the median and at p99."""

    median: float
    p99: float

    @classmethod
    def of(cls, numerator: Spread, denominator: Spread) -> Ratios:
        """Return numerator ÷ denominator, statistic by statistic."""
        return cls(
            median=numerator.median / denominator.median, p99=numerator.p99 / denominator.p99
        )


@dataclass(frozen=True)
class LatencyReport:
    """Round trips of /rotation and /echo measured in one run."""

    rotation: CommandLatency
    echo: CommandLatency

    @property
    def sent(self) -> Ratios:
        """Return /rotation ÷ echo up to the reply's request reaching the server."""
        return Ratios.of(self.rotation.sent, self.echo.sent)

    @property
    def recorded(self) -> Ratios:
        """Return /rotation ÷ echo up to the server having stored the reply."""
        return Ratios.of(self.rotation.recorded, self.echo.recorded)


async def measure(server: LocalBotApi, requests: int, warmup: int, gap: float) -> LatencyReport:
    """Time ``requests`` of each command, interleaved (order alternating), after a warm-up."""
    for chat_id in CHATS:
        server.add_user(chat_id, first_name=f"Reader {chat_id}")
        server.add_chat(chat_id, "private", title=f"Reader {chat_id}")
    for index in range(warmup):
        chat_id = CHATS[index % len(CHATS)]
        await round_trip(server, chat_id, ROTATION)
        await round_trip(server, chat_id, f"{ECHO} warm-up {index}")
    rotation: list[RoundTrip] = []
    echoes: list[RoundTrip] = []
    for index in range(requests):
        chat_id = CHATS[index % len(CHATS)]
        echo_text = f"{ECHO} {index}"
        order = (ROTATION, echo_text) if index % 2 == 0 else (echo_text, ROTATION)
        for text in order:
            # A short pause lets the previous reply's tail (PTB's bookkeeping) finish first.
            await asyncio.sleep(gap)
            trip = await round_trip(server, chat_id, text)
            (rotation if text == ROTATION else echoes).append(trip)
    return LatencyReport(rotation=CommandLatency.of(rotation), echo=CommandLatency.of(echoes))


async def median_seconds(step: Callable[[], Awaitable[object] | object], repeat: int) -> float:
    """Return the median wall time of ``step`` (awaited when it returns an awaitable)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        if isinstance(result, Awaitable):
            await result
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def breakdown(application: BotApplication, repeat: int) -> list[tuple[str, float]]:
    """Time the steps the /rotation handler takes per message, on the running bot."""
    desk = get_services(application).desk
    briefing = (await desk.snapshot()).briefing
    steps: list[tuple[str, Callable[[], Awaitable[object] | object]]] = [
        ("desk.freshness()    [thread hop, 2 SQLite opens]", desk.freshness),
        ("desk.ensure_current() [freshness + calendar]", desk.ensure_current),
        ("desk.snapshot()     [ensure_current + hop + 1 open]", desk.snapshot),
        ("render_rotation(briefing, MTD, html)", lambda: render_rotation(briefing, "MTD", "html")),
        ("window_keyboard(rotation, MTD)", lambda: window_keyboard(View.ROTATION, "MTD")),
        ("asyncio.to_thread(no-op)   [reference]", lambda: asyncio.to_thread(lambda: None)),
    ]
    return [(name, await median_seconds(step, repeat)) for name, step in steps]


async def run(requests: int, warmup: int, gap: float, show_breakdown: bool) -> LatencyReport:
    """Start the server and the bot on a fresh demo store, measure, and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(demo_data_dir(Path(tmp)), RELAXED_LIMITS)
        async with local_api() as server, running_bot(server, settings, add_echo) as application:
            report = await measure(server, requests, warmup, gap)
            steps = await breakdown(application, BREAKDOWN_REPEAT) if show_breakdown else []
    print_report(report, requests, warmup)
    if steps:
        print(f"\n/rotation's per-message steps on the running bot (median of {BREAKDOWN_REPEAT}):")
        for name, seconds in steps:
            print(f"  {name:52s} {seconds * 1e3:6.2f} ms")
    return report


def print_report(report: LatencyReport, requests: int, warmup: int) -> None:
    """Print medians, p99s and the ratios against the target."""
    print(f"round trip from the user's message ({requests} per command, interleaved, after")
    print(f"{warmup} warm-up pairs; local Bot API, demo market, relaxed bot rate limits)")
    print(f"  {'':10s} {'sent median':>12s} {'p99':>9s} {'recorded median':>16s} {'p99':>9s}")
    for name, latency in ((ROTATION, report.rotation), (ECHO, report.echo)):
        print(
            f"  {name:10s} {latency.sent.median * 1e3:9.2f} ms {latency.sent.p99 * 1e3:6.2f} ms"
            f" {latency.recorded.median * 1e3:13.2f} ms {latency.recorded.p99 * 1e3:6.2f} ms"
        )
    for end, ratios in (("sent", report.sent), ("recorded", report.recorded)):
        for label, ratio in (("median", ratios.median), ("p99", ratios.p99)):
            verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
            print(
                f"  /rotation ÷ echo, {end:8s} {label:6s} {ratio:5.2f}x"
                f"   target <= {TARGET_RATIO}x  {verdict}"
            )


def main(argv: Sequence[str] | None = None) -> LatencyReport:
    """Parse the command line, run the benchmark and return its report."""
    parser = argparse.ArgumentParser(description="Time /rotation against a bare echo handler.")
    parser.add_argument("--requests", type=int, default=200, help="round trips per command")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up pairs, not counted")
    parser.add_argument(
        "--gap", type=float, default=0.005, help="pause before each request, seconds"
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="then time /rotation's per-message steps"
    )
    options = parser.parse_args(argv)
    return asyncio.run(run(options.requests, options.warmup, options.gap, options.breakdown))


if __name__ == "__main__":
    main()

"""Benchmark: a paid broadcast (1,000 messages a second) by one or more push processes.

Run: uv run python -m tests.perf.paid_broadcast [--chats 20000] [--processes 2]
     [--paid-rate 1000] [--concurrency N] [--server stub|local] [--busy 2] [--client httpx]
Prints figures, asserts nothing: machines are noisy, so compare the ratios within one run.

The chats are subscribed in a fresh bot database on the demo market. A server process enforces
Telegram's flood limits (``localapi.flood``: 1,000/s with ``allow_paid_broadcast``, 30/s
without, ~1/s per private chat, 20/min per group) and answers 429 beyond them: by default the
minimal stub (``tests.perf.stub_api``), as the full local server is the bottleneck at this
rate on a small machine; ``--server local`` runs ``python -m localapi --flood`` instead. Then
``--processes`` push processes share the one broadcast, each with
``MARKETBRIEF_PAID_BROADCAST_RATE`` = paid rate / processes; the outbox log's claims keep
them from sending a chat's briefing twice. Each process is the real push path (the bot's
application and ``push_now``, what ``marketbrief push`` runs) and reports the CPU it spent
on the broadcast. Figures: deliveries per second between the server's first and last
accepted message, CPU per message (push processes; the server's apart), 429s, chats that lack
a part (lost) and chats with a part twice (duplicated). ``--busy N`` runs N CPU-bound
processes beside it, as on a shared machine; ``--client httpx`` makes the push processes use
PTB's httpx client, as when aiohttp is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.store.chats import ChatStore
from bot.config import BotSettings
from bot.store.database import Database
from bot.services.jobs import push_now
from bot.services.hub import get_services
from tests.perf._harness import TOKEN, busy_processes, demo_data_dir
from tests.perf.broadcast import Audience, quiet_schedule

TARGET_SHARE = 0.9
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class PaidResult:
    """What one paid broadcast did, as counted by the server and the push processes."""

    chats: int
    processes: int
    paid_rate: float
    parts: int
    delivered: int
    paid: int
    seconds: float
    rejections: int
    lost: int
    duplicated: int
    push_cpu: float
    server_cpu: float
    wall: float

    @property
    def per_second(self) -> float:
        """Return accepted messages per second between the first and the last."""
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def share(self) -> float:
        """Return the delivery rate ÷ the paid rate."""
        return self.per_second / self.paid_rate


def subscribe_all(data_dir: Path, audience: Audience) -> None:
    """Subscribe every chat in the bot's database (what /subscribe stores)."""
    database = Database(data_dir / "bot.sqlite3")
    try:
        chats = ChatStore(database)
        now = datetime.now(UTC)
        schedule = quiet_schedule(now)
        for chat_ids, chat_type in ((audience.private, "private"), (audience.groups, "supergroup")):
            for chat_id in chat_ids:
                chats.subscribe(
                    chat_id,
                    chat_type=chat_type,
                    title=None,
                    thread_id=None,
                    schedule=schedule,
                    subscribed_by=None,
                    now=now,
                )
    finally:
        database.close()


def start_server(kind: str) -> tuple[subprocess.Popen[str], str]:
    """Start the server process; return it and its root URL."""
    if kind == "stub":
        command = [sys.executable, "-m", "tests.perf.stub_api"]
    else:
        command = [sys.executable, "-m", "localapi", "--port", "0", "--flood", "--token", TOKEN]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the {kind} server did not start: {line!r}")
    url = line.removeprefix("listening on ").strip()
    return process, url.removesuffix("/bot")


def add_chats_to_local_server(url: str, audience: Audience) -> None:
    """Create the chats on the full local server (the stub takes any chat id)."""
    from localapi import LocalApiControl

    with LocalApiControl(url) as control:
        for chat_id in audience.private:
            control.add_chat(chat_id, "private", title=f"Reader {chat_id}")
        for chat_id in audience.groups:
            control.add_chat(chat_id, "supergroup", title=f"Club {chat_id}")


def tally(url: str, kind: str, audience: Audience) -> dict[str, Any]:
    """Return delivered, paid, rejections, seconds and per-chat text counts from the server."""
    if kind == "stub":
        # No proxy handler: an HTTP(S)_PROXY in the environment must not capture 127.0.0.1.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{url}/_tally") as response:
            tallied: dict[str, Any] = json.load(response)
        return tallied
    from localapi import LocalApiControl

    with LocalApiControl(url) as control:
        messages = control.bot_messages()
        chats: dict[str, dict[str, int]] = {}
        for message in messages:
            texts = chats.setdefault(str(message["chat_id"]), {})
            text = message["text"] or ""
            texts[text] = texts.get(text, 0) + 1
        times = [m["sent_at"] for m in messages]
        return {
            "delivered": len(messages),
            "paid": control.paid_broadcasts(),
            "rejections": control.flood_rejections(),
            "seconds": max(times) - min(times) if times else 0.0,
            "chats": chats,
        }


def worker_environment(url: str, data_dir: Path, rate: float) -> dict[str, str]:
    """Return a push process's environment: the server, the data, its share of the rate."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": f"{url}/bot",
        "MARKETBRIEF_DATA_DIR": str(data_dir),
        "MARKETBRIEF_SOURCE": "demo",
        "MARKETBRIEF_PAID_BROADCAST_RATE": f"{rate:g}",
    }


def run(
    chats: int,
    processes: int,
    paid_rate: float,
    concurrency: int | None,
    server_kind: str,
    client: str = "aiohttp",
) -> PaidResult:
    """Subscribe ``chats``, let ``processes`` push processes broadcast, count the result."""
    audience = Audience.mixed(chats, 0.0)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = demo_data_dir(Path(tmp))
        subscribe_all(data_dir, audience)
        server, url = start_server(server_kind)
        try:
            if server_kind == "local":
                add_chats_to_local_server(url, audience)
            env = worker_environment(url, data_dir, paid_rate / processes)
            command = [sys.executable, "-m", "tests.perf.paid_broadcast", "--worker"]
            if concurrency is not None:
                command += ["--concurrency", str(concurrency)]
            command += ["--client", client]
            start = time.monotonic()
            workers = [
                subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(processes)
            ]
            reports = [json.loads(worker.communicate()[0].splitlines()[-1]) for worker in workers]
            wall = time.monotonic() - start
            counts = tally(url, server_kind, audience)
        finally:
            server.terminate()
            server.communicate()
        server_cpu = _children_cpu() - sum(r["total_cpu"] for r in reports)
    parts = max(r["parts"] for r in reports)
    received = counts["chats"]
    lost = sum(
        1
        for chat_id in audience.chat_ids
        if sum(1 for n in received.get(str(chat_id), {}).values() if n > 0) < parts
    )
    duplicated = sum(1 for texts in received.values() if any(n > 1 for n in texts.values()))
    result = PaidResult(
        chats=chats,
        processes=processes,
        paid_rate=paid_rate,
        parts=parts,
        delivered=counts["delivered"],
        paid=counts["paid"],
        seconds=counts["seconds"],
        rejections=counts["rejections"],
        lost=lost,
        duplicated=duplicated,
        push_cpu=sum(r["cpu"] for r in reports),
        server_cpu=server_cpu,
        wall=wall,
    )
    print_result(result, f"{server_kind} server, {client} client", reports, load_before)
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def print_result(
    result: PaidResult, server_kind: str, reports: Sequence[dict[str, Any]], load_before: float
) -> None:
    """Print the rate against the paid limit, CPU per message, 429s, losses and duplicates."""
    verdict = "ok" if result.share >= TARGET_SHARE else "MISSED"
    load_after = os.getloadavg()[0]
    print(
        f"paid broadcast of a {result.parts}-part briefing to {result.chats} chats by "
        f"{result.processes} push process(es), {result.paid_rate:g}/s paid rate, "
        f"{server_kind}"
    )
    print(
        f"  load average (1 min) before {load_before:.2f}, after {load_after:.2f}; "
        f"{os.cpu_count()} cores"
    )
    print(f"  wall time (with start-up) {result.wall:8.1f} s")
    print(f"  delivered           {result.delivered:8d} messages ({result.paid} paid)")
    print(f"  deliveries/s        {result.per_second:8.1f}    over {result.seconds:.1f} s")
    print(f"  rate ÷ paid rate    {result.share:8.3f}    target >= {TARGET_SHARE}  {verdict}")
    per_message = result.push_cpu / result.delivered * 1000 if result.delivered else 0.0
    server_per_message = result.server_cpu / result.delivered * 1000 if result.delivered else 0.0
    print(f"  CPU per message     {per_message:8.3f} ms (push processes, broadcast only)")
    print(f"  server CPU/message  {server_per_message:8.3f} ms (with its start-up)")
    print(f"  429 from server     {result.rejections:8d}")
    print(f"  lost (chats)        {result.lost:8d}    target 0")
    print(f"  duplicated (chats)  {result.duplicated:8d}    target 0")
    for index, report in enumerate(reports, 1):
        print(f"  push process {index}      {report['summary']}")


async def _worker(concurrency: int | None) -> dict[str, Any]:
    """Run the push path once (as ``marketbrief push``) and report its CPU and summary."""
    from bot.runtime.app import build_application, stop_services
    from briefings.service import MarketService

    settings = BotSettings.from_env(os.environ)
    service = MarketService.from_settings(settings.domain)
    application = build_application(settings, service)
    await application.initialize()
    try:
        services = get_services(application)
        if concurrency is not None:
            services.sender.concurrency = concurrency
        cpu = time.process_time()
        report = await push_now(application)
        cpu = time.process_time() - cpu
        parts = len((await services.desk.rendered(report.session)).messages)
    finally:
        await application.shutdown()
        await stop_services(application)
    return {
        "cpu": cpu,
        "total_cpu": time.process_time(),
        "parts": parts,
        "summary": report.summary(),
    }


def main(argv: Sequence[str] | None = None) -> PaidResult | None:
    """Parse the command line, run the benchmark (or one push process) and return its result."""
    parser = argparse.ArgumentParser(description="A paid broadcast by several push processes.")
    parser.add_argument("--chats", type=int, default=20_000, help="subscribed chats")
    parser.add_argument("--processes", type=int, default=2, help="push processes")
    parser.add_argument("--paid-rate", type=float, default=1000.0, help="messages/s, all told")
    parser.add_argument("--concurrency", type=int, help="chats in flight per process")
    parser.add_argument("--server", choices=("stub", "local"), default="stub")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes beside it")
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        if options.client == "httpx":
            sys.modules["aiohttp"] = None  # type: ignore[assignment]  # as if not installed
        print(json.dumps(asyncio.run(_worker(options.concurrency))))
        return None
    with busy_processes(options.busy):
        if options.busy:
            print(f"with {options.busy} CPU-bound process(es) running beside the broadcast")
        return run(
            options.chats,
            options.processes,
            options.paid_rate,
            options.concurrency,
            options.server,
            options.client,
        )


if __name__ == "__main__":
    main()

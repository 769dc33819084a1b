"""A minimal Bot API stub for the paid-broadcast benchmark: flood limits, a tally, little else.

Run: python -m tests.perf.stub_api [--port 0]; prints "listening on URL" once ready.

The full local server (``localapi``) parses HTML, records every call and message and keeps a
test API; at 1,000 messages a second on a shared machine it is the bottleneck, not the bot.
This stub answers only what ``marketbrief push`` calls (getMe, sendMessage; anything else
``true``) over HTTP/1.1 keep-alive, enforces the same flood model (``localapi.flood``: free
and paid overall limits, per chat, per group) and counts what each chat received.
``GET /_tally`` returns the counts as JSON. Any chat id is a chat: positive ids are private.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import signal
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import parse_qsl

from localapi.flood import FloodGate, FloodLimits

BOT_ID = 123456789
_HEAD_END = b"\r\n\r\n"


class StubState:
    """The flood gate and what was delivered where."""

    def __init__(self, limits: FloodLimits | None) -> None:
        self.gate = FloodGate(limits) if limits else None
        self.received: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self.delivered = 0
        self.paid = 0
        self.rejections = 0
        self.first: float | None = None
        self.last = 0.0
        self._message_ids = 0

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Return (HTTP status, Bot API body) for one call."""
        if method.lower() == "getme":
            bot = {"id": BOT_ID, "is_bot": True, "first_name": "Stub", "username": "stub_bot"}
            return 200, {"ok": True, "result": bot}
        if method.lower() != "sendmessage":
            return 200, {"ok": True, "result": True}
        chat_id = int(params["chat_id"])
        paid = params.get("allow_paid_broadcast") in (True, "true")
        now = time.monotonic()
        if self.gate is not None:
            retry_after = self.gate.admit(chat_id, chat_id > 0, now, paid=paid)
            if retry_after is not None:
                self.rejections += 1
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                }
                return 429, body
        text = params.get("text", "")
        self.received[chat_id][hashlib.blake2b(text.encode(), digest_size=8).hexdigest()] += 1
        self.delivered += 1
        self.paid += paid
        self.first = now if self.first is None else self.first
        self.last = now
        self._message_ids += 1
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        message = {"message_id": self._message_ids, "date": int(time.time()), "chat": chat}
        return 200, {"ok": True, "result": {**message, "text": text}}

    def tally(self) -> dict[str, Any]:
        """Return the counts: per chat, how often each distinct text arrived."""
        return {
            "delivered": self.delivered,
            "paid": self.paid,
            "rejections": self.rejections,
            "seconds": self.last - self.first if self.first is not None else 0.0,
            "chats": {str(chat): dict(texts) for chat, texts in self.received.items()},
        }


class StubProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive: Content-Length bodies only (what httpx and aiohttp send)."""

    def __init__(self, state: StubState) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(_HEAD_END)
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            length = 0
            for line in header_lines:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body_start = head_end + len(_HEAD_END)
            if len(self.buffer) < body_start + length:
                return
            body = self.buffer[body_start : body_start + length]
            self.buffer = self.buffer[body_start + length :]
            self._respond(request_line, body)

    def _respond(self, request_line: str, body: bytes) -> None:
        _, path, _ = request_line.split(" ", 2)
        if path == "/_tally":
            status, payload = 200, self.state.tally()
        else:
            params = _params(body)
            status, payload = self.state.answer(path.rsplit("/", 1)[-1], params)
        content = json.dumps(payload).encode()
        reason = "OK" if status == 200 else "Too Many Requests"
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\n\r\n"
        ).encode()
        assert self.transport is not None
        self.transport.write(head + content)


def _params(body: bytes) -> dict[str, Any]:
    """Return a JSON or form-encoded body's parameters."""
    if body.startswith(b"{"):
        params: dict[str, Any] = json.loads(body)
        return params
    return dict(parse_qsl(body.decode()))


async def serve(host: str, port: int, limits: FloodLimits | None) -> None:
    """Serve until SIGTERM/SIGINT, printing the base URL once listening."""
    state = StubState(limits)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: StubProtocol(state), host, port)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m tests.perf.stub_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--no-flood", action="store_true", help="enforce no flood limits")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, None if args.no_flood else FloodLimits()))


if __name__ == "__main__":
    main()

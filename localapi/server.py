"""LocalBotApi: a real HTTP Telegram Bot API server on 127.0.0.1 for tests and offline chat."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from localapi.control_routes import control_handler
from localapi.errors import ApiError
from localapi.flood import FloodLimits
from localapi.methods import METHODS, canonical_method
from localapi.params import UploadedFile, read_request
from localapi.records import ApiCall, SentMessage
from localapi.state import ApiState
from localapi.webhook_push import WebhookPusher

T = TypeVar("T")
BOT_PATH = re.compile(r"/bot([^/]+)/([^/]+)")
UPLOAD_LIMIT_BYTES = 60 * 1024 * 1024
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ChangeSignal:
    """Wake coroutines waiting for "something changed"; notify() is safe from any thread."""

    def __init__(self) -> None:
        self.version = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._waiters: set[asyncio.Future[None]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver wake-ups on `loop` (the server's loop)."""
        self._loop, self._loop_thread = loop, threading.get_ident()

    def notify(self) -> None:
        """Bump the version and wake every waiter."""
        self.version += 1
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._wake()
        else:
            loop.call_soon_threadsafe(self._wake)

    async def wait(self, seen_version: int, timeout: float) -> None:
        """Return after a change past `seen_version`, or after `timeout` seconds."""
        if self.version != seen_version or timeout <= 0:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()


#: The token the server accepts unless given another; well-formed, so the bot accepts it too.
DEFAULT_TOKEN = "123456:AAlocal-bot-api-default-token"


class LocalBotApi(ApiState):
    """A Bot API server the real python-telegram-bot client talks to through `base_url`.

    Use `await start()` / `await stop()` or `async with`. The test API is the state's own
    (add_chat, send_text, press_button, bot_messages, add_fault, ...; see CONTROL_ACTIONS);
    `/_control/<action>` serves the same actions over HTTP to other processes (LocalApiControl).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        flood_limits: FloodLimits | None = None,
        bot_username: str = "marketbrief_bot",
    ) -> None:
        self._signal = ChangeSignal()
        super().__init__(token, bot_username, flood_limits, on_change=self._signal.notify)
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._poll_generation = 0
        self._pusher = WebhookPusher(self, self._signal)

    # ----- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        self._stopping = False
        self._signal.bind(asyncio.get_running_loop())
        app = web.Application(client_max_size=UPLOAD_LIMIT_BYTES)
        app.router.add_route("*", "/_control/{action}", control_handler(self))
        app.router.add_route("*", "/{path:.*}", self._handle_bot_request)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        self._pusher.start()

    async def stop(self) -> None:
        """Stop serving; pending long polls and injected delays return at once."""
        if self._runner is None:
            return
        self._stopping = True
        self._signal.notify()
        await self._pusher.stop()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        """Return the server root, e.g. http://127.0.0.1:PORT."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Return the base_url for PTB: http://127.0.0.1:PORT/bot (PTB appends the token)."""
        return f"{self.url}/bot"

    # ----- test API: ApiState's control actions (CONTROL_ACTIONS), plus waiting --------------

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the chat has at least `count` bot messages; return them all."""

        def enough() -> list[SentMessage] | None:
            messages = self.bot_messages(chat_id)
            return messages if len(messages) >= count else None

        found = await self._wait_until(enough, timeout)
        if found is None:
            have = self.bot_messages(chat_id)
            failures = [c for c in self.calls() if c.status != 200][-5:]
            raise TimeoutError(
                f"chat {chat_id} has {len(have)} bot messages after {timeout}s, wanted {count}; "
                f"last failed calls: {[(c.method, c.status, c.description) for c in failures]}"
            )
        return found

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
    ) -> ApiCall:
        """Return the first finished call of `method` (past ones count) matching `predicate`."""

        def matching() -> ApiCall | None:
            calls = self.calls(method)
            return next((c for c in calls if predicate is None or predicate(c)), None)

        found = await self._wait_until(matching, timeout)
        if found is None:
            raise TimeoutError(f"no matching {method} call within {timeout}s")
        return found

    async def wait_for_webhook_deliveries(
        self, count: int, timeout: float = 5.0
    ) -> list[tuple[int, int]]:
        """Wait until `count` webhook POSTs finished; return (update_id, HTTP status) of each."""

        def enough() -> list[tuple[int, int]] | None:
            with self.lock:
                done = list(self.webhook_deliveries)
            return done if len(done) >= count else None

        found = await self._wait_until(enough, timeout)
        if found is None:
            raise TimeoutError(f"fewer than {count} webhook deliveries within {timeout}s")
        return found

    async def _wait_until(self, check: Callable[[], T | None], timeout: float) -> T | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            seen = self._signal.version
            result = check()
            remaining = deadline - loop.time()
            if result is not None or remaining <= 0 or self._stopping:
                return result
            await self._signal.wait(seen, remaining)

    # ----- HTTP ----------------------------------------------------------------------------

    async def _handle_bot_request(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        match = BOT_PATH.fullmatch(request.path)
        if match is None:
            not_found = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(not_found, status=404)
        token, requested_method = match.groups()
        method = canonical_method(requested_method) or requested_method
        logged_params: dict[str, Any] = {}
        body: dict[str, Any]
        try:
            params, files = await read_request(request)
            logged_params = {**params, **{name: f.summary() for name, f in files.items()}}
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if canonical_method(requested_method) is None:
                raise ApiError(404, "Not Found: method not found")
            result = await self._answer(method, params, files)
            status, description, body = 200, None, {"ok": True, "result": result}
        except ApiError as error:
            status, description, body = error.status, error.description, error.payload()
        self.record_call(ApiCall(method, logged_params, status, arrived, description))
        return web.json_response(body, status=status)

    async def _answer(
        self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        fault = self.take_fault(method, params.get("chat_id"))
        if fault is not None:
            if fault.delay:
                await self._wait_until(lambda: None, fault.delay)
            raise ApiError(fault.status, fault.description, fault.parameters)
        if method == "getUpdates":
            return await self._get_updates(params)
        with self.lock:
            return METHODS[method](self, params, files)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long-poll: answer as soon as an allowed update is pending, or after `timeout`."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify()  # an older pending poll must now end with 409
        self.confirm_updates(params.get("offset"))
        self.set_allowed_updates(params.get("allowed_updates"))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            seen = self._signal.version
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT)
            updates = self.deliverable_updates(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self._stopping:
                return updates
            await self._signal.wait(seen, remaining)

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

from bot.localapi.control_routes import control_handler
from bot.localapi.errors import ApiError
from bot.localapi.faults import DEFAULT_TIMEOUT_DELAY
from bot.localapi.flood import FloodLimits
from bot.localapi.methods import METHODS, canonical_method
from bot.localapi.params import UploadedFile, read_request
from bot.localapi.records import ApiCall, BotCommand, CallbackAnswer, SentMessage
from bot.localapi.state import ApiState

T = TypeVar("T")
BOT_PATH = re.compile(r"/bot([^/]+)/([^/]+)")
UPLOAD_LIMIT_BYTES = 60 * 1024 * 1024
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
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


class LocalBotApi:
    """A Bot API server the real python-telegram-bot client talks to through `base_url`.

    Use `await start()` / `await stop()` or `async with`. The test API (add_chat, send_text,
    press_button, bot_messages, add_fault, ...) works in-process; `/_control/<action>` serves
    the same over HTTP for other processes (see LocalApiControl).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        flood_limits: FloodLimits | None = None,
        bot_username: str = "marketbrief_bot",
    ) -> None:
        self.token = token
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._signal = ChangeSignal()
        self.state = ApiState(token, bot_username, flood_limits, on_change=self._signal.notify)
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._poll_generation = 0

    # ----- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        self._stopping = False
        self._signal.bind(asyncio.get_running_loop())
        app = web.Application(client_max_size=UPLOAD_LIMIT_BYTES)
        app.router.add_route("*", "/_control/{action}", control_handler(self.state))
        app.router.add_route("*", "/{path:.*}", self._handle_bot_request)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving; pending long polls and injected delays return at once."""
        if self._runner is None:
            return
        self._stopping = True
        self._signal.notify()
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

    # ----- test API (delegates to ApiState) ------------------------------------------------

    def add_user(
        self, user_id: int, first_name: str = "Ann", username: str | None = None
    ) -> dict[str, Any]:
        """Create a user; return its User object."""
        return self.state.add_user(user_id, first_name, username)

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        is_forum: bool = False,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Create a chat (private chat id == user id); return its Chat object."""
        return self.state.add_chat(chat_id, type, title, is_forum, username)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a member's status for getChatMember/getChatAdministrators."""
        self.state.set_member_status(chat_id, user_id, status)

    def send_text(
        self, chat_id: int, user_id: int, text: str, message_thread_id: int | None = None
    ) -> dict[str, Any]:
        """Inject a user's text message; return the Update."""
        return self.state.send_text(chat_id, user_id, text, message_thread_id)

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, data: str
    ) -> dict[str, Any]:
        """Inject a button press on a bot message; return the Update."""
        return self.state.press_button(chat_id, user_id, message_id, data)

    def add_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update."""
        return self.state.add_update(update)

    def bot_messages(
        self, chat_id: int | None = None, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Return the bot's messages (current state after edits) in send order."""
        return self.state.bot_messages(chat_id, include_deleted)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Return every finished request, or those of one method."""
        return self.state.calls(method)

    @property
    def answered_callbacks(self) -> list[str]:
        """Return the callback query ids the bot answered."""
        return self.state.answered_callbacks

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Return the bot's callback answers with their text and alert flag."""
        with self.state.lock:
            return list(self.state.callback_answers)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[BotCommand]:
        """Return the commands set for a scope (default scope when None)."""
        return self.state.commands(scope, language_code)

    def add_fault(
        self,
        method: str = "sendMessage",
        chat_id: int | str | None = None,
        kind: str = "retry_after",
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
        delay: float = DEFAULT_TIMEOUT_DELAY,
    ) -> None:
        """Fail the next `times` matching requests as `kind` ("timeout" waits `delay` first)."""
        self.state.add_fault(method, chat_id, kind, times, retry_after, description, delay)

    def block_chat(self, chat_id: int) -> None:
        """Answer every write to the chat with 403."""
        self.state.block_chat(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Let the bot write to the chat again."""
        self.state.unblock_chat(chat_id)

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """Upgrade a group to a supergroup; return the new Chat object."""
        return self.state.migrate_chat(old_chat_id, new_chat_id)

    def set_flood_limits(self, limits: FloodLimits | None) -> None:
        """Turn flood control on (fresh windows) or off."""
        self.state.set_flood_limits(limits)

    @property
    def flood_rejections(self) -> int:
        """Return how many sends flood control refused with 429."""
        return self.state.flood_rejections

    def reset(self) -> None:
        """Forget all chats, users, messages, updates, calls, faults and flood windows."""
        self.state.reset()

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the chat has at least `count` bot messages; return them all."""

        def enough() -> list[SentMessage] | None:
            messages = self.state.bot_messages(chat_id)
            return messages if len(messages) >= count else None

        found = await self._wait_until(enough, timeout)
        if found is None:
            have = self.state.bot_messages(chat_id)
            failures = [c for c in self.state.calls() if c.status != 200][-5:]
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
            calls = self.state.calls(method)
            return next((c for c in calls if predicate is None or predicate(c)), None)

        found = await self._wait_until(matching, timeout)
        if found is None:
            raise TimeoutError(f"no matching {method} call within {timeout}s")
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
        self.state.record_call(ApiCall(method, logged_params, status, arrived, description))
        return web.json_response(body, status=status)

    async def _answer(
        self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        fault = self.state.take_fault(method, params.get("chat_id"))
        if fault is not None:
            if fault.delay:
                await self._wait_until(lambda: None, fault.delay)
            raise ApiError(fault.status, fault.description, fault.parameters)
        if method == "getUpdates":
            return await self._get_updates(params)
        with self.state.lock:
            return METHODS[method](self.state, params, files)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long-poll: answer as soon as an allowed update is pending, or after `timeout`."""
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify()  # an older pending poll must now end with 409
        self.state.confirm_updates(params.get("offset"))
        self.state.set_allowed_updates(params.get("allowed_updates"))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            seen = self._signal.version
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT)
            updates = self.state.deliverable_updates(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self._stopping:
                return updates
            await self._signal.wait(seen, remaining)

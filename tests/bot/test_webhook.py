"""Webhook mode: updates POSTed by the Bot API with the secret, refused without it; /healthz."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.config import ConfigError
from bot.runtime.app import build_application
from bot.runtime.serve import ServeOptions, serving
from bot.runtime.web import MAX_UPDATE_BYTES
from bot.runtime.webconfig import SECRET_HEADER, ListenAddress, WebhookSettings, webhook_settings
from bot.runtime.webhook_body import nesting_depth
from bot.services.hub import BotApplication, get_services
from briefings.service import MarketService
from localapi import LocalBotApi
from tests.bot.conftest import make_settings

SECRET = "webhook-secret_0123456789"
USER = 4242


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_at(port: int, path: str = "/telegram/hook") -> WebhookSettings:
    return WebhookSettings(
        url=f"http://127.0.0.1:{port}{path}",
        listen=ListenAddress("127.0.0.1", port),
        secret=SECRET,
        secret_generated=False,
        max_connections=7,
    )


def bot_application(server: LocalBotApi, data_dir: Path) -> BotApplication:
    """Return the bot built on ``data_dir``, talking to the local Bot API server."""
    settings = make_settings(data_dir)
    return build_application(
        settings, MarketService.from_settings(settings.domain), base_url=server.base_url
    )


async def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    return await post_body(url, headers, json=body)


async def post_body(url: str, headers: dict[str, str], **body: Any) -> int:
    """POST ``body`` (``json=`` or ``data=``) to ``url`` and return the HTTP status."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, headers=headers, **body) as response,
    ):
        return response.status


async def test_updates_arrive_by_webhook_and_need_the_secret(
    server: LocalBotApi, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    application = bot_application(server, data_dir)
    webhook = webhook_at(free_port())
    caplog.set_level(logging.INFO)
    async with serving(application, ServeOptions(webhook=webhook)):
        registered = await server.wait_for_call("setWebhook")
        assert registered.params["url"] == webhook.url
        assert registered.params["secret_token"] == SECRET
        assert int(registered.params["max_connections"]) == 7
        assert "my_chat_member" in registered.params["allowed_updates"]
        assert (await application.bot.get_webhook_info()).url == webhook.url

        # The local Bot API delivers the injected message by POSTing it with the secret.
        server.add_user(USER, first_name="Ann")
        server.add_chat(USER, "private", title="Ann")
        forged = server.send_text(USER, USER, "/help")
        server.updates.clear()  # keep it for forging; the server must not deliver it
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            assert await post(webhook.url, forged, headers) == 403

        server.send_text(USER, USER, "/pair IWM SPY")
        replies = await server.wait_for_messages(USER, 1, timeout=15)
        assert [status for _, status in await server.wait_for_webhook_deliveries(1)] == [200]
        # Only /pair was answered: the refused /help ran no handler.
        assert len(replies) == 1
        assert "IWM" in replies[0].shown_text
        assert len(server.calls("sendMessage")) == 1

        bad_body = await post(webhook.url, {"not": "an update"}, {SECRET_HEADER: SECRET})
        assert bad_body == 400

    line = next(r.getMessage() for r in caplog.records if "started:" in r.getMessage())
    assert "@marketbrief_bot" in line
    assert "secret set" in line
    assert SECRET not in caplog.text
    assert f"path {webhook.path}" in line


async def test_healthz_shares_the_webhook_port(server: LocalBotApi, data_dir: Path) -> None:
    application = bot_application(server, data_dir)
    webhook = webhook_at(free_port(), "/hook")
    async with serving(application, ServeOptions(webhook=webhook)):
        await get_services(application).startup_complete.wait()
        health_url = f"http://127.0.0.1:{webhook.listen.port}/healthz"
        async with aiohttp.ClientSession() as session, session.get(health_url) as response:
            assert response.status == 200
            body = await response.json()
    assert body["status"] == "ok"
    assert body["source"] == "demo"


def test_a_missing_secret_is_generated_and_a_bad_one_refused() -> None:
    generated = webhook_settings("https://bot.example.org/tg", None, env={})
    assert generated is not None
    assert generated.secret_generated
    assert len(generated.secret) >= 32
    assert generated.path == "/tg"
    assert str(generated.listen) == "127.0.0.1:8080"
    assert generated.secret not in repr(generated)
    given = webhook_settings(
        None,
        None,
        env={
            "MARKETBRIEF_WEBHOOK_URL": "https://bot.example.org/x/y",
            "MARKETBRIEF_LISTEN": "unix:/run/mb/bot.sock",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
        },
    )
    assert given is not None
    assert (given.secret, given.secret_generated) == (SECRET, False)
    assert given.listen.unix_path == Path("/run/mb/bot.sock")
    assert webhook_settings(None, None, env={}) is None
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        webhook_settings("https://a.example/b", None, env={"TELEGRAM_WEBHOOK_SECRET": "no spaces"})
    with pytest.raises(ConfigError, match="HOST:PORT"):
        webhook_settings("https://a.example/b", "localhost", env={})
    with pytest.raises(ConfigError, match="health check"):
        webhook_settings("https://a.example/healthz", None, env={})
    with pytest.raises(ConfigError, match="not a URL"):
        webhook_settings("ftp://a.example/b", None, env={})


async def test_webhook_on_a_unix_socket(server: LocalBotApi, data_dir: Path) -> None:
    application = bot_application(server, data_dir)
    socket_path = data_dir / "run" / "bot.sock"
    webhook = WebhookSettings(
        url="https://bot.example.org/tg/hook",
        listen=ListenAddress(unix_path=socket_path),
        secret=SECRET,
        secret_generated=True,
        drop_pending_updates=True,
    )
    async with serving(application, ServeOptions(webhook=webhook)):
        registered = await server.wait_for_call("setWebhook")
        assert registered.params["drop_pending_updates"] in (True, "true", "True")
        await get_services(application).startup_complete.wait()
        connector = aiohttp.UnixConnector(path=str(socket_path))
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post("http://bot/tg/hook", json={"update_id": 1}) as refused:
                assert refused.status == 403
            async with session.get("http://bot/healthz") as health:
                assert health.status == 200
        assert await asyncio.to_thread(main, ["health", f"unix:{socket_path}"]) == 0


#: Bodies that are not an update, each with the reason the log gives (400 for every one).
NOT_UPDATES: dict[str, tuple[bytes, str]] = {
    "null": (b"null", "JSON NoneType, not an object"),
    "array": (b"[]", "JSON list, not an object"),
    "string": (b'"x"', "JSON str, not an object"),
    "number": (b"123", "JSON int, not an object"),
    "message of a number": (b'{"update_id":11,"message":5}', "a field of the wrong shape"),
    "message without its fields": (
        b'{"update_id":12,"message":{"text":"x"}}',
        "a field of the wrong shape",
    ),
    "update_id of text": (b'{"update_id":"13"}', "no update_id"),
    "update_id true": (b'{"update_id":true}', "no update_id"),
    "no update_id": (b'{"message":{}}', "no update_id"),
    "not JSON": (b'{"update_id":', "not JSON"),
    "not UTF-8": (b'{"update_id":1,"x":"\xff\xfe"}', "not JSON"),
    "arrays 400,000 deep (800 KB)": (b"[" * 400_000 + b"]" * 400_000, "nested 400000 deep"),
    "objects 100,000 deep": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested 100000 deep"),
    "deep and unclosed": (b'{"update_id":1,"x":' + b"[" * 200_000, "nested 200001 deep"),
}


async def post_bytes(url: str, body: bytes) -> int:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    return await post_body(url, headers, data=io.BytesIO(body))


async def test_bodies_that_are_not_updates_get_400_and_one_warning_each(
    server: LocalBotApi, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    application = bot_application(server, data_dir)
    webhook = webhook_at(free_port())
    caplog.set_level(logging.INFO)
    async with serving(application, ServeOptions(webhook=webhook)):
        await get_services(application).startup_complete.wait()
        for name, (body, _) in NOT_UPDATES.items():
            assert await post_bytes(webhook.url, body) == 400, name
        # Past the size bound the server refuses before reading on.
        assert await post_bytes(webhook.url, b" " * (MAX_UPDATE_BYTES + 1)) == 413
        # Strings may hold any brackets, escaped quotes and backslashes: not nesting.
        bracketed = {"update_id": 20, "x": '[[[[{{{{\\"' * 1000, "y": "\\" * 99}
        assert await post_bytes(webhook.url, json.dumps(bracketed).encode()) == 200

        # The bot goes on answering.
        server.add_user(USER, first_name="Ann")
        server.add_chat(USER, "private", title="Ann")
        server.send_text(USER, USER, "/pair IWM SPY")
        replies = await server.wait_for_messages(USER, 1, timeout=15)
        assert "IWM" in replies[0].shown_text

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    refusals = [r.getMessage() for r in caplog.records if "not an Update" in r.getMessage()]
    assert len(refusals) == len(NOT_UPDATES)
    for (name, (_, reason)), line in zip(NOT_UPDATES.items(), refusals, strict=True):
        assert reason in line, name


def test_nesting_is_measured_outside_strings() -> None:
    assert nesting_depth(b'{"a": [1, {"b": "]]]}}}"}], "c": "\\\\"}') == 3
    assert nesting_depth(b'["\\"[[[", [[]]]') == 3
    assert nesting_depth(b'"no brackets"') == 0

"""Webhook mode: updates POSTed by the Bot API with the secret, refused without it; /healthz."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runtime.app import build_application
from bot.cli import main
from bot.config import ConfigError
from bot.runtime.serve import ServeOptions, serving
from bot.services.hub import get_services
from bot.runtime.webconfig import SECRET_HEADER, ListenAddress, WebhookSettings, webhook_settings
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


async def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status


async def test_updates_arrive_by_webhook_and_need_the_secret(
    server: LocalBotApi, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(data_dir)
    application = build_application(
        settings, MarketService.from_settings(settings.domain), base_url=server.base_url
    )
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
    settings = make_settings(data_dir)
    application = build_application(
        settings, MarketService.from_settings(settings.domain), base_url=server.base_url
    )
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
    settings = make_settings(data_dir)
    application = build_application(
        settings, MarketService.from_settings(settings.domain), base_url=server.base_url
    )
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

"""The local server's webhook, description and membership methods, through the real PTB Bot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, ChatMemberUpdated
from telegram.error import BadRequest, Conflict, Forbidden

from localapi import LocalApiControl, LocalBotApi
from localapi.webhook_push import SECRET_HEADER

USER, GROUP = 77, -1007


async def test_descriptions_are_stored_and_checked(server: LocalBotApi, bot: Bot) -> None:
    assert await bot.set_my_description("What this bot does.")
    assert await bot.set_my_short_description("Short.")
    assert (await bot.get_my_description()).description == "What this bot does."
    assert (await bot.get_my_short_description()).short_description == "Short."
    assert server.descriptions() == {
        "description": "What this bot does.",
        "short_description": "Short.",
    }
    with pytest.raises(BadRequest, match="too long"):
        await bot.set_my_short_description("x" * 121)


async def test_a_webhook_gets_updates_with_its_secret_and_blocks_polling(
    server: LocalBotApi, bot: Bot
) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get(SECRET_HEADER)))
        # The first delivery fails: the server must offer the update again.
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret", max_connections=5)
        info = await bot.get_webhook_info()
        assert (info.url, info.max_connections) == (url, 5)
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()

        server.send_text(USER, USER, "hello")
        deliveries = await server.wait_for_webhook_deliveries(2, timeout=10)
        assert [status for _, status in deliveries] == [500, 200]
        assert [(body["message"]["text"], secret) for body, secret in received] == [
            ("hello", "s3cret"),
            ("hello", "s3cret"),
        ]
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        await runner.cleanup()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()
    with pytest.raises(BadRequest, match="secret token"):
        await bot.set_webhook("https://example.org/x", secret_token="not allowed!")


async def test_membership_changes_become_my_chat_member_updates(
    server: LocalBotApi, bot: Bot
) -> None:
    server.add_chat(GROUP, "supergroup", title="Traders")
    server.set_bot_status(GROUP, USER, "member")
    await bot.send_message(GROUP, "hello, group")
    server.set_bot_status(GROUP, USER, "kicked")
    updates = await bot.get_updates(allowed_updates=["my_chat_member"])
    changes = [u.my_chat_member for u in updates]
    assert all(isinstance(change, ChatMemberUpdated) for change in changes)
    statuses = [
        (c.old_chat_member.status, c.new_chat_member.status, c.from_user.id)
        for c in changes
        if c is not None
    ]
    assert statuses == [("left", "member", USER), ("member", "kicked", USER)]
    with pytest.raises(Forbidden, match="kicked"):
        await bot.send_message(GROUP, "still here?")


async def test_the_new_actions_are_control_actions_too(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(GROUP, "group", title="Traders")
    await bot.set_my_short_description("Short.")

    def from_another_process() -> tuple[dict[str, Any], Any]:
        with LocalApiControl(server.base_url) as control:
            return control.set_bot_status(GROUP, USER, "member"), control.descriptions()

    update, shown = await asyncio.to_thread(from_another_process)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert shown == {"description": "", "short_description": "Short."}

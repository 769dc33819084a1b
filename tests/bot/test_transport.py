"""The bot's aiohttp transport: the real PTB Bot through it against the local Bot API server."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.delivery.transport import AiohttpRequest
from localapi import LocalBotApi
from tests.bot.conftest import TOKEN
from tests.localapi.conftest import png_bytes

USER = 77


@pytest.fixture
async def client(server: LocalBotApi) -> AsyncIterator[Bot]:
    """Return a PTB Bot on the aiohttp transport, talking to ``server``."""
    server.add_chat(USER)
    async with Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot:
        yield bot


async def test_a_message_goes_as_json_with_its_types(server: LocalBotApi, client: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await client.send_message(
        USER, "<b>Hi</b> ünïcode", parse_mode="HTML", reply_markup=markup, allow_paid_broadcast=True
    )
    assert sent.text == "Hi ünïcode"
    [message] = server.bot_messages(USER)
    assert message.text == "<b>Hi</b> ünïcode"
    assert message.reply_markup == markup.to_dict()
    [call] = server.calls("sendMessage")
    assert call.params["allow_paid_broadcast"] is True
    assert call.params["chat_id"] == USER


async def test_a_photo_is_uploaded_as_a_multipart_form(server: LocalBotApi, client: Bot) -> None:
    image = png_bytes(8, 6)
    sent = await client.send_photo(USER, image, caption="<i>chart</i>", parse_mode="HTML")
    assert sent.photo
    [message] = server.bot_messages(USER)
    assert message.photo == image
    assert message.caption == "<i>chart</i>"
    again = await client.send_photo(USER, sent.photo[-1].file_id)
    assert again.photo


async def test_errors_keep_their_telegram_meaning(server: LocalBotApi, client: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await client.send_message(12345, "nobody")
    server.add_fault("sendMessage", kind="retry_after", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await client.send_message(USER, "x")
    assert caught.value.retry_after in (3, dtm.timedelta(seconds=3))


async def test_a_slow_answer_times_out(server: LocalBotApi, client: Bot) -> None:
    server.add_fault("sendMessage", kind="timeout", delay=0.6)
    with pytest.raises(TimedOut):
        await client.send_message(USER, "x", read_timeout=0.2)


async def test_an_unreachable_server_is_a_network_error(server: LocalBotApi) -> None:
    url = server.base_url
    await server.stop()
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError):
            await request.post(f"{url}{TOKEN}/getMe")

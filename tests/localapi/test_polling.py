"""getUpdates really long-polls, and a PTB Application runs a full round trip through it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Conflict
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from localapi import LocalBotApi
from tests.localapi.conftest import TOKEN

USER = 42


async def test_long_poll_waits_for_its_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.95 <= time.monotonic() - started < 1.6


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: LocalBotApi, bot: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    server.send_text(USER, USER, "hello")
    [update] = await poll
    assert time.monotonic() - started < 1.0
    assert update.message is not None
    assert update.message.text == "hello"


async def test_stop_wakes_a_pending_long_poll() -> None:
    server = LocalBotApi(token=TOKEN)
    await server.start()
    async with Bot(TOKEN, base_url=server.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=10))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await server.stop()
        assert await poll == ()
        assert time.monotonic() - started < 1.0


async def test_offset_confirms_updates(server: LocalBotApi, bot: Bot) -> None:
    for text in ("a", "b", "c"):
        server.send_text(USER, USER, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["a", "b"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["c"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_allowed_updates_filter_and_persist(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    menu = await bot.send_message(USER, "menu", reply_markup=buttons)
    server.send_text(USER, USER, "text")
    server.press_button(USER, USER, menu.message_id, "a")
    [only] = await bot.get_updates(allowed_updates=["callback_query"])
    assert only.callback_query is not None
    assert only.callback_query.data == "a"
    again = await bot.get_updates()  # the setting sticks until changed
    assert [u.callback_query is not None for u in again] == [True]
    both = await bot.get_updates(allowed_updates=[])
    assert [u.message is not None for u in both] == [True, False]


async def test_a_second_poller_ends_the_first_with_conflict(server: LocalBotApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with Bot(TOKEN, base_url=server.base_url) as rival:
        assert await rival.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await first


async def test_pressing_a_button_that_is_not_shown_is_refused(
    server: LocalBotApi, bot: Bot
) -> None:
    server.add_chat(USER)
    sent = await bot.send_message(USER, "no buttons")
    with pytest.raises(LookupError, match="no button with data 'x'"):
        server.press_button(USER, USER, sent.message_id, "x")


@pytest.fixture
async def running_app(server: LocalBotApi) -> AsyncIterator[tuple[Application, list[object]]]:  # type: ignore[type-arg]
    """Start a polling Application with /start, echo and button handlers; yield it and errors."""
    errors: list[object] = []

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        buttons = [[InlineKeyboardButton("Small caps", callback_data="pick:iwm")]]
        await update.message.reply_text("Pick one", reply_markup=InlineKeyboardMarkup(buttons))

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text.upper())

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Loading")
        await query.edit_message_text(f"<b>You picked</b> {query.data}", parse_mode="HTML")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app = ApplicationBuilder().token(TOKEN).base_url(server.base_url).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app, errors
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_application_echoes_and_edits_on_button_press(
    server: LocalBotApi,
    running_app: tuple[Application, list[object]],  # type: ignore[type-arg]
) -> None:
    _, errors = running_app
    server.send_text(USER, USER, "rotation")
    [echo] = await server.wait_for_messages(USER, 1)
    assert echo.text == "ROTATION"

    server.send_text(USER, USER, "/start@marketbrief_bot")
    menu = (await server.wait_for_messages(USER, 2))[-1]
    assert menu.reply_markup is not None
    server.press_button(USER, USER, menu.message_id, "pick:iwm")
    await server.wait_for_call("editMessageText")

    [_, edited] = server.bot_messages(USER)
    assert (edited.shown_text, edited.edits) == ("You picked pick:iwm", ["Pick one"])
    assert edited.reply_markup is None
    assert len(server.answered_callbacks) == 1
    assert server.callback_answers[0].text == "Loading"
    assert errors == []


async def test_commands_for_another_bot_are_ignored(
    server: LocalBotApi,
    running_app: tuple[Application, list[object]],  # type: ignore[type-arg]
) -> None:
    _, errors = running_app
    server.send_text(USER, USER, "/start@other_bot")
    server.send_text(USER, USER, "after")
    messages = await server.wait_for_messages(USER, 1)
    assert [m.text for m in messages] == ["AFTER"]
    assert errors == []

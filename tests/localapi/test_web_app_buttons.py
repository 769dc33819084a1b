"""web_app inline buttons: taken in private chats, refused in groups (as the Bot API does)."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest

from localapi import LocalBotApi

USER = 42
GROUP = -1001
LAB = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Lab", web_app=WebAppInfo("https://bot.example.org/lab/"))]]
)


async def test_a_web_app_button_is_taken_in_a_private_chat(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    await bot.send_message(USER, "open", reply_markup=LAB)
    (sent,) = server.bot_messages(USER)
    assert sent.reply_markup is not None
    assert sent.reply_markup["inline_keyboard"][0][0]["web_app"]["url"].endswith("/lab/")


async def test_a_web_app_button_is_refused_in_a_group(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(GROUP, "supergroup", title="Traders")
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await bot.send_message(GROUP, "open", reply_markup=LAB)
    assert server.bot_messages(GROUP) == []


async def test_the_menu_button_takes_a_web_app_in_private_chats_only(
    server: LocalBotApi, bot: Bot
) -> None:
    server.add_chat(USER)
    server.add_chat(GROUP, "supergroup", title="Traders")
    lab = MenuButtonWebApp("Lab", WebAppInfo("https://bot.example.org/lab/"))
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)
    await bot.set_chat_menu_button(menu_button=lab)
    assert await bot.get_chat_menu_button(USER) == lab  # the default reaches every chat
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await bot.set_chat_menu_button(
            USER, MenuButtonWebApp("Lab", WebAppInfo("http://bot.example.org/lab/"))
        )
    with pytest.raises(BadRequest, match=r"(?i)private chats"):
        await bot.set_chat_menu_button(GROUP, MenuButtonCommands())

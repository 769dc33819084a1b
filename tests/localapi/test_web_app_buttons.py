"""web_app inline buttons: taken in private chats, refused in groups (as the Bot API does)."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
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

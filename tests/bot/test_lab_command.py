"""/lab and the summary's Lab button: web_app in private chats, the direct link in groups."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.lab.config import LabSettings
from bot.services.jobs import push_now
from bot.store.chats import Schedule
from localapi import LocalBotApi
from tests.bot.conftest import BOT_USERNAME, running_bot

USER = 5150
LAB = LabSettings(public_url="https://bot.example.org", app_name="rotationlab")


def buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [button for row in (markup or {}).get("inline_keyboard", []) for button in row]


async def test_lab_in_a_private_chat_sends_a_web_app_button(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir, lab=LAB) as bot:
        reply = await bot.say_one(bot.private_chat(USER), "/lab pairs")
    (button,) = buttons(reply.reply_markup)
    url = urlsplit(button["web_app"]["url"])
    assert url.scheme == "https"
    assert url.netloc == "bot.example.org"
    assert url.path == "/lab/"
    assert parse_qs(url.query) == {"view": ["rrg-pairs"], "lang": ["en"]}


async def test_lab_in_a_group_sends_the_direct_link_with_view_and_language(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir, lab=LAB) as bot:
        group = bot.group(-100777, members=(USER,))
        reply = await bot.say_one(group, "/lab heatmap", user_id=USER)
    (button,) = buttons(reply.reply_markup)
    assert "web_app" not in button
    assert button["url"] == f"https://t.me/{BOT_USERNAME}/rotationlab?startapp=heatmap_en"


async def test_without_a_public_address_there_is_no_lab(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir) as bot:
        chat = bot.private_chat(USER)
        reply = await bot.say_one(chat, "/lab")
        summary = (await bot.say(chat, "/brief"))[-1]
    assert reply.reply_markup is None
    assert "not set up" in reply.shown_text
    assert not [b for b in buttons(summary.reply_markup) if "web_app" in b]


async def test_the_private_summary_carries_the_lab_button(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir, lab=LAB) as bot:
        summary = (await bot.say(bot.private_chat(USER), "/brief"))[-1]
    lab_buttons = [b for b in buttons(summary.reply_markup) if "web_app" in b]
    assert len(lab_buttons) == 1
    assert lab_buttons[0]["web_app"]["url"].startswith("https://bot.example.org/lab/?")


async def test_an_unknown_lab_view_gets_the_usage(server: LocalBotApi, data_dir: Path) -> None:
    async with running_bot(server, data_dir, lab=LAB) as bot:
        reply = await bot.say_one(bot.private_chat(USER), "/lab nonsense")
    assert "not a Lab view" in reply.shown_text


async def test_the_daily_push_carries_the_lab_for_each_kind_of_chat(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir, lab=LAB) as bot:
        private = bot.private_chat(USER)
        group = bot.group(-100778, members=(USER,))
        for chat, kind in ((private, "private"), (group, "supergroup")):
            bot.services.chats.subscribe(
                chat,
                chat_type=kind,
                title=None,
                thread_id=None,
                schedule=Schedule(time(8, 0), "America/New_York"),
                subscribed_by=USER,
                now=datetime(2025, 1, 1, tzinfo=UTC),
            )
        await push_now(bot.application)
        summaries = {chat: server.bot_messages(chat)[0] for chat in (private, group)}
    (web_app,) = [b for b in buttons(summaries[private].reply_markup) if "web_app" in b]
    assert web_app["web_app"]["url"].startswith("https://bot.example.org/lab/?")
    group_buttons = buttons(summaries[group].reply_markup)
    assert not [b for b in group_buttons if "web_app" in b]  # Telegram refuses them in groups
    assert f"https://t.me/{BOT_USERNAME}/rotationlab?startapp=rrg-sectors_en" in [
        b.get("url") for b in group_buttons
    ]


async def test_the_menu_button_opens_the_lab_when_it_is_served(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir, lab=LAB):
        button = server.menu_button()
    assert button is not None
    assert button["type"] == "web_app"
    assert button["web_app"]["url"] == "https://bot.example.org/lab/"
    async with running_bot(server, data_dir):
        assert server.menu_button() == {"type": "commands"}

"""/language, the chat's language by default, menus per language and pushes in each language."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path

import pytest

from bot.services.jobs import refresh_after_close
from localapi import LocalBotApi
from tests.bot.conftest import Harness, running_bot
from tests.bot.test_alert_push import MONDAY, MONDAY_AFTER_CLOSE, NY, MovableClock, demo_service

GOLDEN = Path(__file__).parent.parent / "golden" / "zh" / "replies"
#: A fixed moment on the demo market (Friday 7 Nov 2025 after the close): replies are stable.
FRIDAY_EVENING = datetime(2025, 11, 7, 18, 0, tzinfo=NY)
ZH_USER, EN_USER, FR_USER, ADMIN, MEMBER = 8401, 8402, 8403, 8404, 8405
GROUP = -8400


def private_chat(bot: Harness, user_id: int, language_code: str | None) -> int:
    bot.server.add_user(user_id, first_name=f"User {user_id}", language_code=language_code)
    bot.server.add_chat(user_id, "private", title=f"User {user_id}")
    return user_id


async def test_a_private_chat_reads_its_users_language_when_supported(bot: Harness) -> None:
    zh = private_chat(bot, ZH_USER, "zh-hans")
    en = private_chat(bot, EN_USER, "en")
    fr = private_chat(bot, FR_USER, "fr")
    assert "美股轮动简报" in (await bot.say_one(zh, "/help")).shown_text
    assert "Market rotation briefings" in (await bot.say_one(en, "/help")).shown_text
    assert "Market rotation briefings" in (await bot.say_one(fr, "/help")).shown_text


async def test_language_is_set_per_chat_by_its_administrators(bot: Harness) -> None:
    group = bot.group(GROUP, admins=(ADMIN,), members=(MEMBER,))
    shown = await bot.say_one(group, "/language", user_id=MEMBER)
    assert "This chat reads English." in shown.shown_text
    refused = await bot.say_one(group, "/language zh", user_id=MEMBER)
    assert "Only this group's administrators can change its language" in refused.shown_text
    assert bot.services.chats.language(GROUP) is None
    changed = await bot.say_one(group, "/language zh", user_id=ADMIN)
    assert "本聊天已切换为简体中文" in changed.shown_text
    assert bot.services.chats.language(GROUP) == "zh"
    usage = await bot.say_one(group, "/language fr", user_id=ADMIN)
    assert "“fr”不是支持的语言" in usage.shown_text
    assert "用法：/language [en|zh]" in usage.shown_text
    settings = await bot.say_one(group, "/settings", user_id=MEMBER)
    assert "语言：简体中文" in settings.shown_text
    back = await bot.say_one(group, "/language EN", user_id=ADMIN)
    assert "This chat now reads English" in back.shown_text


async def test_the_command_menu_is_set_in_every_language(bot: Harness) -> None:
    default = {c.command: c.description for c in bot.server.commands()}
    chinese = {c.command: c.description for c in bot.server.commands(language_code="zh")}
    assert default.keys() == chinese.keys()
    assert "language" in default
    assert default["brief"].startswith("Today's summary")
    assert chinese["brief"].startswith("今日摘要")


async def test_pushed_alerts_use_each_chats_language(server: LocalBotApi, tmp_path: Path) -> None:
    clock = MovableClock(MONDAY_AFTER_CLOSE.replace(hour=10, minute=0))
    data_dir = tmp_path / "data"
    async with running_bot(server, data_dir, clock, service=demo_service(data_dir, clock)) as bot:
        await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
        zh = private_chat(bot, ZH_USER, "zh")
        en = private_chat(bot, EN_USER, "en")
        for chat in (zh, en):
            await bot.say_one(chat, "/alerts on")
        seen = {chat: len(server.bot_messages(chat)) for chat in (zh, en)}
        clock.moment = MONDAY_AFTER_CLOSE
        assert (await refresh_after_close(bot.application)).error is None
        await bot.services.alerts.wait_idle()
        assert bot.services.desk.service.freshness().last_session == MONDAY
        (chinese,) = server.bot_messages(zh)[seen[zh] :]
        (english,) = server.bot_messages(en)[seen[en] :]
        assert "格局变化" in chinese.shown_text
        assert "价值/成长由改善象限进入领先象限" in chinese.shown_text
        assert "2025年11月10日 周一收盘" in chinese.shown_text
        assert "Value vs growth moved from Improving into Leading" in english.shown_text


#: One reply of each command, as a Chinese-speaking user sees it (the HTML the bot sent).
COMMANDS = {
    "help": "/help",
    "brief": "/brief",
    "rotation": "/rotation 1M",
    "sectors": "/sectors YTD",
    "since": "/since 2025-04-08",
    "pair": "/pair IWM SPY",
    "tickers": "/tickers",
    "rrg": "/rrg",
    "chart": "/chart sectors",
    "alerts": "/alerts",
    "subscribe": "/subscribe 08:00 Asia/Shanghai",
    "settings": "/settings",
    "unsubscribe": "/unsubscribe",
    "language": "/language",
    "unknown": "/frobnicate",
    "usage": "/since yesterday",
}


async def test_each_command_answers_in_chinese_as_the_golden_files_show(
    server: LocalBotApi, tmp_path: Path
) -> None:
    clock = MovableClock(FRIDAY_EVENING)
    data_dir = tmp_path / "data"
    async with running_bot(server, data_dir, clock, service=demo_service(data_dir, clock)) as bot:
        await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
        # The golden files are the HTML replies (rich messages are tested in test_rich_views).
        server.refuse_rich_messages()
        zh = private_chat(bot, ZH_USER, "zh-CN")
        for name, text in COMMANDS.items():
            replies = await bot.say(zh, text)
            assert replies, name
            rendered = "\n---\n".join(r.caption or r.text or "" for r in replies) + "\n"
            path = GOLDEN / f"{name}.html"
            if os.environ.get("UPDATE_GOLDEN"):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(rendered, encoding="utf-8")
            assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
            assert rendered == path.read_text(encoding="utf-8"), name


@pytest.mark.parametrize("code", ["zh", "zh-hans", "zh-CN", "ZH_tw"])
def test_a_chinese_language_code_reads_chinese(code: str) -> None:
    from bot.desk.reader_language import chat_language

    assert chat_language(None, "private", code) == "zh"
    assert chat_language(None, "supergroup", code) == "en"
    assert chat_language("en", "private", code) == "en"

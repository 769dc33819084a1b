"""Telegram conventions: descriptions, joining and leaving groups, deep links, group commands."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time

from bot.desk.buttons import SubscribeButton, encode
from bot.store.chats import Schedule
from briefings.render.templates import render_template
from tests.bot.conftest import Harness

USER, ADMIN, MEMBER, OTHER = 6001, 6002, 6003, 6004
CONFIRM_SUBSCRIBE = encode(SubscribeButton())
GROUP = -100600


async def test_descriptions_are_set_from_templates_at_start(bot: Harness) -> None:
    await bot.server.wait_for_call("setMyShortDescription")
    shown = bot.server.descriptions()
    assert shown["description"] == render_template("bot/description.txt.j2", simulated=True).strip()
    assert shown["short_description"] == (
        render_template("bot/short_description.txt.j2", simulated=True).strip()
    )
    assert len(shown["short_description"]) <= 120
    assert "simulated" in shown["description"]


class _Line(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__(logging.INFO)
        self.text = text
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@contextmanager
def log_line(text: str) -> Iterator[asyncio.Event]:
    """Yield an event set when the onboarding handlers log a line containing ``text``."""
    logger = logging.getLogger("bot.chat.onboarding")
    handler, level = _Line(text), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_joining_a_group_greets_once_and_leaving_switches_everything_off(
    bot: Harness,
) -> None:
    group = bot.group(GROUP, admins=(ADMIN,), members=(MEMBER,), title="Traders")
    bot.server.set_bot_status(group, ADMIN, "member")
    greeting = (await bot.settle(group, 0))[0]
    assert "Hello, Traders!" in greeting.shown_text
    assert "/subscribe@marketbrief_bot" in greeting.shown_text

    # Promoted to administrator: still there, no second greeting.
    bot.server.set_bot_status(group, ADMIN, "administrator")
    subscribed = await bot.say_one(group, "/subscribe 08:00 New York", user_id=ADMIN)
    assert "08:00 America/New_York" in subscribed.shown_text
    await bot.say_one(group, "/alerts on", user_id=ADMIN)
    assert [m.shown_text for m in bot.server.bot_messages(group)].count(greeting.shown_text) == 1

    with log_line(f"chat {group}: briefing and alerts switched off") as switched_off:
        bot.server.set_bot_status(group, ADMIN, "left")
        await asyncio.wait_for(switched_off.wait(), 15)
    subscription = bot.services.chats.subscription(group)
    assert subscription is not None
    assert not subscription.active
    assert subscription.inactive_reason is not None
    assert "removed" in subscription.inactive_reason
    alerts = bot.services.chats.alerts(group)
    assert alerts is not None
    assert not alerts.enabled
    assert bot.services.chats.schedules() == set()


async def test_start_subscribe_deep_link_asks_then_subscribes(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    question = await bot.say_one(chat, "/start subscribe")
    assert "Subscribe this chat?" in question.shown_text
    assert "08:00 America/New_York" in question.shown_text
    assert bot.services.chats.subscription(chat) is None

    bot.server.press_button(chat, USER, question.message_id, CONFIRM_SUBSCRIBE)
    await bot.server.wait_for_call("answerCallbackQuery")
    edited = next(m for m in bot.server.bot_messages(chat) if m.message_id == question.message_id)
    assert "Subscribed" in edited.shown_text
    assert edited.reply_markup is None
    subscription = bot.services.chats.subscription(chat)
    assert subscription is not None
    assert subscription.active
    assert subscription.schedule == Schedule(time(8, 0), "America/New_York")


async def test_only_group_admins_may_confirm_a_group_subscription(bot: Harness) -> None:
    group = bot.group(GROUP, admins=(ADMIN,), members=(MEMBER,))
    question = await bot.say_one(group, "/start@marketbrief_bot subscribe", user_id=ADMIN)
    bot.server.press_button(group, MEMBER, question.message_id, CONFIRM_SUBSCRIBE)
    answer = await bot.server.wait_for_call("answerCallbackQuery")
    assert "administrators" in str(answer.params.get("text"))
    assert bot.services.chats.subscription(group) is None

    bot.server.press_button(group, ADMIN, question.message_id, CONFIRM_SUBSCRIBE)
    await bot.server.wait_for_call("answerCallbackQuery", lambda call: not call.params.get("text"))
    subscription = bot.services.chats.subscription(group)
    assert subscription is not None
    assert subscription.active


async def test_help_links_to_adding_the_bot_to_a_group(bot: Harness) -> None:
    reply = await bot.say_one(bot.private_chat(USER), "/help")
    assert "https://t.me/marketbrief_bot?startgroup=subscribe" in (reply.text or "")


async def test_in_groups_only_commands_for_this_bot_get_an_unknown_reply(bot: Harness) -> None:
    group = bot.group(GROUP, members=(MEMBER,))
    bot.server.send_text(group, MEMBER, "/price")
    bot.server.send_text(group, MEMBER, "/price@otherbot")
    reply = await bot.say_one(group, "/price@marketbrief_bot", user_id=MEMBER)
    assert "/price" in reply.shown_text
    assert len(bot.server.bot_messages(group)) == 1
    # A known command addressed to this bot is answered (to the member who asked alone).
    assert await bot.say(group, "/pair@marketbrief_bot IWM SPY", user_id=MEMBER) == []
    assert "IWM" in bot.server.ephemeral_messages(group, MEMBER)[0].shown_text
    # In a private chat every unknown command is answered.
    assert "/price" in (await bot.say_one(bot.private_chat(USER), "/price")).shown_text


async def test_subscribe_resolves_cities_and_refuses_fixed_offsets(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    london = await bot.say_one(chat, "/subscribe 08:00 London")
    assert "08:00 Europe/London" in london.shown_text
    new_york = await bot.say_one(chat, "/subscribe new york 07:15")
    assert "07:15 America/New_York" in new_york.shown_text
    est = await bot.say_one(chat, "/subscribe 08:00 EST")
    assert "daylight saving" in est.shown_text
    assert "America/New_York" in est.shown_text
    assert "Usage" in est.shown_text
    unknown = await bot.say_one(chat, "/subscribe 08:00 Atlantis")
    assert "not a time zone or city" in unknown.shown_text
    subscription = bot.services.chats.subscription(chat)
    assert subscription is not None
    assert subscription.schedule == Schedule(time(7, 15), "America/New_York")

"""/breadth, /movers and /chart breadth through the local Bot API and the real Application."""

from __future__ import annotations

from localapi import SentMessage
from tests.bot.conftest import Harness
from tests.bot.test_charts import assert_chart

USER = 9101


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def visible_lines(message: SentMessage) -> list[str]:
    return (message.shown_text or "").splitlines()


async def test_breadth_shows_the_index_and_every_sector(bot: Harness) -> None:
    bot.server.refuse_rich_messages()  # the HTML view (rich tables: tests/bot/test_rich_views.py)
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/breadth")

    text = reply.shown_text
    assert reply.parse_mode == "HTML"
    assert "Breadth of the members" in text
    assert "S&P 500: 500 of 500 with data" in text
    assert "Above 200d:" in text
    assert "Information Technology:" in text
    assert "Simulated data" in text
    # The shared header and footer aside, every line fits a phone.
    body = [line for line in visible_lines(reply)[:-1] if not line.startswith("⚠️")]
    assert max(len(line) for line in body) <= 40, body


async def test_breadth_of_one_sector_by_a_short_name(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    for words in ("tech", "IT", "information technology"):
        reply = await bot.say_one(chat, f"/breadth {words}")
        assert "Information Technology: breadth" in reply.shown_text
        assert "Above 50d:" in reply.shown_text


async def test_breadth_of_an_unknown_sector_gets_a_usage_reply(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    for words in ("bananas", "consumer", "<b>"):
        reply = await bot.say_one(chat, f"/breadth {words}")
        assert "is not a sector here" in reply.shown_text
        assert "Usage: /breadth [sector]" in reply.shown_text
        assert "Consumer Staples" in reply.shown_text  # the sectors there are


async def test_movers_buttons_switch_the_window_in_place(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/movers")
    assert "Member movers, month to date" in reply.shown_text
    assert "Lifted the index most (pp):" in reply.shown_text
    assert ("• MTD •", "mov:MTD") in buttons(reply)
    assert len(buttons(reply)) == 7

    bot.server.press_button(chat, USER, reply.message_id, "mov:1W")
    await bot.server.wait_for_call("answerCallbackQuery")
    (edited,) = bot.server.bot_messages(chat)
    assert "Member movers, the past week (1W)" in edited.shown_text
    assert ("• 1W •", "mov:1W") in buttons(edited)


async def test_movers_with_a_window_and_bad_input(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/movers ytd")
    assert "(YTD)" in reply.shown_text
    bad = await bot.say_one(chat, "/movers 5Y")
    assert "is not a window" in bad.shown_text
    assert "Usage: /movers [window]" in bad.shown_text
    many = await bot.say_one(chat, "/movers 1D 1W")
    assert "Too many arguments" in many.shown_text


async def test_chart_breadth_sends_the_sector_breadth_png(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    photo = await bot.say_one(chat, "/chart breadth")
    assert_chart(photo, "S&P 500: sector breadth", "200-day average", "Widest: ", "(dashed line)")


async def test_the_menu_and_help_list_the_member_commands(bot: Harness) -> None:
    names = [c.command for c in bot.server.commands()]
    assert {"breadth", "movers"} <= set(names)
    chat = bot.private_chat(USER)
    help_text = (await bot.say_one(chat, "/help")).shown_text
    assert "/breadth [sector]" in help_text
    assert "/movers [window]" in help_text


async def test_the_breadth_chart_can_follow_the_daily_briefing(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    await bot.say(chat, "/subscribe 08:00 America/New_York")
    reply = await bot.say_one(chat, "/settings chart breadth")
    assert "sector breadth chart of the index members" in reply.shown_text
    settings = await bot.say_one(chat, "/settings")
    assert "Chart after the briefing: breadth" in settings.shown_text

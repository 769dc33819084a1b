"""Every on-demand command through the local Bot API and the real Application."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import pytest

from localapi import ApiCall, SentMessage
from tests.bot.conftest import ADMIN_ID, BOT_USERNAME, TOKEN, Harness

USER = 2002


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def answering(query_id: str) -> Callable[[ApiCall], bool]:
    return lambda call: call.params.get("callback_query_id") == query_id


def assert_html_reply(message: SentMessage) -> None:
    assert message.parse_mode == "HTML"
    assert len(message.text or "") <= 4096


async def test_start_and_help_explain_the_bot(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    for command in ("/start", "/help"):
        reply = await bot.say_one(chat, command)
        assert_html_reply(reply)
        assert "Market rotation briefings" in reply.shown_text
        for name in ("/brief", "/rotation", "/sectors", "/since", "/pair", "/subscribe", "/rrg"):
            assert name in reply.shown_text
        assert "08:00 America/New_York" in reply.shown_text
        assert "simulated" in reply.shown_text


async def test_the_command_menu_is_registered_without_stats(bot: Harness) -> None:
    names = [c.command for c in bot.server.commands()]
    assert names[:3] == ["brief", "rotation", "sectors"]
    assert {"since", "pair", "subscribe", "unsubscribe", "settings", "help"} <= set(names)
    assert {"rrg", "chart", "alerts", "tickers"} <= set(names)
    assert "stats" not in names


async def test_a_groups_menu_makes_its_on_demand_views_ephemeral_commands(bot: Harness) -> None:
    for language_code in ("", "zh"):
        menu = bot.server.commands({"type": "all_group_chats"}, language_code)
        ephemeral = {c.command for c in menu if c.is_ephemeral}
        assert {"pair", "since", "sectors", "rotation", "movers", "breadth"} <= ephemeral
        assert not {"brief", "subscribe", "settings", "help"} & ephemeral
        assert [c.command for c in menu] == [c.command for c in bot.server.commands()]
    assert not any(c.is_ephemeral for c in bot.server.commands())  # private chats: as before


async def test_brief_full_sends_the_whole_briefing(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    [reply] = await bot.say(chat, "/brief full")  # one rich message
    assert reply.rich_message is not None
    text = reply.shown_text
    assert "Market rotation brief" in text
    assert "Simulated data" in text
    assert "Rotation" in text
    assert "Sectors" in text


async def test_brief_full_is_html_where_rich_messages_are_refused(bot: Harness) -> None:
    bot.server.refuse_rich_messages()
    chat = bot.private_chat(USER)
    replies = await bot.say(chat, "/brief full")
    assert replies
    for reply in replies:
        assert_html_reply(reply)
    assert "Market rotation brief" in "\n".join(r.shown_text for r in replies)


async def test_rotation_buttons_switch_the_window_in_place(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/rotation")
    assert "(MTD)" in reply.shown_text
    assert len(buttons(reply)) == 7
    assert ("• MTD •", "rot:MTD") in buttons(reply)
    assert all(len(data.encode()) <= 64 for _, data in buttons(reply))

    update = bot.server.press_button(chat, USER, reply.message_id, "rot:1M")
    query_id = update["callback_query"]["id"]
    await bot.server.wait_for_call("answerCallbackQuery")
    edited = bot.server.bot_messages(chat)
    assert len(edited) == 1  # edited, not a new message
    assert "(1M)" in edited[0].shown_text
    assert ("• 1M •", "rot:1M") in buttons(edited[0])
    assert query_id in bot.server.answered_callbacks

    # Pressing the window already shown changes nothing but is still answered.
    again = bot.server.press_button(chat, USER, reply.message_id, "rot:1M")
    await bot.server.wait_for_call("answerCallbackQuery", answering(again["callback_query"]["id"]))
    assert len(bot.server.bot_messages(chat)) == 1


async def test_sectors_take_a_window_in_any_case(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/sectors ytd")
    assert "(YTD)" in reply.shown_text
    assert "Technology" in reply.shown_text
    assert ("• YTD •", "sec:YTD") in buttons(reply)
    bot.server.press_button(chat, USER, reply.message_id, "sec:1W")
    await bot.server.wait_for_call("answerCallbackQuery")
    assert "(1W)" in bot.server.bot_messages(chat)[0].shown_text


async def test_factors_show_each_factor_against_the_s_and_p_500(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/factors 1m")
    assert "(1M)" in reply.shown_text
    assert "IWD" in reply.shown_text  # value, which the demo market simulates
    usage = await bot.say_one(chat, "/factors 2Q")
    assert "not a window" in usage.shown_text


async def test_a_stale_button_gets_a_short_answer(bot: Harness) -> None:
    bot.private_chat(USER)
    user = {"id": USER, "is_bot": False, "first_name": "Ann"}
    for query_id, data in (("stale-1", "rot:5Y"), ("stale-2", "old-format"), ("stale-3", "")):
        bot.server.add_update(
            {"callback_query": {"id": query_id, "from": user, "chat_instance": "9", "data": data}}
        )
        call = await bot.server.wait_for_call("answerCallbackQuery", answering(query_id))
        assert "expired" in call.params["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/rotation 5Y", "is not a window"),
        ("/sectors MTD 1M", "Too many arguments"),
        ("/brief now", "is not an option"),
        ("/brief full now", "Too many arguments"),
        ("/since", "Which date"),
        ("/since 20-11-2025", "is not a date"),
        ("/since 1900-01-01", "Usage: /since YYYY-MM-DD"),
        ("/since 2999-01-01", "Usage: /since YYYY-MM-DD"),
        ("/pair IWM", "Give two tickers"),
        ("/pair IWM/", "Give two tickers"),
        ("/pair IWM/SPY/QQQ", "Give two tickers"),
        ("/pair IWM iwm", "both legs are IWM"),
        ("/pair rut/^RUT", "give two different tickers"),
        ("/pair NOPE SPY", "Usage: /pair LEAD LAG"),
        ("/tickers all", "takes no arguments"),
        ("/pair IWM SPY QQQ", "Too many arguments"),
        ("/since " + "9" * 2000, "far too long"),
        ("/frobnicate", "I don't know /frobnicate"),
        ("hello there", "I answer commands"),
    ],
)
async def test_malformed_input_gets_a_short_usage_reply(
    bot: Harness, text: str, expected: str
) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, text)
    assert expected in reply.shown_text
    assert len(reply.shown_text) < 400
    assert "Something went wrong" not in reply.shown_text


async def test_since_and_pair_answer_valid_input(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    since = await bot.say_one(chat, "/since 2025-04-08")
    assert "Since the close of Tue 08 Apr 2025" in since.shown_text
    pair = await bot.say_one(chat, "/pair iwm spy")
    assert "IWM return minus SPY return" in pair.shown_text
    # A table of both legs' own returns beside the spread, one row per window.
    rows = pair.shown_text.splitlines()
    head = next(i for i, row in enumerate(rows) if row.split() == ["IWM", "SPY", "spread"])
    assert rows[head + 1].split()[0] == "1D"
    for window in ("1D", "1W", "MTD", "1M", "3M", "YTD", "1Y"):
        (row,) = [r for r in rows if r.split()[:1] == [window]]
        lead, lag, spread = (float(cell.rstrip("%")) for cell in row.split()[1:])
        assert spread == pytest.approx(lead - lag, abs=0.11)  # each shown to 0.1
    # Phone-sized lines, but for the shared simulated-data header and footer.
    assert [row for row in rows if len(row) > 40 and "imulated" not in row] == []
    slashed = await bot.say_one(chat, "/pair IWM/SPY")
    assert slashed.shown_text == pair.shown_text
    index = await bot.say_one(chat, "/pair gspc rut")
    assert "^GSPC return minus ^RUT return" in index.shown_text


async def test_baskets_are_named_never_by_their_internal_id(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    for text in ("/pair cyclicals megacap_tech", "/pair basket:cyclicals/SPY", "/since 2025-04-08"):
        reply = await bot.say_one(chat, text)
        assert "Cyclical industries" in reply.shown_text
        assert "basket:" not in reply.shown_text
    other = await bot.say_one(chat, "/pair xlk megacap_tech")
    assert "XLK vs Mega-cap tech" in other.shown_text
    assert "basket:" not in other.shown_text


async def test_tickers_lists_what_can_be_asked(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    reply = await bot.say_one(chat, "/tickers")
    assert_html_reply(reply)
    text = reply.shown_text
    assert "Benchmarks: SPY, RSP, QQQ, ^GSPC, ^NDX, ^RUT" in text
    assert "Sectors: XLK, XLV, XLF" in text
    assert "cyclicals: Cyclical industries" in text
    assert "/pair IWM/SPY" in text
    assert "basket:" not in text
    usage = await bot.say_one(chat, "/pair")
    assert "/tickers" in usage.shown_text


async def test_commands_for_other_bots_in_groups_are_ignored(bot: Harness) -> None:
    group = bot.group(-100500, members=(USER,))
    bot.server.send_text(group, USER, "/brief@other_bot")
    reply = await bot.say_one(group, f"/settings@{BOT_USERNAME}", user_id=USER)
    assert "daily briefing" in reply.shown_text  # the only reply: /brief@other_bot got none


async def test_stats_is_for_admins_only(bot: Harness) -> None:
    admin = bot.private_chat(ADMIN_ID)
    stats = await bot.say_one(admin, "/stats")
    assert "Bot statistics" in stats.shown_text
    assert "Subscribers" in stats.shown_text
    assert "stored through" in stats.shown_text
    assert "Alerts: 0 chats on" in stats.shown_text
    assert "Charts: 0 drawn" in stats.shown_text
    stranger = bot.private_chat(USER)
    refused = await bot.say_one(stranger, "/stats")
    assert "I don't know /stats" in refused.shown_text


async def test_the_token_never_reaches_the_log(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = bot.private_chat(USER)
    await bot.say(chat, "/brief")
    reply = await bot.say_one(chat, "/rotation")
    bot.server.press_button(chat, USER, reply.message_id, "rot:3M")
    await bot.server.wait_for_call("answerCallbackQuery")
    bot.server.add_fault("sendMessage", chat_id=chat, kind="server_error")
    await bot.say(chat, "/help")  # the failed send is logged with its error
    assert caplog.records
    assert TOKEN not in caplog.text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


async def test_a_failing_handler_is_logged_and_answered(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = bot.private_chat(USER)
    bot.services.database.close()  # the database goes away under the running bot
    with caplog.at_level(logging.ERROR):
        reply = await bot.say_one(chat, "/subscribe")
    assert "Something went wrong" in reply.shown_text
    assert any("handler failed" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_write_blocked_by_another_process_delays_only_the_chat_that_asked(
    bot: Harness,
) -> None:
    writer, reader = bot.private_chat(USER), bot.private_chat(USER + 1)
    # Another process (say `marketbrief push`) holds the database's write lock.
    other = sqlite3.connect(bot.services.database.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        seen = len(bot.server.bot_messages(writer))
        bot.server.send_text(writer, writer, "/subscribe")
        # Fetched after /subscribe, handled while its write waits for the lock.
        reply = await bot.say_one(reader, "/help")
        assert "Market rotation briefings" in reply.shown_text
        assert len(bot.server.bot_messages(writer)) == seen
    finally:
        other.execute("COMMIT")
        other.close()
    (subscribed,) = await bot.server.wait_for_messages(writer, seen + 1, timeout=15)
    assert "Subscribed" in subscribed.shown_text

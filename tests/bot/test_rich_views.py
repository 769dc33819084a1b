"""Table views as rich messages through the local Bot API and the real Application, and the
HTML fallback for a chat where Telegram refused one."""

from __future__ import annotations

from typing import Any

from localapi import SentMessage
from tests.bot.conftest import Harness

ANN, BEN = 2002, 2003
GROUP = -100555


def _table(message: SentMessage) -> dict[str, Any]:
    assert message.rich_message is not None
    tables: list[dict[str, Any]] = [
        b for b in message.rich_message["blocks"] if b["type"] == "table"
    ]
    [table] = tables
    return table


async def test_sectors_arrive_as_a_rich_message_with_a_table(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    reply = await bot.say_one(chat, "/sectors YTD")
    table = _table(reply)
    header, *rows = table["cells"]
    assert all(cell.get("is_header") for cell in header)
    assert [cell["text"] for cell in header][-1] == "YTD"
    snapshot = await bot.services.desk.snapshot()
    board = snapshot.briefing.leaderboards["YTD"]
    assert [row[2]["text"] for row in rows] == [line.ticker for line in board]
    assert rows[0][3]["align"] == "right"
    assert reply.reply_markup is not None
    keyboard = reply.reply_markup["inline_keyboard"]
    assert ("• YTD •", "sec:YTD") in [(b["text"], b["callback_data"]) for r in keyboard for b in r]


async def test_a_window_button_switches_the_rich_table_in_place(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    reply = await bot.say_one(chat, "/sectors YTD")
    update = bot.server.press_button(chat, ANN, reply.message_id, "sec:1M")
    query_id = update["callback_query"]["id"]
    await bot.server.wait_for_call(
        "answerCallbackQuery", lambda call: call.params.get("callback_query_id") == query_id
    )
    [edited] = bot.server.bot_messages(chat)
    assert [cell["text"] for cell in _table(edited)["cells"][0]][-1] == "1M"
    assert edited.edits  # the same message, edited


async def test_a_refusal_falls_back_to_html_and_the_chat_keeps_it(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    other = bot.private_chat(BEN, "Ben")
    bot.server.refuse_rich_messages()
    [reply] = await bot.say(chat, "/sectors YTD")  # nothing lost: the HTML view arrives
    assert reply.rich_message is None
    assert reply.parse_mode == "HTML"
    assert "Sectors, year to date" in reply.shown_text
    assert not await bot.services.database.run(bot.services.chats.reads_rich, chat)

    bot.server.refuse_rich_messages(False)
    [again] = await bot.say(chat, "/rotation")  # the chat's choice is remembered
    assert (again.rich_message, again.parse_mode) == (None, "HTML")
    [elsewhere] = await bot.say(other, "/rotation")  # other chats still get tables
    assert elsewhere.rich_message is not None
    calls = [c.method for c in bot.server.calls() if c.method == "sendRichMessage"]
    assert len(calls) == 2  # the refused one and the other chat's; none retried for Ann


async def test_a_group_answering_privately_keeps_html_for_the_asker(bot: Harness) -> None:
    bot.group(GROUP, members=(ANN,))
    await bot.say(GROUP, "/sectors", user_id=ANN)
    [answer] = bot.server.ephemeral_messages(GROUP, ANN)
    assert "Sectors" in answer.shown_text
    assert bot.server.bot_messages(GROUP) == []


async def test_breadth_and_movers_arrive_as_rich_tables(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    [breadth] = await bot.say(chat, "/breadth")
    assert breadth.rich_message is not None
    assert "Breadth of the members" in breadth.shown_text
    [movers] = await bot.say(chat, "/movers 1W")
    assert movers.rich_message is not None
    assert "Member movers" in movers.shown_text
    [one_sector] = await bot.say(chat, "/breadth energy")  # a few lines: HTML as before
    assert (one_sector.rich_message, one_sector.parse_mode) == (None, "HTML")

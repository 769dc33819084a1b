"""Rich messages through the typed client (bot.telegram_next) and the local Bot API."""

from __future__ import annotations

import pytest
from telegram import Bot

from bot.telegram_next import (
    RICH_BLOCK_LIMIT,
    RICH_COLUMN_LIMIT,
    RICH_TEXT_LIMIT,
    RichMessage,
    RichRefused,
    edit_rich_message,
    is_rich,
    rich_details,
    rich_heading,
    rich_paragraph,
    rich_size,
    rich_table,
    send_rich_message,
)
from localapi import LocalBotApi

CHAT = 42


def _sectors() -> RichMessage:
    table = rich_table(("#", "Sector", "YTD"), [("1", "Energy", "+9.1%"), ("2", "Tech", "+4.0%")])
    return RichMessage((rich_heading("Sectors", 2), rich_details("Table", [table], is_open=True)))


async def test_a_rich_message_arrives_with_its_table(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(CHAT)
    sent = await send_rich_message(bot, CHAT, _sectors())
    assert is_rich(sent)
    [seen] = server.bot_messages(CHAT)
    assert seen.rich_message is not None
    table = seen.rich_message["blocks"][1]["blocks"][0]
    assert table["type"] == "table"
    assert [cell["text"] for cell in table["cells"][1]] == ["1", "Energy", "+9.1%"]
    assert "Energy\t" in seen.shown_text


async def test_a_rich_message_is_edited_with_another(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(CHAT)
    sent = await send_rich_message(bot, CHAT, _sectors())
    changed = RichMessage((rich_paragraph("Sectors, 1M"),))
    await edit_rich_message(bot, CHAT, sent.message_id, changed)
    [seen] = server.bot_messages(CHAT)
    assert seen.rich_message == changed.to_api()
    with pytest.raises(RichRefused, match=r"(?i)not modified"):
        await edit_rich_message(bot, CHAT, sent.message_id, changed)


@pytest.mark.parametrize(
    ("message", "fault"),
    [
        (RichMessage((rich_paragraph("x" * (RICH_TEXT_LIMIT + 1)),)), "too long"),
        (RichMessage(tuple(rich_paragraph("a") for _ in range(RICH_BLOCK_LIMIT + 1))), "blocks"),
        (RichMessage((rich_table(["c"] * (RICH_COLUMN_LIMIT + 1), []),)), "columns"),
        (RichMessage((rich_heading("big", 7),)), "size"),
        (RichMessage(({"type": "marquee", "text": "no"},)), "unsupported"),
    ],
)
async def test_limits_and_bad_blocks_are_refused(
    server: LocalBotApi, bot: Bot, message: RichMessage, fault: str
) -> None:
    server.add_chat(CHAT)
    with pytest.raises(RichRefused, match=f"(?i){fault}"):
        await send_rich_message(bot, CHAT, message)
    assert server.bot_messages(CHAT) == []


async def test_the_limits_fit_what_is_measured() -> None:
    wide = rich_table(["c"] * 3, [("1", "2", "3")] * 4)
    size = rich_size([rich_details("s", [wide])])
    assert (size.blocks, size.depth, size.columns) == (1 + 1 + 5, 2, 3)
    assert size.characters == 1 + 3 + 4 * 3
    assert size.over_limits() == ()


async def test_a_server_too_old_refuses_rich_messages(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(CHAT)
    server.refuse_rich_messages()
    with pytest.raises(RichRefused, match="unknown"):
        await send_rich_message(bot, CHAT, _sectors())
    assert server.bot_messages(CHAT) == []


async def test_a_server_too_old_refuses_a_rich_edit(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(CHAT)
    sent = await send_rich_message(bot, CHAT, _sectors())
    server.refuse_rich_messages()  # as a server that ignores rich_message: no text to set
    with pytest.raises(RichRefused, match=r"(?i)text is empty"):
        await edit_rich_message(bot, CHAT, sent.message_id, RichMessage((rich_paragraph("x"),)))
    [seen] = server.bot_messages(CHAT)
    assert seen.edits == []

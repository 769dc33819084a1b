"""Input meant to confuse: invisible characters echoed back, commands for other bots."""

from __future__ import annotations

import unicodedata

import pytest

from tests.bot.conftest import BOT_USERNAME, Harness

USER = 3003
GROUP = -100777
RLO, NUL, ESC, LRI, ZWSP = "\u202e", "\x00", "\x1b", "\u2066", "\u200b"
#: User input quoted in an error reply, each with a word of the reply it must get.
ECHOED: dict[str, tuple[str, str]] = {
    "unknown command": (f"/frob{RLO}nicate", "I don't know /frob"),
    "window": (f"/rotation 5{RLO}Y", "is not a window"),
    "date": (f"/since 2025{NUL}-01-01", "is not a date"),
    "brief option": (f"/brief fu{ESC}[31mll", "is not an option"),
    "ticker (a domain error)": (f"/pair IW{RLO}M SPY", "Usage: /pair LEAD LAG"),
    "time zone (an error's detail)": (f"/subscribe 08:00 Atlan{LRI}tis", "not a time zone"),
    "sector (an error's detail)": (f"/breadth te{RLO}ch", "is not a sector"),
    "setting": (f"/settings ch{ZWSP}art", "is not a setting"),
    "language": (f"/language e{RLO}n", "is not a language"),
}


def hidden(text: str) -> list[str]:
    """Return the control and format characters of ``text`` (newlines aside)."""
    return [
        f"U+{ord(char):04X}"
        for char in text
        if unicodedata.category(char) in ("Cc", "Cf") and char != "\n"
    ]


@pytest.mark.parametrize("case", list(ECHOED.values()), ids=list(ECHOED))
async def test_invisible_characters_are_shown_inert_in_error_replies(
    bot: Harness, case: tuple[str, str]
) -> None:
    text, expected = case
    reply = await bot.say_one(bot.private_chat(USER), text)
    assert expected in reply.shown_text
    assert hidden(reply.text or "") == []
    # Where the character was, visibly: U+FFFD, or the escape a domain error's repr() gives.
    assert "\ufffd" in reply.shown_text or "\\u202e" in reply.shown_text


async def test_emoji_sequences_are_echoed_whole(bot: Harness) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    reply = await bot.say_one(bot.private_chat(USER), f"/rotation {family}")
    assert family in reply.shown_text


async def test_commands_for_another_bot_are_ignored_in_a_private_chat(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    bot.server.send_text(chat, USER, "/brief@otherbot")
    bot.server.send_text(chat, USER, "/frobnicate@otherbot")
    # Telegram's names are case-insensitive: this one is for this bot.
    reply = await bot.say_one(chat, f"/frobnicate@{BOT_USERNAME.upper()}")
    assert "I don't know /frobnicate" in reply.shown_text
    assert len(bot.server.bot_messages(chat)) == 1  # the commands for @otherbot got nothing
    brief = await bot.say(chat, f"/pair@{BOT_USERNAME} IWM SPY")
    assert "IWM" in brief[0].shown_text


async def test_commands_for_another_bot_are_ignored_in_a_group(bot: Harness) -> None:
    group = bot.group(GROUP, members=(USER,))
    bot.server.send_text(group, USER, "/frobnicate@otherbot")
    bot.server.send_text(group, USER, "/pair@otherbot IWM SPY")
    reply = await bot.say_one(group, f"/frobnicate@{BOT_USERNAME}", user_id=USER)
    assert "I don't know /frobnicate" in reply.shown_text
    assert len(bot.server.bot_messages(group)) == 1

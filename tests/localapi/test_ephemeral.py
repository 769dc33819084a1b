"""Ephemeral messages through the typed client (bot.telegram_next) and the local Bot API."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden

from bot.telegram_next import (
    EphemeralRefused,
    EphemeralTarget,
    EphemeralText,
    delete_ephemeral,
    edit_ephemeral_reply_markup,
    edit_ephemeral_text,
    ephemeral_ref,
    send_ephemeral_text,
)
from localapi import LocalBotApi

GROUP = -100123
ANN, BEN = 501, 502


def _group(server: LocalBotApi) -> None:
    server.add_chat(GROUP, "supergroup", title="Traders")
    for user in (ANN, BEN):
        server.add_user(user, first_name=f"User {user}")
        server.set_member_status(GROUP, user, "member")


def _keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])


async def test_only_the_receiver_reads_an_ephemeral_message(server: LocalBotApi, bot: Bot) -> None:
    _group(server)
    ref = await send_ephemeral_text(
        bot, EphemeralText(GROUP, "<b>for Ann</b>", EphemeralTarget(ANN), _keyboard("x"))
    )
    assert (ref.chat_id, ref.receiver_user_id) == (GROUP, ANN)
    [seen] = server.ephemeral_messages(GROUP, ANN)
    assert seen.shown_text == "for Ann"
    assert server.ephemeral_messages(GROUP, BEN) == []
    assert server.bot_messages(GROUP) == []


async def test_edits_and_delete_change_the_receivers_copy(server: LocalBotApi, bot: Bot) -> None:
    _group(server)
    ref = await send_ephemeral_text(bot, EphemeralText(GROUP, "one", EphemeralTarget(ANN)))
    await edit_ephemeral_text(bot, ref, "two", _keyboard("y"))
    [seen] = server.ephemeral_messages(GROUP, ANN)
    assert (seen.shown_text, seen.edits) == ("two", ["one"])
    with pytest.raises(EphemeralRefused, match=r"(?i)not modified"):
        await edit_ephemeral_text(bot, ref, "two", _keyboard("y"))
    await edit_ephemeral_reply_markup(bot, ref, None)
    assert server.ephemeral_messages(GROUP, ANN)[0].reply_markup is None
    await delete_ephemeral(bot, ref)
    assert server.ephemeral_messages(GROUP, ANN) == []
    with pytest.raises(EphemeralRefused, match=r"(?i)not found"):
        await delete_ephemeral(bot, ref)


async def test_a_press_is_answered_in_place_for_the_presser(server: LocalBotApi, bot: Bot) -> None:
    _group(server)
    shared = await bot.send_message(GROUP, "summary", reply_markup=_keyboard("open"))
    raw = server.press_button(GROUP, BEN, shared.message_id, "open")
    query = Update.de_json(raw, bot).callback_query
    assert query is not None
    target = EphemeralTarget(BEN, query.id, replace_pressed=True)
    ref = await send_ephemeral_text(bot, EphemeralText(GROUP, "detail", target, _keyboard("b")))
    [seen] = server.ephemeral_messages(GROUP, BEN)
    assert seen.replaces_message_id == shared.message_id
    assert server.bot_messages(GROUP)[0].shown_text == "summary"
    # A press on the ephemeral message comes back with its reference, and cannot be replaced.
    raw = server.press_ephemeral_button(GROUP, BEN, ref.ephemeral_message_id, "b")
    again = Update.de_json(raw, bot).callback_query
    assert again is not None
    assert again.message is not None
    assert ephemeral_ref(again.message) == ref  # type: ignore[arg-type]
    with pytest.raises(EphemeralRefused, match="edited"):
        await send_ephemeral_text(
            bot, EphemeralText(GROUP, "no", EphemeralTarget(BEN, again.id, replace_pressed=True))
        )
    with pytest.raises(LookupError):
        server.press_ephemeral_button(GROUP, ANN, ref.ephemeral_message_id, "b")


@pytest.mark.parametrize(
    ("chat", "receiver", "reason"),
    [(ANN, ANN, r"(?i)only to groups"), (GROUP, 999, r"(?i)user not found")],
)
async def test_refusals_are_typed(
    server: LocalBotApi, bot: Bot, chat: int, receiver: int, reason: str
) -> None:
    _group(server)
    server.add_chat(ANN, "private")
    with pytest.raises(EphemeralRefused, match=reason):
        await send_ephemeral_text(bot, EphemeralText(chat, "x", EphemeralTarget(receiver)))


async def test_an_injected_refusal_and_a_long_text_are_refused(
    server: LocalBotApi, bot: Bot
) -> None:
    _group(server)
    with pytest.raises(EphemeralRefused, match=r"(?i)too long"):
        await send_ephemeral_text(bot, EphemeralText(GROUP, "x" * 4097, EphemeralTarget(ANN)))
    server.refuse_ephemeral_messages("EPHEMERAL_NOT_ALLOWED")
    with pytest.raises(EphemeralRefused, match=r"(?i)ephemeral_not_allowed"):
        await send_ephemeral_text(bot, EphemeralText(GROUP, "x", EphemeralTarget(ANN)))
    assert server.ephemeral_messages(GROUP, ANN) == []


async def test_a_chat_that_shut_the_bot_out_answers_forbidden_not_a_refusal(
    server: LocalBotApi, bot: Bot
) -> None:
    _group(server)
    server.set_bot_status(GROUP, ANN, "kicked")
    with pytest.raises(Forbidden):
        await send_ephemeral_text(bot, EphemeralText(GROUP, "x", EphemeralTarget(BEN)))

"""Answers for one member: a group's on-demand views through the local Bot API and the real bot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.desk.buttons import ShareButton, encode
from tests.bot.conftest import Harness

GROUP = -100777
ADMIN, ANN, BEN = 2001, 2002, 2003
SHARE = encode(ShareButton())


def _buttons(markup: dict[str, object] | None) -> list[str]:
    rows = (markup or {}).get("inline_keyboard", [])
    assert isinstance(rows, list)
    return [button["callback_data"] for row in rows for button in row]


async def test_a_members_pair_is_seen_by_that_member_only_and_share_posts_it(
    bot: Harness,
) -> None:
    bot.group(GROUP, admins=(ADMIN,), members=(ANN, BEN))
    public = await bot.say(GROUP, "/pair IWM SPY", user_id=ANN)
    assert public == []
    [answer] = bot.server.ephemeral_messages(GROUP, ANN)
    assert "IWM" in answer.shown_text
    assert _buttons(answer.reply_markup) == [SHARE]
    assert bot.server.ephemeral_messages(GROUP, BEN) == []
    assert bot.server.ephemeral_messages(GROUP, ADMIN) == []

    update = bot.server.press_ephemeral_button(GROUP, ANN, answer.ephemeral_message_id, SHARE)
    await bot.handled.wait(int(update["update_id"]), 15)
    [shared] = bot.server.bot_messages(GROUP)
    assert shared.shown_text == answer.shown_text
    assert shared.entities  # the bold and code of the view survive the trip
    assert bot.server.ephemeral_messages(GROUP, ANN) == []  # the private copy is gone
    assert bot.server.answered_callbacks[-1] == update["callback_query"]["id"]


async def test_a_refused_ephemeral_answer_is_posted_to_the_group(bot: Harness) -> None:
    bot.group(GROUP, members=(ANN,))
    bot.server.refuse_ephemeral_messages("EPHEMERAL_NOT_ALLOWED")
    [answer] = await bot.say(GROUP, "/since 2025-11-03", user_id=ANN)
    assert "2025" in answer.shown_text or "Nov" in answer.shown_text
    assert bot.server.ephemeral_messages(GROUP, ANN) == []


async def test_private_chats_and_public_groups_answer_as_before(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    assert "IWM" in (await bot.say_one(chat, "/pair IWM SPY")).shown_text
    bot.group(GROUP, admins=(ADMIN,), members=(BEN,))
    await bot.say(GROUP, "/settings replies public", user_id=ADMIN)
    answer = await bot.say_one(GROUP, "/tickers", user_id=BEN)
    assert "SPY" in answer.shown_text
    assert bot.server.ephemeral_messages(GROUP, BEN) == []


async def test_only_administrators_choose_where_a_groups_answers_go(bot: Harness) -> None:
    bot.group(GROUP, admins=(ADMIN,), members=(ANN,))
    refused = await bot.say_one(GROUP, "/settings replies public", user_id=ANN)
    assert "Only this group's administrators" in refused.shown_text
    assert await bot.services.database.run(bot.services.chats.replies, GROUP) is None
    await bot.say(GROUP, "/breadth", user_id=ANN)
    assert len(bot.server.ephemeral_messages(GROUP, ANN)) == 1  # still private by default

    changed = await bot.say_one(GROUP, "/settings replies public", user_id=ADMIN)
    assert "whole group" in changed.shown_text
    assert await bot.services.database.run(bot.services.chats.replies, GROUP) == "public"
    settings = await bot.say_one(GROUP, "/settings", user_id=ANN)
    assert "to the whole group" in settings.shown_text
    usage = await bot.say_one(GROUP, "/settings replies loud", user_id=ADMIN)
    assert "private, public" in usage.shown_text
    await bot.say_one(GROUP, "/settings replies private", user_id=ADMIN)
    assert await bot.say(GROUP, "/breadth", user_id=ANN) == []
    assert len(bot.server.ephemeral_messages(GROUP, ANN)) == 2


async def test_replies_setting_is_refused_in_a_private_chat(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    answer = await bot.say_one(chat, "/settings replies private")
    assert "groups only" in answer.shown_text


def _labelled(markup: dict[str, object] | None) -> dict[str, str]:
    rows = (markup or {}).get("inline_keyboard", [])
    assert isinstance(rows, list)
    return {button["text"]: button["callback_data"] for row in rows for button in row}


async def _press(bot: Harness, update: dict[str, object]) -> None:
    query = update["callback_query"]
    assert isinstance(query, dict)
    await bot.server.wait_for_call(
        "answerCallbackQuery", lambda call: call.params.get("callback_query_id") == query["id"]
    )


async def test_a_members_summary_press_turns_the_page_for_that_member_alone(
    bot: Harness,
) -> None:
    bot.group(GROUP, admins=(ADMIN,), members=(ANN, BEN))
    [summary] = await bot.say(GROUP, "/brief", user_id=ADMIN)
    rotation = _labelled(summary.reply_markup)["🔄 Rotation"]
    await _press(bot, bot.server.press_button(GROUP, ANN, summary.message_id, rotation))

    [shared] = bot.server.bot_messages(GROUP)
    assert (shared.shown_text, shared.edits) == (summary.shown_text, [])  # B's view unchanged
    assert bot.server.ephemeral_messages(GROUP, BEN) == []
    [page] = bot.server.ephemeral_messages(GROUP, ANN)
    assert page.replaces_message_id == summary.message_id
    assert "Rotation, month to date" in page.shown_text

    sectors = _labelled(page.reply_markup)["🏁 Sectors"]
    await _press(
        bot, bot.server.press_ephemeral_button(GROUP, ANN, page.ephemeral_message_id, sectors)
    )
    [page] = bot.server.ephemeral_messages(GROUP, ANN)
    assert "Sectors, month to date" in page.shown_text
    back = _labelled(page.reply_markup)["◀ Summary"]
    await _press(
        bot, bot.server.press_ephemeral_button(GROUP, ANN, page.ephemeral_message_id, back)
    )
    assert bot.server.ephemeral_messages(GROUP, ANN) == []  # the shared summary shows again
    assert bot.server.bot_messages(GROUP)[0].edits == []


async def test_a_refused_private_page_turns_the_shared_message_as_before(bot: Harness) -> None:
    bot.group(GROUP, admins=(ADMIN,), members=(ANN,))
    [summary] = await bot.say(GROUP, "/brief", user_id=ADMIN)
    bot.server.refuse_ephemeral_messages("EPHEMERAL_NOT_ALLOWED")
    rotation = _labelled(summary.reply_markup)["🔄 Rotation"]
    await _press(bot, bot.server.press_button(GROUP, ANN, summary.message_id, rotation))
    [shared] = bot.server.bot_messages(GROUP)
    assert "Rotation, month to date" in shared.shown_text


async def test_a_members_window_view_switches_privately_and_shares(bot: Harness) -> None:
    bot.group(GROUP, members=(ANN, BEN))
    assert await bot.say(GROUP, "/sectors", user_id=ANN) == []
    [answer] = bot.server.ephemeral_messages(GROUP, ANN)
    buttons = _labelled(answer.reply_markup)
    assert "• MTD •" in buttons
    assert SHARE in buttons.values()
    await _press(
        bot,
        bot.server.press_ephemeral_button(GROUP, ANN, answer.ephemeral_message_id, buttons["YTD"]),
    )
    [answer] = bot.server.ephemeral_messages(GROUP, ANN)
    assert "• YTD •" in _labelled(answer.reply_markup)
    assert SHARE in _labelled(answer.reply_markup).values()
    assert bot.server.bot_messages(GROUP) == []
    await _press(
        bot, bot.server.press_ephemeral_button(GROUP, ANN, answer.ephemeral_message_id, SHARE)
    )
    [shared] = bot.server.bot_messages(GROUP)
    assert shared.shown_text == answer.shown_text
    assert bot.server.ephemeral_messages(GROUP, BEN) == []


async def test_a_members_chart_is_theirs_until_shared_and_posted_when_refused(
    bot: Harness,
) -> None:
    bot.group(GROUP, members=(ANN, BEN))
    assert await bot.say(GROUP, "/chart", user_id=ANN, timeout=60) == []
    [photo] = bot.server.ephemeral_messages(GROUP, ANN)
    assert photo.kind == "photo"
    assert photo.photo is not None
    assert photo.photo.startswith(b"\x89PNG")
    assert bot.server.ephemeral_messages(GROUP, BEN) == []
    await _press(
        bot, bot.server.press_ephemeral_button(GROUP, ANN, photo.ephemeral_message_id, SHARE)
    )
    [shared] = bot.server.bot_messages(GROUP)
    assert (shared.kind, shared.photo, shared.shown_text) == (
        "photo",
        photo.photo,
        photo.shown_text,
    )

    bot.server.refuse_ephemeral_messages("EPHEMERAL_NOT_ALLOWED")
    [posted] = await bot.say(GROUP, "/chart", user_id=BEN, timeout=60)
    assert posted.photo == photo.photo


async def test_the_next_briefing_is_a_time_in_each_readers_own_zone(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    for command in ("/subscribe 07:30 Europe/London", "/settings"):
        reply = await bot.say_one(chat, command)
        [moment] = [e for e in reply.entities if e["type"] == "date_time"]
        start, end = moment["offset"], moment["offset"] + moment["length"]
        assert "07:30" in reply.shown_text[start:end]  # the text older clients show
        at = datetime.fromtimestamp(moment["unix_time"], ZoneInfo("Europe/London"))
        assert (at.hour, at.minute, moment["date_time_format"]) == (7, 30, "wDT")

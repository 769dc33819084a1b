"""The daily summary and its view buttons, through the local Bot API and the real Application."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.services.jobs import push_now
from localapi import ApiCall, LocalBotApi, SentMessage
from tests.bot.conftest import Harness, running_bot

USER = 3003
PHONE_WIDTH = 40


def buttons(message: SentMessage) -> dict[str, str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def answering(query_id: str) -> Callable[[ApiCall], bool]:
    return lambda call: call.params.get("callback_query_id") == query_id


async def press(bot: Harness, chat: int, message: SentMessage, label: str) -> ApiCall:
    """Press the button labelled ``label`` (the current one) and wait for its answer."""
    data = buttons(message)[label]
    update = bot.server.press_button(chat, USER, message.message_id, data)
    return await bot.server.wait_for_call(
        "answerCallbackQuery", answering(update["callback_query"]["id"])
    )


def current(bot: Harness, chat: int, message_id: int) -> SentMessage:
    return next(m for m in bot.server.bot_messages(chat) if m.message_id == message_id)


async def test_brief_is_one_phone_sized_summary_with_view_buttons(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    summary = await bot.say_one(chat, "/brief")
    assert summary.parse_mode == "HTML"
    lines = summary.shown_text.splitlines()
    assert "Market rotation brief" in lines[0]
    assert "Simulated data" in summary.shown_text
    assert len(lines) <= 26
    assert max(len(line) for line in lines) <= PHONE_WIDTH
    labels = {"🔄 Rotation", "🏁 Sectors", "📈 Breadth", "📉 Since low", "📊 Chart", "📜 Full"}
    assert set(buttons(summary)) == labels
    assert all(len(data.encode()) <= 64 for data in buttons(summary).values())


async def test_each_button_opens_its_view_in_place_and_back_returns_the_summary(
    bot: Harness,
) -> None:
    chat = bot.private_chat(USER)
    summary = await bot.say_one(chat, "/brief")
    expected = {
        "🔄 Rotation": "Rotation, month to date",
        "🏁 Sectors": "Sectors, month to date",
        "📈 Breadth": "Breadth of the members",  # the same view as /breadth
        "📉 Since low": "Since the S&P 500 index low",
        "📜 Full": "Market rotation brief",
    }
    for label, heading in expected.items():
        await press(bot, chat, current(bot, chat, summary.message_id), label)
        shown = current(bot, chat, summary.message_id)
        assert heading in shown.shown_text, label
        assert f"• {label} •" in buttons(shown)
        assert len(bot.server.bot_messages(chat)) == 1  # edited, not a new message
        await press(bot, chat, shown, "◀ Summary")
        back = current(bot, chat, summary.message_id)
        assert back.shown_text == summary.shown_text
        assert "◀ Summary" not in buttons(back)


async def test_the_chart_button_sends_the_pairs_chart(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    summary = await bot.say_one(chat, "/brief")
    await press(bot, chat, summary, "📊 Chart")
    photo = (await bot.settle(chat, 1, timeout=60))[0]
    assert photo.kind == "photo"
    assert "Rotation pairs" in (photo.caption or "")
    assert current(bot, chat, summary.message_id).shown_text == summary.shown_text


async def test_old_buttons_work_after_a_restart_and_unknown_sessions_say_expired(
    server: LocalBotApi, data_dir: Path
) -> None:
    async with running_bot(server, data_dir) as first:
        chat = first.private_chat(USER)
        summary = await first.say_one(chat, "/brief")
    async with running_bot(server, data_dir) as second:
        answer = await press(second, chat, summary, "📈 Breadth")
        assert "text" not in answer.params or not answer.params["text"]
        assert "Breadth of the members" in current(second, chat, summary.message_id).shown_text
        user = {"id": USER, "is_bot": False, "first_name": "Ann"}
        for query_id, data in (("gone-1", "v:rot:1990-01-02"), ("gone-2", "v:zzz:2025-11-20")):
            message = {"message_id": summary.message_id, "chat": {"id": chat, "type": "private"}}
            second.server.add_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user,
                        "chat_instance": "9",
                        "data": data,
                        "message": {**message, "date": 0},
                    }
                }
            )
            call = await second.server.wait_for_call("answerCallbackQuery", answering(query_id))
            assert "expired" in call.params["text"]


async def test_the_daily_push_is_the_summary_with_its_buttons(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    await bot.say(chat, "/subscribe")
    seen = len(bot.server.bot_messages(chat))
    await push_now(bot.application, [chat])
    pushed = (await bot.settle(chat, seen))[0]
    assert "Market rotation brief" in pushed.shown_text
    assert len(pushed.shown_text.splitlines()) <= 26
    assert "📜 Full" in buttons(pushed)
    await press(bot, chat, pushed, "🔄 Rotation")
    assert "Rotation, month to date" in current(bot, chat, pushed.message_id).shown_text

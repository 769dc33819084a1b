"""The real PTB Bot against LocalBotApi: results PTB can read, and errors as the real server."""

from __future__ import annotations

import datetime as dtm
import hashlib

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from localapi import FloodLimits, LocalBotApi
from tests.localapi.conftest import TOKEN, png_bytes

USER = 42
GROUP = -1001


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d) for d in data]])


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "marketbrief_bot", True)


async def test_html_message_is_parsed_and_recorded(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    sent = await bot.send_message(USER, "<b>SPY</b> &amp; IWM: +1.2%", parse_mode="HTML")
    assert sent.text == "SPY & IWM: +1.2%"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 3)]
    [recorded] = server.bot_messages(USER)
    assert (recorded.message_id, recorded.kind, recorded.parse_mode) == (
        sent.message_id,
        "text",
        "HTML",
    )
    assert recorded.text == "<b>SPY</b> &amp; IWM: +1.2%"
    assert recorded.shown_text == "SPY & IWM: +1.2%"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<div>x</div>", 'Can\'t parse entities: unsupported start tag "div" at byte offset 0'),
        ("S&P 500", "Can't parse entities: character '&' at byte offset 1"),
        ("<b>open", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        ("x" * 4097, "Message is too long"),
    ],
)
async def test_invalid_texts_raise_bad_request(
    server: LocalBotApi, bot: Bot, text: str, description: str
) -> None:
    server.add_chat(USER)
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER, text, parse_mode="HTML")
    assert caught.value.message.startswith(description)
    assert server.bot_messages(USER) == []
    assert server.calls("sendMessage")[-1].status == 400


async def test_empty_text_and_unknown_chat_raise_bad_request(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(USER, "")
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(999, "hello")


async def test_callback_data_over_64_bytes_is_refused(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    await bot.send_message(USER, "ok", reply_markup=keyboard("d" * 64))
    with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("é" * 33))


async def test_button_without_action_is_refused(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    markup = {"inline_keyboard": [[{"text": "no action"}]]}
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(USER, "x", reply_markup=markup)  # type: ignore[arg-type]


async def test_edits_are_recorded_and_identical_edits_refused(
    server: LocalBotApi, bot: Bot
) -> None:
    server.add_chat(USER)
    sent = await bot.send_message(USER, "Loading…", reply_markup=keyboard("refresh"))
    same_keyboard = keyboard("refresh")
    edited = await bot.edit_message_text(
        "<i>Ready</i>", USER, sent.message_id, parse_mode="HTML", reply_markup=same_keyboard
    )
    assert isinstance(edited, type(sent))
    assert edited.text == "Ready"
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)Message is not modified"):
        await bot.edit_message_text(
            "<i>Ready</i>",
            USER,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=same_keyboard,
        )
    # Without reply_markup Telegram drops the keyboard, as here.
    await bot.edit_message_text("Done", USER, sent.message_id)
    [current] = server.bot_messages(USER)
    assert (current.text, current.reply_markup) == ("Done", None)
    assert current.edits == ["Loading…", "<i>Ready</i>"]


async def test_edit_reply_markup_and_delete(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard("a"))
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("a", "b"))
    assert server.bot_messages(USER)[0].reply_markup == keyboard("a", "b").to_dict()
    assert await bot.delete_message(USER, sent.message_id) is True
    assert server.bot_messages(USER) == []
    assert server.bot_messages(USER, include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match=r"(?i)Message to edit not found"):
        await bot.edit_message_text("gone", USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_photo_upload_keeps_the_bytes(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    image = png_bytes(64, 32)
    sent = await bot.send_photo(USER, image, caption="<b>Breadth</b>", parse_mode="HTML")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (64, 32)
    assert sent.caption == "Breadth"
    [recorded] = server.bot_messages(USER)
    assert (recorded.kind, recorded.photo, recorded.caption) == ("photo", image, "<b>Breadth</b>")
    assert recorded.to_json()["photo"] == {
        "length": len(image),
        "sha256": hashlib.sha256(image).hexdigest(),
    }
    again = await bot.send_photo(USER, sent.photo[-1].file_id)
    assert server.bot_messages(USER)[-1].photo == image
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"", "File must be non-empty"),
        (b"not an image", "Image_process_failed"),
        (png_bytes(400, 10), "Photo_invalid_dimensions"),
    ],
)
async def test_bad_photos_are_refused(
    server: LocalBotApi, bot: Bot, content: bytes, description: str
) -> None:
    server.add_chat(USER)
    with pytest.raises(BadRequest, match=description):
        await bot.send_photo(USER, content)


async def test_media_group_and_document(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    images = [png_bytes(10, 10), png_bytes(20, 10)]
    album = await bot.send_media_group(USER, [InputMediaPhoto(i) for i in images], caption="two")
    assert len(album) == 2
    assert album[0].media_group_id == album[1].media_group_id
    await bot.send_document(USER, b"a,b\n1,2\n", filename="prices.csv")
    recorded = server.bot_messages(USER)
    assert [m.photo for m in recorded[:2]] == images
    assert (recorded[2].kind, recorded[2].document, recorded[2].file_name) == (
        "document",
        b"a,b\n1,2\n",
        "prices.csv",
    )
    with pytest.raises(BadRequest, match=r"(?i)2-10 items"):
        await bot.send_media_group(USER, [InputMediaPhoto(images[0])])


async def test_reply_to_a_missing_message_is_refused(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    question = server.send_text(USER, USER, "what moved?")["message"]
    answer = await bot.send_message(
        USER, "small caps", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "what moved?"
    with pytest.raises(BadRequest, match=r"(?i)Message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(999))
    await bot.send_message(
        USER, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )


@pytest.mark.parametrize(
    "status", ["creator", "administrator", "member", "restricted", "left", "kicked"]
)
async def test_chat_member_statuses(server: LocalBotApi, bot: Bot, status: str) -> None:
    server.add_chat(GROUP, type="supergroup", title="Investors")
    server.add_user(7, first_name="Bo", username="bo")
    server.set_member_status(GROUP, 7, status)
    member = await bot.get_chat_member(GROUP, 7)
    assert (member.status, member.user.username) == (status, "bo")


async def test_administrators_and_chat_info(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(GROUP, type="supergroup", title="Investors", is_forum=True)
    server.set_member_status(GROUP, 1, "creator")
    server.set_member_status(GROUP, 2, "administrator")
    server.set_member_status(GROUP, 3, "member")
    admins = await bot.get_chat_administrators(GROUP)
    assert sorted((a.user.id, a.status) for a in admins) == [(1, "creator"), (2, "administrator")]
    chat = await bot.get_chat(GROUP)
    assert (chat.title, chat.type, chat.is_forum) == ("Investors", "supergroup", True)
    server.add_chat(USER)
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(USER)


async def test_commands_round_trip(server: LocalBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("brief", "Today's rotation brief")])
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("brief", "Today's rotation brief")
    ]
    assert [c.command for c in server.commands()] == ["brief"]
    with pytest.raises(BadRequest, match=r"(?i)Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    await bot.delete_my_commands()
    assert server.commands() == []


async def test_forum_topics_carry_the_thread_id(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(GROUP, type="supergroup", title="Investors", is_forum=True)
    asked = server.send_text(GROUP, 7, "/brief@marketbrief_bot", message_thread_id=5)["message"]
    assert (asked["message_thread_id"], asked["is_topic_message"]) == (5, True)
    assert asked["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    sent = await bot.send_message(GROUP, "brief", message_thread_id=5)
    assert sent.message_thread_id == 5
    assert server.bot_messages(GROUP)[0].message_thread_id == 5


async def test_chat_action(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    assert await bot.send_chat_action(USER, "typing") is True
    assert server.calls("sendChatAction")[0].params == {"chat_id": USER, "action": "typing"}


async def test_retry_after_fault(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    server.add_fault("sendMessage", chat_id=USER, kind="retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "fault consumed")
    assert [m.text for m in server.bot_messages(USER)] == ["fault consumed"]


async def test_faults_match_in_order_and_by_chat(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    server.add_chat(43)
    server.add_fault("sendMessage", chat_id=43, kind="forbidden")
    server.add_fault("sendmessage", kind="server_error", times=2)
    server.add_fault("sendMessage", kind="bad_gateway")
    with pytest.raises(Forbidden, match=r"(?i)Bot was blocked by the user"):
        await bot.send_message(43, "x")
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
            await bot.send_message(USER, "x")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "through")
    assert [c.status for c in server.calls("sendMessage")] == [403, 500, 500, 502, 200]


async def test_timeout_fault_outlasts_the_client(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    server.add_fault("sendMessage", kind="timeout", delay=0.6)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "x", read_timeout=0.2)
    call = await server.wait_for_call("sendMessage", timeout=2.0)
    assert call.status == 502
    assert server.bot_messages(USER) == []


async def test_blocked_chats_answer_forbidden(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(USER)
    server.add_chat(-5, type="group", title="Club")
    server.block_chat(USER)
    server.block_chat(-5)
    with pytest.raises(Forbidden, match=r"(?i)Bot was blocked by the user"):
        await bot.send_message(USER, "x")
    with pytest.raises(Forbidden, match=r"(?i)Bot was kicked from the group chat"):
        await bot.send_photo(-5, png_bytes(5, 5))
    server.unblock_chat(USER)
    await bot.send_message(USER, "back")


async def test_migrated_group_raises_chat_migrated(server: LocalBotApi, bot: Bot) -> None:
    server.add_chat(-5, type="group", title="Club")
    server.migrate_chat(-5, -1005)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-5, "x")
    assert caught.value.new_chat_id == -1005
    sent = await bot.send_message(caught.value.new_chat_id, "moved")
    assert (sent.chat.type, sent.chat.title) == ("supergroup", "Club")


async def test_flood_limits_answer_retry_after(bot: Bot, server: LocalBotApi) -> None:
    server.set_flood_limits(FloodLimits(per_chat_per_second=1.0, per_chat_burst=3))
    server.add_chat(USER)
    for n in range(3):
        await bot.send_message(USER, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "one too many")
    # 3 sends per 3 s window: the first burst send (well under a second ago) frees its slot
    # at +3 s, so retry_after = ceil(3 - elapsed) = 3.
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert server.flood_rejections == 1
    assert len(server.bot_messages(USER)) == 3


async def test_unknown_method_and_wrong_token(server: LocalBotApi) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        unknown = await client.post(f"{server.base_url}{TOKEN}/sendTelepathy")
        assert unknown.status_code == 404
        assert unknown.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        lower = await client.post(f"{server.base_url}{TOKEN}/getme")
        assert lower.json()["result"]["username"] == "marketbrief_bot"
        as_json = await client.post(
            f"{server.base_url}{TOKEN}/sendMessage", json={"chat_id": 1, "text": "x"}
        )
        assert as_json.json()["description"] == "Bad Request: chat not found"
    with pytest.raises(InvalidToken):
        async with Bot("654321:WRONG", base_url=server.base_url):
            pass
    rejected = server.calls("getMe")[-1]
    assert (rejected.status, rejected.description) == (401, "Unauthorized")


def test_tokens_must_look_like_bot_tokens() -> None:
    with pytest.raises(ValueError, match="123456:secret"):
        LocalBotApi(token="not-a-token")


async def test_paid_broadcasts_pass_the_free_limit_through_ptb(
    server: LocalBotApi, bot: Bot
) -> None:
    server.set_flood_limits(FloodLimits(global_per_second=2, paid_per_second=5))
    for chat_id in range(1, 8):
        server.add_chat(chat_id)
    for chat_id in (1, 2):
        await bot.send_message(chat_id, "free")
    with pytest.raises(RetryAfter):
        await bot.send_message(3, "free")
    for chat_id in (3, 4, 5):
        await bot.send_message(chat_id, "paid", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(6, "paid", allow_paid_broadcast=True)
    assert server.paid_broadcasts == 3
    assert server.flood_rejections == 2

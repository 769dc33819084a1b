"""The Bot API methods the local server implements, validating like the real server does.

getUpdates is not here: it waits, so the server runs it (with ApiState's update queue).
Each handler runs with `state.lock` held and returns the JSON `result` or raises ApiError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from localapi.bot_profile import PROFILE_METHODS
from localapi.ephemeral import EPHEMERAL_CHAT_TYPES, GONE_STATUSES
from localapi.errors import ApiError, bad_request
from localapi.html_entities import FormattedText
from localapi.media import image_info
from localapi.params import UploadedFile
from localapi.records import BotCommand, CallbackAnswer
from localapi.rich import refused_as_unknown, rich_message
from localapi.state import ApiState, scope_key
from localapi.text_rules import caption_text, message_text
from localapi.world import ChatRecord, MessageRecord, StoredFile, chat_member

Params = dict[str, Any]
Files = dict[str, UploadedFile]
Handler = Callable[[ApiState, Params, Files], Any]

CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
PHOTO_MAX_SIDE_SUM = 10_000
PHOTO_MAX_ASPECT_RATIO = 20
MEDIA_GROUP_SIZES = range(2, 11)
BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_PATTERN = re.compile(r"[a-z0-9_]{1,32}")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def get_me(state: ApiState, params: Params, files: Files) -> Any:
    """Return the bot's User object with its capabilities."""
    return {
        **state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def succeed(state: ApiState, params: Params, files: Files) -> Any:
    """Answer True (close, logOut)."""
    return True


def set_my_commands(state: ApiState, params: Params, files: Files) -> Any:
    """Store the command list for a scope and language after validating each command."""
    raw_commands = params.get("commands")
    if not isinstance(raw_commands, list) or len(raw_commands) > 100:
        raise bad_request("can't parse commands JSON object")
    commands = []
    for raw in raw_commands:
        if not isinstance(raw, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command, description = str(raw.get("command", "")), str(raw.get("description", ""))
        if not COMMAND_PATTERN.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        is_ephemeral = raw.get("is_ephemeral", False)
        if not isinstance(is_ephemeral, bool):
            raise bad_request("can't parse BotCommand: is_ephemeral must be a Boolean")
        commands.append(BotCommand(command, description, is_ephemeral))
    key = (scope_key(params.get("scope")), str(params.get("language_code", "")))
    state.command_sets[key] = commands
    return True


def get_my_commands(state: ApiState, params: Params, files: Files) -> Any:
    """Return the commands of a scope and language."""
    key = (scope_key(params.get("scope")), str(params.get("language_code", "")))
    return [c.to_api() for c in state.command_sets.get(key, [])]


def delete_my_commands(state: ApiState, params: Params, files: Files) -> Any:
    """Forget the commands of a scope and language."""
    key = (scope_key(params.get("scope")), str(params.get("language_code", "")))
    state.command_sets.pop(key, None)
    return True


def send_message(state: ApiState, params: Params, files: Files) -> Any:
    """Send a text message (to one member only, with ephemeral_message_parameters)."""
    chat = state.resolve_chat(params.get("chat_id"))
    shown = message_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    markup = _reply_markup(params)
    _web_app_only_in_private(chat, markup)
    if params.get("ephemeral_message_parameters") is not None:
        return _send_ephemeral(state, chat, params, shown, markup)
    reply_to = _reply_target(state, chat, params)
    state.admit_send(chat, paid=bool(params.get("allow_paid_broadcast")))
    record = state.store_bot_message(
        chat,
        kind="text",
        text=params["text"],
        parse_mode=params.get("parse_mode"),
        shown=shown,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        **_delivery_options(params),
        link_preview_options=params.get("link_preview_options"),
    )
    return state.message_api(record)


def send_photo(state: ApiState, params: Params, files: Files) -> Any:
    """Send an uploaded (or previously sent) photo with an optional caption."""
    return _send_file(state, params, files, "photo")


def send_document(state: ApiState, params: Params, files: Files) -> Any:
    """Send an uploaded (or previously sent) document with an optional caption."""
    return _send_file(state, params, files, "document")


def send_media_group(state: ApiState, params: Params, files: Files) -> Any:
    """Send 2-10 photos or 2-10 documents as an album; return its messages."""
    chat = state.resolve_chat(params.get("chat_id"))
    media = params.get("media")
    if not isinstance(media, list):
        raise bad_request("expected an Array of InputMedia")
    if len(media) not in MEDIA_GROUP_SIZES:
        raise bad_request("media group must contain 2-10 items")
    kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
    if not kinds <= {"photo", "document"}:
        raise bad_request("only photo and document albums are supported by the local Bot API")
    if len(kinds) > 1:
        raise bad_request("can't use the media of the specified type in the album")
    items = []
    for item in media:
        stored = _stored_file(state, item.get("media"), files, item["type"], None)
        caption = caption_text(
            item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
        )
        items.append((item, stored, caption))
    reply_to = _reply_target(state, chat, params)
    state.admit_send(chat, paid=bool(params.get("allow_paid_broadcast")))
    group_id = str(next(state.media_group_ids) * 1_000_003)
    records = [
        state.store_bot_message(
            chat,
            kind=item["type"],
            caption=item.get("caption"),
            parse_mode=item.get("parse_mode"),
            shown=caption,
            file=stored,
            reply_to_message_id=reply_to,
            media_group_id=group_id,
            **_delivery_options(params),
        )
        for item, stored, caption in items
    ]
    return [state.message_api(record) for record in records]


def send_rich_message(state: ApiState, params: Params, files: Files) -> Any:
    """Send a rich message (blocks: headings, paragraphs, tables, details), within its limits."""
    if state.rich_messages_refused:
        raise refused_as_unknown()
    chat = state.resolve_chat(params.get("chat_id"))
    if params.get("rich_message") is None:
        raise bad_request("rich message must be specified")
    rich, plain = rich_message(params["rich_message"])
    markup = _reply_markup(params)
    _web_app_only_in_private(chat, markup)
    reply_to = _reply_target(state, chat, params)
    state.admit_send(chat, paid=bool(params.get("allow_paid_broadcast")))
    record = state.store_bot_message(
        chat,
        kind="text",
        shown=FormattedText(plain),
        reply_markup=markup,
        reply_to_message_id=reply_to,
        **_delivery_options(params),
        rich_message=rich,
    )
    return state.message_api(record)


def edit_message_text(state: ApiState, params: Params, files: Files) -> Any:
    """Replace a bot text message's text (or rich content); no reply_markup: no keyboard."""
    chat, record = _editable_message(state, params)
    if record.kind != "text":
        raise bad_request("there is no text in the message to edit")
    if params.get("rich_message") is not None and not state.rich_messages_refused:
        return _edit_rich(state, chat, record, params)
    shown = message_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    markup = _reply_markup(params)
    if (shown, markup) == (record.shown, record.reply_markup):
        raise bad_request(NOT_MODIFIED)
    if chat.blocked:
        raise ApiError(403, chat.blocked_reason())
    record.edits.append(record.text or "")
    record.text, record.parse_mode, record.shown = params["text"], params.get("parse_mode"), shown
    record.reply_markup = markup
    record.link_preview_options = params.get("link_preview_options")
    record.rich_message = None
    record.edit_date = int(time.time())
    return state.message_api(record)


def _edit_rich(state: ApiState, chat: ChatRecord, record: MessageRecord, params: Params) -> Any:
    if params.get("text") is not None:
        raise bad_request("only one of text and rich_message can be specified")
    rich, plain = rich_message(params["rich_message"])
    markup = _reply_markup(params)
    if (rich, markup) == (record.rich_message, record.reply_markup):
        raise bad_request(NOT_MODIFIED)
    if chat.blocked:
        raise ApiError(403, chat.blocked_reason())
    record.edits.append(record.text or record.shown.text)
    record.text, record.parse_mode, record.shown = None, None, FormattedText(plain)
    record.rich_message, record.reply_markup = rich, markup
    record.edit_date = int(time.time())
    return state.message_api(record)


def edit_message_reply_markup(state: ApiState, params: Params, files: Files) -> Any:
    """Replace (or, without reply_markup, remove) a bot message's inline keyboard."""
    chat, record = _editable_message(state, params)
    markup = _reply_markup(params)
    if markup == record.reply_markup:
        raise bad_request(NOT_MODIFIED)
    if chat.blocked:
        raise ApiError(403, chat.blocked_reason())
    record.reply_markup = markup
    record.edit_date = int(time.time())
    return state.message_api(record)


def delete_message(state: ApiState, params: Params, files: Files) -> Any:
    """Delete a message; others' messages in groups need the bot to be an administrator."""
    chat = state.resolve_chat(params.get("chat_id"))
    record = _message(state, chat, params, "message to delete not found")
    bot_status = chat.members.get(state.bot.id, "member")
    if not record.from_bot and chat.type != "private" and bot_status != "administrator":
        raise bad_request("message can't be deleted")
    record.deleted = True
    return True


def edit_ephemeral_message_text(state: ApiState, params: Params, files: Files) -> Any:
    """Replace an ephemeral message's text and keyboard for its receiver; answer True."""
    chat = state.resolve_chat(params.get("chat_id"))
    record = state.ephemerals.find(
        chat.id, params.get("receiver_user_id"), params.get("ephemeral_message_id")
    )
    if record.kind != "text":
        raise bad_request("there is no text in the message to edit")
    shown = message_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    markup = _reply_markup(params)
    if (shown, markup) == (record.shown, record.reply_markup):
        raise bad_request(NOT_MODIFIED)
    record.edits.append(record.text)
    record.text, record.parse_mode, record.shown = params["text"], params.get("parse_mode"), shown
    record.reply_markup = markup
    return True


def edit_ephemeral_message_reply_markup(state: ApiState, params: Params, files: Files) -> Any:
    """Replace (or, without reply_markup, remove) an ephemeral message's keyboard; True."""
    chat = state.resolve_chat(params.get("chat_id"))
    record = state.ephemerals.find(
        chat.id, params.get("receiver_user_id"), params.get("ephemeral_message_id")
    )
    markup = _reply_markup(params)
    if markup == record.reply_markup:
        raise bad_request(NOT_MODIFIED)
    record.reply_markup = markup
    return True


def delete_ephemeral_message(state: ApiState, params: Params, files: Files) -> Any:
    """Delete an ephemeral message; a message it replaced shows again for its receiver."""
    chat = state.resolve_chat(params.get("chat_id"))
    try:
        record = state.ephemerals.find(
            chat.id, params.get("receiver_user_id"), params.get("ephemeral_message_id")
        )
    except ApiError:
        raise bad_request("message to delete not found") from None
    record.deleted = True
    return True


def answer_callback_query(state: ApiState, params: Params, files: Files) -> Any:
    """Answer a pending callback query once; unknown or repeated ids are 400."""
    query_id = str(params.get("callback_query_id", ""))
    if query_id not in state.pending_callbacks:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    del state.pending_callbacks[query_id]
    state.callback_answers.append(
        CallbackAnswer(query_id, text, bool(params.get("show_alert")), params.get("url"))
    )
    return True


def send_chat_action(state: ApiState, params: Params, files: Files) -> Any:
    """Accept a known chat action for a chat the bot may write to."""
    chat = state.resolve_chat(params.get("chat_id"))
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    if chat.blocked:
        raise ApiError(403, chat.blocked_reason())
    return True


def get_chat(state: ApiState, params: Params, files: Files) -> Any:
    """Return the chat's ChatFullInfo."""
    return state.resolve_chat(params.get("chat_id")).full_info()


def get_chat_member(state: ApiState, params: Params, files: Files) -> Any:
    """Return a user's ChatMember (status "member" unless set_member_status said otherwise)."""
    chat = state.resolve_chat(params.get("chat_id"))
    user = state.users.get(params.get("user_id", 0))
    if user is None:
        raise bad_request("user not found")
    return chat_member(user.to_api(), chat.members.get(user.id, "member"))


def get_chat_administrators(state: ApiState, params: Params, files: Files) -> Any:
    """Return the creator and administrators of a group, supergroup or channel."""
    chat = state.resolve_chat(params.get("chat_id"))
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        chat_member(state.users[user_id].to_api(), status)
        for user_id, status in chat.members.items()
        if status in ("creator", "administrator")
    ]


METHODS: dict[str, Handler] = {
    "getMe": get_me,
    "close": succeed,
    "logOut": succeed,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "sendMessage": send_message,
    "sendRichMessage": send_rich_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendMediaGroup": send_media_group,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "editEphemeralMessageText": edit_ephemeral_message_text,
    "editEphemeralMessageReplyMarkup": edit_ephemeral_message_reply_markup,
    "deleteEphemeralMessage": delete_ephemeral_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    **PROFILE_METHODS,
}
METHOD_NAMES = {name.lower(): name for name in [*METHODS, "getUpdates"]}


def canonical_method(name: str) -> str | None:
    """Return the canonical spelling of a Bot API method name, or None when unknown."""
    return METHOD_NAMES.get(name.lower())


def _send_file(state: ApiState, params: Params, files: Files, kind: str) -> Any:
    chat = state.resolve_chat(params.get("chat_id"))
    stored = _stored_file(state, params.get(kind), files, kind, params.get("file_name"))
    caption = caption_text(
        params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
    )
    markup = _reply_markup(params)
    if params.get("ephemeral_message_parameters") is not None:
        if kind != "photo":
            raise bad_request("only text and photo ephemeral messages are supported locally")
        return _send_ephemeral(state, chat, params, caption, markup, stored)
    reply_to = _reply_target(state, chat, params)
    state.admit_send(chat, paid=bool(params.get("allow_paid_broadcast")))
    record = state.store_bot_message(
        chat,
        kind=kind,
        caption=params.get("caption"),
        parse_mode=params.get("parse_mode"),
        shown=caption,
        file=stored,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        **_delivery_options(params),
    )
    return state.message_api(record)


def _send_ephemeral(
    state: ApiState,
    chat: ChatRecord,
    params: Params,
    shown: Any,
    markup: dict[str, Any] | None,
    file: StoredFile | None = None,
) -> Any:
    """Send a text or photo only ``receiver_user_id`` sees, perhaps in place of a pressed one."""
    raw = params["ephemeral_message_parameters"]
    if not isinstance(raw, dict):
        raise bad_request("can't parse ephemeral message parameters JSON object")
    if chat.type not in EPHEMERAL_CHAT_TYPES:
        raise bad_request("ephemeral messages can be sent only to groups and supergroups")
    if state.ephemerals.refusal is not None:
        raise bad_request(state.ephemerals.refusal)
    query_id = raw.get("callback_query_id")
    source = None
    if query_id is not None:
        source = state.ephemerals.callback_sources.get(str(query_id))
        if source is None or source.chat_id != chat.id:
            raise bad_request("query ID is invalid")
    receiver = raw.get("receiver_user_id", source.user_id if source else None)
    if not isinstance(receiver, int) or receiver not in state.users:
        raise bad_request("user not found")
    if chat.members.get(receiver, "left") in GONE_STATUSES:
        raise bad_request("user is not a member of the chat")
    replaces = None
    if raw.get("replace_callback_query_message"):
        if source is None:
            raise bad_request("callback_query_id is required to replace a message")
        if source.from_ephemeral:
            # Documented: a press on an ephemeral message is answered by editing it instead.
            raise bad_request("ephemeral messages must be edited with editEphemeralMessage methods")
        replaces = source.message_id
    state.admit_send(chat)  # blocked chats and flood windows count ephemeral messages too
    if file is not None:
        state.files[file.file_id] = file
    record = state.ephemerals.add(
        chat_id=chat.id,
        receiver_user_id=receiver,
        kind="text" if file is None else "photo",
        file=file,
        text=params.get("text", params.get("caption")) or "",
        parse_mode=params.get("parse_mode"),
        shown=shown,
        reply_markup=markup,
        replaces_message_id=replaces,
        message_thread_id=params.get("message_thread_id"),
    )
    return state.ephemeral_api(record)


def _stored_file(
    state: ApiState, reference: Any, files: Files, kind: str, file_name: str | None
) -> StoredFile:
    """Resolve an upload (its own part or attach://name) or a file_id we issued earlier."""
    upload = files.get(kind) if reference is None else None
    if isinstance(reference, str) and reference.startswith("attach://"):
        upload = files.get(reference.removeprefix("attach://"))
        if upload is None:
            raise bad_request("can't parse InputMedia: media not found")
    elif isinstance(reference, str):
        known = state.files.get(reference)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known
    if upload is None:
        raise bad_request(f"there is no {kind} in the request")
    if not upload.content:
        raise bad_request("file must be non-empty")
    if kind == "document":
        return StoredFile.from_upload(
            upload.content, file_name or upload.filename, upload.content_type
        )
    image = image_info(upload.content)
    if image is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    longer, shorter = max(image.width, image.height), min(image.width, image.height)
    if (
        shorter == 0
        or image.width + image.height > PHOTO_MAX_SIDE_SUM
        or longer / shorter > PHOTO_MAX_ASPECT_RATIO
    ):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return StoredFile.from_upload(
        upload.content, upload.filename, f"image/{image.format}", image.width, image.height
    )


def _reply_markup(params: Params) -> dict[str, Any] | None:
    """Validate reply_markup; inline buttons need an action and callback_data of 1-64 bytes."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return markup
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            data = button.get("callback_data")
            if data is not None and len(str(data).encode("utf-8")) > CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            if not any(button.get(action) not in (None, "") for action in BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
    return markup


def _web_app_only_in_private(chat: ChatRecord, markup: dict[str, Any] | None) -> None:
    """Refuse web_app inline buttons outside private chats, as the Bot API does."""
    if chat.type == "private" or markup is None:
        return
    for row in markup.get("inline_keyboard") or ():
        for button in row:
            if button.get("web_app") is not None:
                raise bad_request("BUTTON_TYPE_INVALID")


def _reply_target(state: ApiState, chat: ChatRecord, params: Params) -> int | None:
    """Return the id of the message being replied to; 400 when it is gone (unless allowed)."""
    reply = params.get("reply_parameters")
    if reply is None and "reply_to_message_id" in params:
        reply = {
            "message_id": params["reply_to_message_id"],
            "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
        }
    if not isinstance(reply, dict) or "message_id" not in reply:
        return None
    message_id = int(reply["message_id"])
    target = state.messages.get((chat.id, message_id))
    if target is not None and not target.deleted:
        return message_id
    if reply.get("allow_sending_without_reply"):
        return None
    raise bad_request("message to be replied not found")


def _delivery_options(params: Params) -> dict[str, Any]:
    return {
        "message_thread_id": params.get("message_thread_id"),
        "disable_notification": bool(params.get("disable_notification")),
    }


def _message(state: ApiState, chat: ChatRecord, params: Params, missing: str) -> MessageRecord:
    if "message_id" not in params:
        raise bad_request("message identifier is not specified")
    record = state.messages.get((chat.id, params["message_id"]))
    if record is None or record.deleted:
        raise bad_request(missing)
    return record


def _editable_message(state: ApiState, params: Params) -> tuple[ChatRecord, MessageRecord]:
    if "inline_message_id" in params:
        raise bad_request("inline messages are not supported by the local Bot API")
    chat = state.resolve_chat(params.get("chat_id"))
    record = _message(state, chat, params, "message to edit not found")
    if not record.from_bot:
        raise bad_request("message can't be edited")
    return chat, record

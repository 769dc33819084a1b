"""The Bot API methods newer than python-telegram-bot's, typed, over ``Bot.do_api_request``.

python-telegram-bot 22.8 speaks Bot API 10.0; ephemeral messages came with 10.2 and took their
``EphemeralMessageParameters`` in 10.3. Handlers use the frozen requests and answers here and
never build a raw dictionary, so when PTB learns these methods only this module changes.

Documented at https://core.telegram.org/bots/api-changelog (Bot API 10.2, 10.3),
https://core.telegram.org/bots/api#ephemeralmessageparameters,
https://core.telegram.org/bots/api#editephemeralmessagetext,
https://core.telegram.org/bots/api#editephemeralmessagereplymarkup and
https://core.telegram.org/bots/api#deleteephemeralmessage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound


@dataclass(frozen=True)
class EphemeralTarget:
    """Who sees an ephemeral message, and the button press that asked for it (if any).

    ``replace_pressed``: show it in place of the pressed message, for the presser alone
    (never for a press on an ephemeral message: those are edited instead).
    """

    receiver_user_id: int
    callback_query_id: str | None = None
    replace_pressed: bool = False

    def to_api(self) -> dict[str, Any]:
        """Return the EphemeralMessageParameters object."""
        parameters: dict[str, Any] = {"receiver_user_id": self.receiver_user_id}
        if self.callback_query_id is not None:
            parameters["callback_query_id"] = self.callback_query_id
        if self.replace_pressed:
            parameters["replace_callback_query_message"] = True
        return parameters


@dataclass(frozen=True)
class EphemeralMessageRef:
    """An ephemeral message the bot sent: its chat, its one reader and its id in the chat."""

    chat_id: int
    receiver_user_id: int
    ephemeral_message_id: int

    def to_api(self) -> dict[str, Any]:
        """Return the three parameters that name the message in the edit and delete methods."""
        return {
            "chat_id": self.chat_id,
            "receiver_user_id": self.receiver_user_id,
            "ephemeral_message_id": self.ephemeral_message_id,
        }


@dataclass(frozen=True)
class EphemeralText:
    """One ephemeral text message to send: Telegram HTML with an optional inline keyboard."""

    chat_id: int
    text: str
    target: EphemeralTarget
    reply_markup: InlineKeyboardMarkup | None = None
    message_thread_id: int | None = None


class EphemeralRefused(Exception):
    """Telegram would not send or change an ephemeral message; ``reason`` is its description.

    Raised for a 400 answer and for a server that does not know the method at all (404): the
    caller falls back to an ordinary message, so nothing the person asked for is lost.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ephemeral_ref(message: Message) -> EphemeralMessageRef | None:
    """Return the ephemeral message a PTB ``Message`` is (a pressed button's), else None."""
    extra = message.api_kwargs
    ephemeral_id = extra.get("ephemeral_message_id")
    receiver = extra.get("receiver_user")
    if not isinstance(ephemeral_id, int) or not isinstance(receiver, dict):
        return None
    return EphemeralMessageRef(message.chat.id, int(receiver["id"]), ephemeral_id)


async def send_ephemeral_text(bot: Bot, request: EphemeralText) -> EphemeralMessageRef:
    """Send ``request`` so that only its receiver sees it; return the message's reference."""
    # sendMessage is PTB's own method (it warns against do_api_request for it): the new
    # parameter rides in api_kwargs and the answer's new fields come back in the Message's.
    try:
        message = await bot.send_message(
            request.chat_id,
            request.text,
            parse_mode=ParseMode.HTML,
            reply_markup=request.reply_markup,
            message_thread_id=request.message_thread_id,
            api_kwargs={"ephemeral_message_parameters": request.target.to_api()},
        )
    except BadRequest as error:
        raise EphemeralRefused(error.message) from error
    ref = ephemeral_ref(message)
    if ref is None:
        # A server that ignored the parameters has sent an ordinary message for everyone.
        raise EphemeralRefused("the answer is not an ephemeral message")
    return ref


async def send_as_ephemeral(
    send: Callable[..., Awaitable[Message]], target: EphemeralTarget
) -> EphemeralMessageRef | None:
    """Call a PTB send method (``send(api_kwargs=...)``, e.g. a partial of ``send_photo``) so
    that only ``target`` sees its message; return the message's reference.

    None: the server ignored the parameters and the message went to everyone (nothing to redo).
    """
    try:
        message = await send(api_kwargs={"ephemeral_message_parameters": target.to_api()})
    except BadRequest as error:
        raise EphemeralRefused(error.message) from error
    return ephemeral_ref(message)


async def edit_ephemeral_text(
    bot: Bot, ref: EphemeralMessageRef, text: str, reply_markup: InlineKeyboardMarkup | None
) -> None:
    """Replace an ephemeral message's text (Telegram HTML) and keyboard."""
    kwargs: dict[str, Any] = {**ref.to_api(), "text": text, "parse_mode": ParseMode.HTML}
    if reply_markup is not None:
        kwargs["reply_markup"] = reply_markup.to_dict()
    await _call(bot, "editEphemeralMessageText", kwargs)


async def edit_ephemeral_reply_markup(
    bot: Bot, ref: EphemeralMessageRef, reply_markup: InlineKeyboardMarkup | None
) -> None:
    """Replace (or, with None, remove) an ephemeral message's inline keyboard."""
    kwargs: dict[str, Any] = ref.to_api()
    if reply_markup is not None:
        kwargs["reply_markup"] = reply_markup.to_dict()
    await _call(bot, "editEphemeralMessageReplyMarkup", kwargs)


async def delete_ephemeral(bot: Bot, ref: EphemeralMessageRef) -> None:
    """Delete an ephemeral message (a replaced message shows again for its reader)."""
    await _call(bot, "deleteEphemeralMessage", ref.to_api())


async def _call(bot: Bot, method: str, kwargs: dict[str, Any]) -> Any:
    try:
        return await bot.do_api_request(method, api_kwargs=kwargs)
    except BadRequest as error:
        raise EphemeralRefused(error.message) from error
    except EndPointNotFound as error:
        raise EphemeralRefused(f"{method} is unknown to this server") from error

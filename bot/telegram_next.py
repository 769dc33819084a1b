"""The Bot API methods newer than python-telegram-bot's, typed, over ``Bot.do_api_request``.

python-telegram-bot 22.8 speaks Bot API 10.0; ephemeral messages came with 10.2 and took their
``EphemeralMessageParameters`` in 10.3; rich messages (``sendRichMessage``, ``editMessageText``
with ``rich_message``: headings, paragraphs, tables, expandable details, a footer) came with
10.1. Handlers use the frozen requests and answers here and never build a raw dictionary, so
when PTB learns these methods only this module changes.

Documented at https://core.telegram.org/bots/api-changelog (Bot API 10.2, 10.3),
https://core.telegram.org/bots/api#ephemeralmessageparameters,
https://core.telegram.org/bots/api#editephemeralmessagetext,
https://core.telegram.org/bots/api#editephemeralmessagereplymarkup and
https://core.telegram.org/bots/api#deleteephemeralmessage.
Rich messages: https://core.telegram.org/bots/api#sendrichmessage,
https://core.telegram.org/bots/api#inputrichmessage,
https://core.telegram.org/bots/api#inputrichblockparagraph,
https://core.telegram.org/bots/api#inputrichblocksectionheading,
https://core.telegram.org/bots/api#inputrichblocktable (cells: RichBlockTableCell,
https://core.telegram.org/bots/api#richblocktablecell),
https://core.telegram.org/bots/api#inputrichblockdetails,
https://core.telegram.org/bots/api#rich-message-formatting-options (the limits), and the same
types in aiogram (https://docs.aiogram.dev/en/latest/api/methods/send_rich_message.html) and
grammY (https://grammy.dev/ref/types/richblocktablecell).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

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


#: Rich message limits: characters of all texts, blocks (list items and table rows count as
#: blocks), nesting depth and table columns.
RICH_TEXT_LIMIT = 32_768
RICH_BLOCK_LIMIT = 500
RICH_DEPTH_LIMIT = 16
RICH_COLUMN_LIMIT = 20

#: One InputRichBlock object, as the Bot API takes it.
RichBlock = Mapping[str, Any]


def rich_paragraph(text: str) -> RichBlock:
    """Return a paragraph block (InputRichBlockParagraph) of plain text."""
    return {"type": "paragraph", "text": text}


def rich_heading(text: str, size: int) -> RichBlock:
    """Return a section heading block; ``size`` 1 (largest) to 6."""
    return {"type": "heading", "text": text, "size": size}


def rich_footer(text: str) -> RichBlock:
    """Return a footer block (InputRichBlockFooter)."""
    return {"type": "footer", "text": text}


def rich_details(summary: str, blocks: Iterable[RichBlock], *, is_open: bool = False) -> RichBlock:
    """Return an expandable block: ``summary`` always shown, ``blocks`` when opened."""
    block: dict[str, Any] = {"type": "details", "summary": summary, "blocks": list(blocks)}
    if is_open:
        block["is_open"] = True
    return block


def rich_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    figures_from: int = 1,
    caption: str = "",
) -> RichBlock:
    """Return a bordered, striped table: a header row, then ``rows``; columns from
    ``figures_from`` on are right-aligned (figures), the others left-aligned."""

    def cell(index: int, text: str, *, is_header: bool = False) -> dict[str, Any]:
        align = "right" if index >= figures_from else "left"
        made: dict[str, Any] = {"text": text, "align": align, "valign": "middle"}
        if is_header:
            made["is_header"] = True
        return made

    cells = [[cell(i, text, is_header=True) for i, text in enumerate(header)]]
    cells += [[cell(i, text) for i, text in enumerate(row)] for row in rows]
    table: dict[str, Any] = {"type": "table", "cells": cells, "is_bordered": True}
    table["is_striped"] = True
    if caption:
        table["caption"] = caption
    return table


@dataclass(frozen=True)
class RichSize:
    """What a rich message spends of each limit."""

    characters: int
    blocks: int
    depth: int
    columns: int

    def over_limits(self) -> tuple[str, ...]:
        """Return the names of the limits this size breaks (empty when it fits)."""
        over = (
            ("characters", self.characters > RICH_TEXT_LIMIT),
            ("blocks", self.blocks > RICH_BLOCK_LIMIT),
            ("depth", self.depth > RICH_DEPTH_LIMIT),
            ("columns", self.columns > RICH_COLUMN_LIMIT),
        )
        return tuple(name for name, broken in over if broken)


def rich_size(blocks: Sequence[RichBlock]) -> RichSize:
    """Measure ``blocks``: characters of every text, blocks with table rows, depth, columns."""
    characters = count = depth = columns = 0

    def visit(items: Sequence[RichBlock], level: int) -> None:
        nonlocal characters, count, depth, columns
        depth = max(depth, level)
        for block in items:
            count += 1
            for key in ("text", "summary", "caption"):
                if isinstance(block.get(key), str):
                    characters += len(block[key])
            for row in block.get("cells", ()):
                count += 1
                columns = max(columns, len(row))
                characters += sum(len(cell.get("text", "")) for cell in row)
            inner = block.get("blocks")
            if inner:
                visit(inner, level + 1)

    visit(blocks, 1)
    return RichSize(characters, count, depth, columns)


@dataclass(frozen=True)
class RichMessage:
    """A rich message to send: its blocks (an InputRichMessage described as blocks)."""

    blocks: tuple[RichBlock, ...]

    def to_api(self) -> dict[str, Any]:
        """Return the InputRichMessage object."""
        return {"blocks": [dict(block) for block in self.blocks]}


class RichRefused(Exception):
    """Telegram would not send or edit a rich message (an older server, or blocks it refused);
    ``reason`` is its description. The caller sends the HTML rendering instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_rich(message: Message) -> bool:
    """Return whether ``message`` is a rich message (it carries ``rich_message``)."""
    return isinstance(message.api_kwargs.get("rich_message"), dict)


async def send_rich_message(
    bot: Bot,
    chat_id: int,
    message: RichMessage,
    reply_markup: InlineKeyboardMarkup | None = None,
    message_thread_id: int | None = None,
) -> Message:
    """Send ``message`` as one rich message; return the sent Message."""
    kwargs: dict[str, Any] = {"chat_id": chat_id, "rich_message": message.to_api()}
    if reply_markup is not None:
        kwargs["reply_markup"] = reply_markup.to_dict()
    if message_thread_id is not None:
        kwargs["message_thread_id"] = message_thread_id
    sent = await _call_rich(bot, "sendRichMessage", kwargs)
    return Message.de_json(sent, bot)


async def edit_rich_message(
    bot: Bot,
    chat_id: int,
    message_id: int,
    message: RichMessage,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace a message's content with ``message`` (editMessageText with ``rich_message``)."""
    # editMessageText is PTB's own method (do_api_request warns against it): its ``text`` is
    # left out (PTB drops None parameters) and the new parameter rides in api_kwargs.
    no_text = cast(str, None)
    try:
        await bot.edit_message_text(
            no_text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=reply_markup,
            api_kwargs={"rich_message": message.to_api()},
        )
    except BadRequest as error:
        raise RichRefused(error.message) from error


async def _call_rich(bot: Bot, method: str, kwargs: dict[str, Any]) -> Any:
    try:
        return await bot.do_api_request(method, api_kwargs=kwargs)
    except BadRequest as error:
        raise RichRefused(error.message) from error
    except EndPointNotFound as error:
        raise RichRefused(f"{method} is unknown to this server") from error

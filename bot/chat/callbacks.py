"""Inline buttons: switch a window view's window by editing it in place (or the asker's copy)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.chat.keyboards import render_window_view, window_keyboard, window_tables
from bot.chat.private_answers import share_keyboard
from bot.chat.replies import data_behind_note, render_bot, with_note
from bot.desk.buttons import WindowButton, decode
from bot.desk.rich_views import rich_view
from bot.desk.split import split_message
from bot.services.context import BotContext
from bot.telegram_errors import Refusal, refusal
from bot.telegram_next import (
    EphemeralMessageRef,
    EphemeralRefused,
    RichRefused,
    edit_ephemeral_text,
    edit_rich_message,
    ephemeral_ref,
    is_rich,
)
from briefings import NoDataError, Snapshot

log = logging.getLogger(__name__)


async def window_button(update: Update, context: BotContext) -> None:
    """Re-render the view for the pressed window; every query gets an answer."""
    query = update.callback_query
    if query is None:
        return
    choice = decode(query.data)
    message = query.message
    if not isinstance(choice, WindowButton) or not isinstance(message, Message):
        await query.answer(render_bot("callback_stale.txt.j2").strip())
        return
    desk = context.services.desk
    try:
        snapshot = await desk.snapshot()
    except NoDataError:
        await query.answer(render_bot("callback_error.txt.j2").strip())
        return
    view = render_window_view(desk, choice.view, snapshot.briefing, choice.window)
    note = data_behind_note(snapshot.briefing.as_of, desk.expected_session())
    text = split_message(with_note(view, note))[0]
    ref = ephemeral_ref(message)
    if ref is not None:
        await _switch_private_copy(query, context, ref, text, choice)
        return
    if is_rich(message) and await _switched_rich(context, message, choice, snapshot, note):
        await query.answer()
        return
    try:
        await message.edit_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=window_keyboard(choice.view, choice.window),
        )
    except BadRequest as exc:
        meaning = refusal(exc)
        if meaning is Refusal.MESSAGE_GONE:
            await query.answer(render_bot("callback_stale.txt.j2").strip())
            return
        if meaning is not Refusal.NOT_MODIFIED:  # not modified: the same window pressed again
            raise
    await query.answer()


async def _switched_rich(
    context: BotContext, message: Message, choice: WindowButton, snapshot: Snapshot, note: str
) -> bool:
    """Switch a rich table's window in place; False: edit it as HTML instead (refused)."""
    tables = window_tables(choice.view, snapshot.briefing, choice.window)
    keyboard = window_keyboard(choice.view, choice.window)
    view = rich_view(tables, note)
    try:
        await edit_rich_message(context.bot, message.chat_id, message.message_id, view, keyboard)
    except RichRefused as refused:
        if "not modified" in refused.reason.lower():  # the same window pressed again
            return True
        log.info("rich edit refused (%s); the view switches as HTML", refused)
        return False
    return True


async def _switch_private_copy(
    query: CallbackQuery,
    context: BotContext,
    ref: EphemeralMessageRef,
    text: str,
    choice: WindowButton,
) -> None:
    """Switch the window of an answer only its asker sees, keeping its Share button."""
    keyboard = share_keyboard(window_keyboard(choice.view, choice.window))
    try:
        await edit_ephemeral_text(context.bot, ref, text, keyboard)
    except EphemeralRefused as refused:
        if "not modified" not in refused.reason.lower():  # the same window pressed again
            await query.answer(render_bot("callback_stale.txt.j2").strip())
            return
    await query.answer()

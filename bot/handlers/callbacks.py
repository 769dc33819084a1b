"""Inline buttons: switch a /rotation or /sectors message's window by editing it in place."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.services.context import BotContext
from bot.chat.keyboards import parse_choice, render_window_view, window_keyboard
from bot.chat.replies import data_behind_note, render_bot, with_note
from bot.telegram_errors import Refusal, refusal
from bot.desk.split import split_message
from briefings.service import NoDataError

log = logging.getLogger(__name__)


async def window_button(update: Update, context: BotContext) -> None:
    """Re-render the view for the pressed window; every query gets an answer."""
    query = update.callback_query
    if query is None:
        return
    choice = parse_choice(query.data)
    message = query.message
    if choice is None or not isinstance(message, Message):
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

"""The summary's buttons: open a detail view in place, send the chart, or go back."""

from __future__ import annotations

from datetime import date

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.services.context import BotContext
from bot.chat.replies import data_behind_note, render_bot, with_note
from bot.desk.market_desk import MarketDesk
from bot.telegram_errors import Refusal, refusal
from bot.desk.summary_keyboard import CHART, CHART_REQUEST, parse_view, render_view, view_keyboard
from briefings.build import BriefingInputError
from briefings.snapshot import Snapshot
from bot.desk.split import split_message
from briefings.service import NoDataError

#: How the view buttons' callback data starts (bot.desk.summary_keyboard); other buttons go to other handlers.
VIEW_PREFIX = "v:"


async def _session_snapshot(desk: MarketDesk, session: date) -> Snapshot | None:
    """Return the stored snapshot of exactly ``session``, None when the store lacks it."""
    try:
        snapshot = await desk.stored_snapshot(session)
    except BriefingInputError:
        return None
    return snapshot if snapshot.briefing.as_of == session else None


async def _behind_note(desk: MarketDesk, snapshot: Snapshot) -> str:
    """Return the data-behind line for a view of the latest stored session ("" otherwise)."""
    latest = await desk.snapshot()
    if snapshot.briefing.as_of != latest.briefing.as_of:
        return ""  # an older message's view: its session is behind on purpose
    return data_behind_note(snapshot.briefing.as_of, desk.expected_session())


async def view_button(update: Update, context: BotContext) -> None:
    """Show the pressed view of the message's session; every query gets an answer."""
    query = update.callback_query
    if query is None:
        return
    choice = parse_view(query.data)
    message = query.message
    if choice is None or not isinstance(message, Message):
        await query.answer(render_bot("callback_stale.txt.j2").strip(), show_alert=True)
        return
    services = context.services
    try:
        snapshot = await _session_snapshot(services.desk, choice.session)
    except NoDataError:
        await query.answer(render_bot("callback_error.txt.j2").strip())
        return
    if snapshot is None:
        # The store no longer serves the session the message showed.
        await query.answer(render_bot("callback_stale.txt.j2").strip(), show_alert=True)
        return
    if choice.view == CHART:
        await query.answer()
        chart = await services.charts.chart(snapshot, CHART_REQUEST)
        await services.charts.send(
            context.bot,
            message.chat.id,
            chart,
            thread_id=message.message_thread_id if message.is_topic_message else None,
        )
        return
    note = await _behind_note(services.desk, snapshot)
    parts = split_message(with_note(render_view(choice.view, snapshot.briefing), note))
    try:
        await message.edit_text(
            parts[0],
            parse_mode=ParseMode.HTML,
            reply_markup=view_keyboard(choice.session, choice.view),
        )
    except BadRequest as exc:
        meaning = refusal(exc)
        if meaning is Refusal.MESSAGE_GONE:
            await query.answer(render_bot("callback_stale.txt.j2").strip(), show_alert=True)
            return
        if meaning is not Refusal.NOT_MODIFIED:  # not modified: the open view pressed again
            raise
    for part in parts[1:]:
        await message.reply_text(part, parse_mode=ParseMode.HTML, do_quote=False)
    await query.answer()

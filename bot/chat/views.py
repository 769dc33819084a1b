"""The summary's buttons: open a detail view in place, send the chart, or go back.

In a group that answers its members privately (bot.chat.private_answers) a press opens the view
as an ephemeral message shown in place of the summary for the presser alone; their next presses
edit that copy and *◀ Summary* deletes it, so the shared message never changes for the others.
Where Telegram refuses, the shared message turns its page as before.
"""

from __future__ import annotations

from datetime import date

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.chat.private_answers import answers_privately
from bot.chat.replies import data_behind_note, render_bot, with_note
from bot.desk.buttons import View, ViewButton, decode
from bot.desk.market_desk import MarketDesk
from bot.desk.split import split_message
from bot.desk.summary_keyboard import CHART_REQUEST, render_view, view_keyboard
from bot.services.context import BotContext
from bot.telegram_errors import Refusal, refusal
from bot.telegram_next import (
    EphemeralMessageRef,
    EphemeralRefused,
    EphemeralTarget,
    EphemeralText,
    delete_ephemeral,
    edit_ephemeral_text,
    ephemeral_ref,
    send_ephemeral_text,
)
from briefings import BriefingInputError, NoDataError, Snapshot


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
    choice = decode(query.data)
    message = query.message
    if not isinstance(choice, ViewButton) or not isinstance(message, Message):
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
    if choice.view == View.CHART:
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
    keyboard = view_keyboard(choice.session, choice.view)
    if await _turned_privately(update, context, choice.view, parts, keyboard):
        return
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


async def _turned_privately(
    update: Update,
    context: BotContext,
    view: View,
    parts: list[str],
    keyboard: InlineKeyboardMarkup,
) -> bool:
    """Turn the page for the presser alone where the group wants it; False: turn it for all."""
    query, message = update.callback_query, update.effective_message
    if query is None or message is None:
        return False
    ref = ephemeral_ref(message)
    if ref is not None:
        await _turn_private_page(context, query, ref, view, parts, keyboard)
        return True
    if view == View.SUMMARY or not await answers_privately(update, context):
        return False
    try:
        await _open_private_page(context, query, message, parts, keyboard)
    except EphemeralRefused:
        return False  # the shared message turns its page, as before
    await query.answer()
    return True


async def _open_private_page(
    context: BotContext,
    query: CallbackQuery,
    message: Message,
    parts: list[str],
    keyboard: InlineKeyboardMarkup,
) -> None:
    """Show a view in place of the shared summary, for the presser alone."""
    thread = message.message_thread_id if message.is_topic_message else None
    presser = query.from_user.id
    first = EphemeralTarget(presser, query.id, replace_pressed=True)
    await send_ephemeral_text(
        context.bot, EphemeralText(message.chat.id, parts[0], first, keyboard, thread)
    )
    for part in parts[1:]:
        await send_ephemeral_text(
            context.bot,
            EphemeralText(message.chat.id, part, EphemeralTarget(presser), None, thread),
        )


async def _turn_private_page(
    context: BotContext,
    query: CallbackQuery,
    ref: EphemeralMessageRef,
    view: View,
    parts: list[str],
    keyboard: InlineKeyboardMarkup,
) -> None:
    """Turn the presser's private copy to ``view``; the summary deletes it (the shared shows)."""
    try:
        if view == View.SUMMARY:
            await delete_ephemeral(context.bot, ref)
        else:
            await edit_ephemeral_text(context.bot, ref, parts[0], keyboard)
    except EphemeralRefused as refused:
        if "not modified" not in refused.reason.lower():  # the open view pressed again
            await query.answer(render_bot("callback_stale.txt.j2").strip(), show_alert=True)
            return
    if view != View.SUMMARY:
        for part in parts[1:]:
            target = EphemeralTarget(ref.receiver_user_id)
            await send_ephemeral_text(
                context.bot, EphemeralText(ref.chat_id, part, target, None, None)
            )
    await query.answer()

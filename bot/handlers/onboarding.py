"""Onboarding: /start deep links, the subscribe confirmation button, joining and leaving chats."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.store.chats import Purpose
from bot.services.context import BotContext
from bot.chat.commands import help_command
from bot.chat.replies import render_bot, send_html
from bot.chat.subscription import current_schedule, may_manage, subscribe_chat
from bot.services.jobs import sync_schedules

log = logging.getLogger(__name__)

Context = BotContext

#: The payload of t.me/<bot>?start=subscribe and ?startgroup=subscribe.
SUBSCRIBE_PAYLOAD = "subscribe"
CONFIRM_SUBSCRIBE = "sub:yes"
PRESENT = (
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
    ChatMemberStatus.RESTRICTED,
)
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


async def start(update: Update, context: Context) -> None:
    """Answer /start: the help, or for "/start subscribe" a button that confirms subscribing."""
    if list(context.args or ()) != [SUBSCRIBE_PAYLOAD]:
        await help_command(update, context)
        return
    chat = update.effective_chat
    if chat is None:
        return
    button = InlineKeyboardButton(
        render_bot("confirm_subscribe_button.txt.j2").strip(), callback_data=CONFIRM_SUBSCRIBE
    )
    schedule = await current_schedule(context, chat.id)
    text = render_bot("confirm_subscribe.html.j2", schedule=schedule)
    await send_html(update, text, InlineKeyboardMarkup([[button]]))


async def confirm_subscribe(update: Update, context: Context) -> None:
    """Subscribe the chat when its confirmation button is pressed (administrators in groups)."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    if not await may_manage(update, context):
        await query.answer(render_bot("callback_not_admin.txt.j2").strip())
        return
    schedule = await current_schedule(context, chat.id)
    details = await subscribe_chat(update, context, schedule)
    if isinstance(query.message, Message):
        await query.message.edit_text(render_bot("subscribed.html.j2", **details))
    await query.answer()


async def membership_changed(update: Update, context: Context) -> None:
    """Greet a group the bot joined; switch off the briefing and alerts of a chat it left."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    was, now = change.old_chat_member.status, change.new_chat_member.status
    if now in GONE and was not in GONE:
        await _switch_off(context, chat.id, f"bot removed ({now}) by user {change.from_user.id}")
    elif was in GONE and now in PRESENT and chat.type in GROUPS:
        services = context.services
        text = render_bot(
            "group_greeting.html.j2",
            title=chat.effective_name,
            bot_username=context.bot.username,
            simulated=services.desk.service.simulated,
        )
        await context.bot.send_message(chat.id, text)


async def _switch_off(context: Context, chat_id: int, reason: str) -> None:
    services = context.services
    now = services.clock()
    stopped = await services.database.run(services.chats.subscription, chat_id)
    for purpose in Purpose:
        await services.database.run(services.chats.stop, chat_id, purpose, reason, now)
    if stopped is not None and stopped.active:
        await sync_schedules(context.application)
    log.info("chat %s: briefing and alerts switched off (%s)", chat_id, reason)

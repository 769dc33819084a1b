"""/alerts [on|off]: a chat's regime-change alerts."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update

from bot.store.chats import AlertChat
from bot.services.context import BotContext
from bot.chat.commands import InputProblem, command
from bot.chat.replies import echo, reply
from bot.chat.subscription import may_manage
from bot.desk.reader_language import current_language

Context = BotContext

SWITCHES = {"on": True, "off": False}


@command("alerts", max_args=1)
async def alerts(update: Update, context: Context, args: Sequence[str]) -> None:
    """Show whether the chat gets alerts; "on" or "off" (administrators in groups) changes it."""
    services = context.services
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or message is None:
        return
    current = await services.database.run(services.chats.alerts, chat.id)
    if not args:
        await reply(update, "alerts_setting", setting=current, changed=None)
        return
    wanted = SWITCHES.get(args[0].lower())
    if wanted is None:
        raise InputProblem("not_switch", text=echo(args[0]))
    if not await may_manage(update, context):
        await reply(update, "not_admin", setting="alerts")
        return
    now = services.clock()
    setting: AlertChat | None
    if wanted:
        setting = await services.database.run(
            services.chats.turn_alerts_on,
            chat.id,
            chat_type=chat.type,
            title=chat.effective_name,
            thread_id=message.message_thread_id if message.is_topic_message else None,
            changed_by=user.id if user else None,
            now=now,
            language=current_language(),
        )
    else:
        who = f"user {user.id}" if user else "the chat"
        await services.database.run(
            services.chats.turn_alerts_off, chat.id, f"turned off by {who}", now
        )
        setting = await services.database.run(services.chats.alerts, chat.id)
    await reply(update, "alerts_setting", setting=setting, changed=wanted)

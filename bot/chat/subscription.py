"""/subscribe, /unsubscribe and /settings: the briefing schedule, its chart, recaps, answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.chat.commands import InputProblem, command
from bot.chat.private_answers import REPLIES_PRIVATE, REPLY_MODES
from bot.chat.replies import echo, reply
from bot.chat.zones import ZoneProblem, resolve_zone
from bot.config import parse_clock_time
from bot.delivery.recap_push import RECAP_CHOICES, RECAPS_OFF
from bot.desk.chart_desk import BRIEFING_CHARTS
from bot.desk.reader_language import current_language
from bot.services.context import BotContext
from bot.services.jobs import next_delivery, sync_schedules
from bot.store.chats import Schedule

Context = BotContext

_LOOKS_LIKE_TIME = re.compile(r"^\d")
MANAGERS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
CHART_OFF = "off"
#: A time and up to three words of a city ("/subscribe 07:00 Ho Chi Minh").
MAX_SCHEDULE_WORDS = 4


def parse_schedule(args: Sequence[str], base: Schedule) -> Schedule:
    """Read "[HH:MM] [Area/City or city]" (either order); what is left out comes from ``base``.

    A city may be several words ("New York"); "EST" and other fixed offsets are refused.
    """
    local_time, zone = base.local_time, base.time_zone
    times = [arg for arg in args if _LOOKS_LIKE_TIME.match(arg)]
    words = [arg for arg in args if not _LOOKS_LIKE_TIME.match(arg)]
    if len(times) > 1:
        raise InputProblem("one_time")
    if times:
        try:
            local_time = parse_clock_time(times[0])
        except ValueError as exc:
            raise InputProblem("not_time", text=echo(times[0]), detail=str(exc)) from None
    if sum("/" in word for word in words) > 1:
        raise InputProblem("one_zone")
    if words:
        try:
            zone = resolve_zone(" ".join(words))
        except ZoneProblem as exc:
            problem = InputProblem("zone_problem", text=echo(" ".join(words)), detail=str(exc))
            raise problem from None
    return Schedule(local_time, zone)


async def may_manage(update: Update, context: Context) -> bool:
    """Return True when the sender may change this chat's subscription.

    Anyone in a private chat; in groups the creator and administrators (asked with
    getChatMember), including an administrator posting anonymously as the group.
    """
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in MANAGERS


async def store_setting(
    update: Update, context: Context, setting: str, store: Callable[..., Any], **values: Any
) -> bool:
    """Store one chat setting if the sender may manage the chat; else say so. Return if stored.

    ``store`` is a ``ChatStore`` method taking the chat id, its type and title, and ``values``.
    """
    chat = update.effective_chat
    if chat is None:
        return False
    if not await may_manage(update, context):
        await reply(update, "not_admin", setting=setting)
        return False
    await context.services.database.run(
        store, chat.id, chat_type=chat.type, title=chat.effective_name, **values
    )
    return True


@command("subscribe", max_args=MAX_SCHEDULE_WORDS)
async def subscribe(update: Update, context: Context, args: Sequence[str]) -> None:
    """Subscribe the chat (or change its time, zone or topic) and schedule the job."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    schedule = parse_schedule(args, await current_schedule(context, chat.id))
    if not await may_manage(update, context):
        await reply(update, "not_admin")
        return
    await reply(update, "subscribed", **await subscribe_chat(update, context, schedule))


async def current_schedule(context: Context, chat_id: int) -> Schedule:
    """Return the chat's active schedule, else the bot's default one."""
    services = context.services
    current = await services.database.run(services.chats.subscription, chat_id)
    if current is not None and current.active:
        return current.schedule
    return Schedule(services.settings.default_time, services.settings.default_zone)


async def subscribe_chat(update: Update, context: Context, schedule: Schedule) -> dict[str, Any]:
    """Store the chat's subscription and sync the jobs; return the "subscribed" reply context.

    The caller has checked ``may_manage``. A forum topic the update came from is kept.
    """
    services = context.services
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None:
        raise RuntimeError("an update without a chat cannot subscribe")
    current = await services.database.run(services.chats.subscription, chat.id)
    now = services.clock()
    subscription = await services.database.run(
        services.chats.subscribe,
        chat.id,
        chat_type=chat.type,
        title=chat.effective_name,
        thread_id=message.message_thread_id
        if message is not None and message.is_topic_message
        else None,
        schedule=schedule,
        subscribed_by=user.id if user else None,
        now=now,
        language=current_language(),
    )
    await services.database.run(services.outbox.forget_failures, chat.id)
    await sync_schedules(context.application)
    return {
        "subscription": subscription,
        "changed": current is not None and current.active,
        "next_delivery": next_delivery(schedule, now),
    }


@command("unsubscribe", max_args=0)
async def unsubscribe(update: Update, context: Context, args: Sequence[str]) -> None:
    """Stop the chat's daily briefing and drop its job if no other chat shares it."""
    services = context.services
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    current = await services.database.run(services.chats.subscription, chat.id)
    if current is None or not current.active:
        await reply(update, "unsubscribed", was_subscribed=False)
        return
    if not await may_manage(update, context):
        await reply(update, "not_admin")
        return
    who = f"user {user.id}" if user else "the chat"
    await services.database.run(
        services.chats.unsubscribe, chat.id, f"unsubscribed by {who}", services.clock()
    )
    await sync_schedules(context.application)
    await reply(update, "unsubscribed", was_subscribed=True)


def parse_chart_setting(args: Sequence[str]) -> str | None:
    """Read "chart rrg|pairs|sectors|breadth|off"; return the chart name, None for off."""
    choices = [*BRIEFING_CHARTS, CHART_OFF]
    if args[0].lower() != "chart":
        raise InputProblem("not_setting", text=echo(args[0]))
    if len(args) < 2:
        raise InputProblem("which_chart", choices=choices)
    choice = args[1].lower()
    if choice not in choices:
        raise InputProblem("not_briefing_chart", text=echo(args[1]), choices=choices)
    return None if choice == CHART_OFF else choice


@command("settings", max_args=2)
async def settings(update: Update, context: Context, args: Sequence[str]) -> None:
    """Show the chat's schedule, chart and alerts; "chart NAME" picks the briefing's chart."""
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    if args and args[0].lower() == "replies":
        await _set_replies(update, context, args[1:])
        return
    if args and args[0].lower() == "recaps":
        await _set_recaps(update, context, args[1:])
        return
    if args:
        await _set_chart(update, context, parse_chart_setting(args))
        return
    subscription = await services.database.run(services.chats.subscription, chat.id)
    upcoming = None
    if subscription is not None and subscription.active:
        upcoming = next_delivery(subscription.schedule, services.clock())
    await reply(
        update,
        "settings",
        subscription=subscription,
        next_delivery=upcoming,
        alerts=await services.database.run(services.chats.alerts, chat.id),
        charts=list(BRIEFING_CHARTS),
        default_time=services.settings.default_time,
        default_zone=services.settings.default_zone,
        group=chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        replies=await services.database.run(services.chats.replies, chat.id) or REPLIES_PRIVATE,
        recaps=await services.database.run(services.chats.recaps, chat.id) or RECAPS_OFF,
    )


def _chosen_word(args: Sequence[str], choices: list[str], problem: str) -> str:
    """Return the setting's word (any case) when it is one of ``choices``, else the usage."""
    if not args or args[0].lower() not in choices:
        raise InputProblem(problem, text=echo(args[0]) if args else "", choices=choices)
    return args[0].lower()


async def _set_recaps(update: Update, context: Context, args: Sequence[str]) -> None:
    """Store which recaps follow the chat's briefing (administrators only, in groups)."""
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    choice = _chosen_word(args, [*RECAP_CHOICES, RECAPS_OFF], "which_recaps")
    recaps = None if choice == RECAPS_OFF else choice
    if not await store_setting(update, context, "recaps", services.chats.set_recaps, recaps=recaps):
        return
    subscription = await services.database.run(services.chats.subscription, chat.id)
    await reply(
        update,
        "recaps_setting",
        recaps=choice,
        subscribed=subscription is not None and subscription.active,
    )


async def _set_replies(update: Update, context: Context, args: Sequence[str]) -> None:
    """Store where a group's on-demand answers go (its administrators only)."""
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    replies = _chosen_word(args, list(REPLY_MODES), "which_replies")
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        raise InputProblem("replies_in_groups")
    if await store_setting(update, context, "replies", services.chats.set_replies, replies=replies):
        await reply(update, "replies_setting", replies=replies)


async def _set_chart(update: Update, context: Context, chart: str | None) -> None:
    """Store the chart sent after the chat's briefing (administrators only, in groups)."""
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    current = await services.database.run(services.chats.subscription, chat.id)
    if current is None or not current.active:
        await reply(update, "chart_setting", subscription=None, chart=chart)
        return
    if not await may_manage(update, context):
        await reply(update, "not_admin", setting="chart")
        return
    subscription = await services.database.run(
        services.chats.set_chart, chat.id, chart, services.clock()
    )
    await reply(update, "chart_setting", subscription=subscription, chart=chart)

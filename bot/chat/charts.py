"""/rrg and /chart: the latest session's charts as photos."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from telegram import Update

from bot.chat.commands import InputProblem, command, parse_window
from bot.chat.private_answers import answers_privately, share_keyboard
from bot.chat.replies import echo
from bot.desk.chart_desk import PAIRS_WINDOW, ChartRequest
from bot.services.context import BotContext
from bot.telegram_next import EphemeralRefused, EphemeralTarget, send_as_ephemeral
from briefings import WINDOWS

Context = BotContext
log = logging.getLogger(__name__)

RRG_KINDS: dict[str, ChartRequest] = {
    "sectors": ChartRequest("rrg-sectors"),
    "pairs": ChartRequest("rrg-pairs"),
}


def parse_rrg(args: Sequence[str]) -> ChartRequest:
    """Read "/rrg [sectors|pairs]" (default sectors)."""
    if not args:
        return RRG_KINDS["sectors"]
    request = RRG_KINDS.get(args[0].lower())
    if request is None:
        raise InputProblem("not_rrg", text=echo(args[0]))
    return request


def parse_chart(args: Sequence[str]) -> ChartRequest:
    """Read "/chart [rrg [sectors|pairs] | pairs | sectors [window] | breadth | window]".

    The names are the ones ``/settings chart`` and ``marketbrief chart`` take; a window alone
    means the sector bars.
    """
    if not args:
        return ChartRequest("pairs")
    first = args[0].lower()
    if first == "rrg":
        return parse_rrg(args[1:])
    if first.upper() in WINDOWS and len(args) == 1:
        return ChartRequest("sectors", parse_window(first))
    if first == "pairs":
        if len(args) > 1:
            raise InputProblem("pairs_window", window=PAIRS_WINDOW)
        return ChartRequest("pairs")
    if first == "breadth":
        if len(args) > 1:
            raise InputProblem("breadth_window")
        return ChartRequest("breadth")
    if first == "sectors":
        return ChartRequest("sectors", parse_window(args[1] if len(args) > 1 else None))
    raise InputProblem("not_chart", text=echo(args[0]))


async def send_chart(update: Update, context: Context, request: ChartRequest) -> None:
    """Render ``request`` for the latest session (off the event loop, cached) and send it.

    In a group that answers its members privately, only the asker sees it (with Share).
    """
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or message is None:
        return
    services = context.services
    snapshot = await services.desk.snapshot()
    chart = await services.charts.chart(snapshot, request)
    send = functools.partial(
        services.charts.send,
        context.bot,
        chat.id,
        chart,
        thread_id=message.message_thread_id if message.is_topic_message else None,
    )
    if user is not None and await answers_privately(update, context):
        try:
            await send_as_ephemeral(
                functools.partial(send, reply_markup=share_keyboard()), EphemeralTarget(user.id)
            )
        except EphemeralRefused as refused:
            log.info("chat %s refused an ephemeral chart (%s); posting it", chat.id, refused)
        else:
            return
    await send()


@command("rrg", max_args=1)
async def rrg(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the relative rotation graph of the sectors (vs the benchmark) or the pairs."""
    await send_chart(update, context, parse_rrg(args))


@command("chart", max_args=2)
async def chart(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the pairs' rebased ratios, the sector bars for a window or a rotation graph."""
    await send_chart(update, context, parse_chart(args))

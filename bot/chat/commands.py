"""On-demand commands: /start, /help, /brief, the views, /since, /pair, /tickers, /stats."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import date
from typing import Any

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden

from bot.chat.keyboards import render_window_view, window_keyboard, window_tables
from bot.chat.private_answers import send_view
from bot.chat.replies import (
    MAX_COMMAND_LENGTH,
    data_behind_note,
    echo,
    neutralise,
    render_bot,
    reply,
    send_html,
    with_note,
)
from bot.chat.rich_answers import sent_as_rich
from bot.desk.buttons import View
from bot.desk.lab_button import lab_button, with_lab_row
from bot.desk.reader_language import current_language
from bot.desk.summary_keyboard import view_keyboard
from bot.services.context import BotContext
from bot.services.hub import BotServices
from bot.services.jobs import brief_jobs
from briefings import (
    BriefingInputError,
    CalendarRangeError,
    NoDataError,
    Snapshot,
    briefing_tables,
    render_factors,
    render_pair,
    render_since,
    window_named,
)

log = logging.getLogger(__name__)

Context = BotContext
CommandBody = Callable[[Update, Context, Sequence[str]], Awaitable[None]]
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


#: The /brief argument that asks for the whole briefing instead of the summary.
FULL_ARGUMENT = "full"


class InputProblem(ValueError):
    """Raise when a command's arguments are malformed; ``key`` names what was wrong.

    The reply's words are in templates/bot/problem.html.j2, one per key, filled with ``params``.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        # A parameter may quote the input (an error's detail does): shown inert.
        self.params = {
            name: neutralise(value) if isinstance(value, str) else value
            for name, value in params.items()
        }


def services_of(context: Context) -> BotServices:
    """Return the bot's services from a handler's context."""
    return context.services


async def reply_usage(
    update: Update, context: Context, command: str, problem: Exception | None
) -> None:
    """Answer malformed input with what was wrong and the command's usage."""
    settings = context.services.settings
    if problem is not None and not isinstance(problem, InputProblem):
        problem = ValueError(neutralise(str(problem)))  # a domain error may quote the input
    await reply(
        update,
        "usage",
        command=command,
        problem=problem,
        default_time=settings.default_time,
        default_zone=settings.default_zone,
    )


def command(name: str, *, max_args: int) -> Callable[[CommandBody], Handler]:
    """Wrap a command body: reject huge input and extra arguments, answer input errors."""

    def decorate(body: CommandBody) -> Handler:
        @functools.wraps(body)
        async def handler(update: Update, context: Context) -> None:
            message = update.effective_message
            if message is None:
                return
            args = list(context.args or ())
            if len(message.text or "") > MAX_COMMAND_LENGTH:
                await reply_usage(update, context, name, InputProblem("too_long"))
                return
            if len(args) > max_args:
                many = InputProblem("too_many", command=name, most=max_args)
                if max_args == 0:
                    many = InputProblem("no_arguments", command=name)
                await reply_usage(update, context, name, many)
                return
            try:
                await body(update, context, args)
            except (InputProblem, BriefingInputError, CalendarRangeError) as exc:
                await reply_usage(update, context, name, exc)
            except NoDataError as exc:
                await reply(update, "no_data", reason=neutralise(str(exc)))

        return handler

    return decorate


def parse_window(text: str | None, default: str = "MTD") -> str:
    """Return a window name from user input (case-insensitive), or raise InputProblem."""
    if text is None:
        return default
    window = window_named(text)
    if window is None:
        raise InputProblem("not_window", text=echo(text))
    return window


def parse_day(text: str) -> date:
    """Parse YYYY-MM-DD, or raise InputProblem."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputProblem("not_date", text=echo(text)) from None


async def help_command(update: Update, context: Context) -> None:
    """Explain the bot, its commands and how to subscribe (/start and /help)."""
    services = context.services
    chat = update.effective_chat
    await reply(
        update,
        "help",
        simulated=services.desk.service.simulated,
        default_time=services.settings.default_time,
        default_zone=services.settings.default_zone,
        is_group=chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        is_forum=bool(chat and chat.is_forum),
        bot_username=context.bot.username,
    )


def behind_note(context: Context, snapshot: Snapshot) -> str:
    """Return a line saying the data ends before the last completed session ("" when current)."""
    return data_behind_note(snapshot.briefing.as_of, context.services.desk.expected_session())


@command("brief", max_args=1)
async def brief(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the latest summary with its view buttons; "/brief full" sends the whole briefing."""
    if args and args[0].lower() != FULL_ARGUMENT:
        raise InputProblem("not_brief_option", text=echo(args[0]))
    rendered = await context.services.desk.rendered(lang=current_language())
    note = behind_note(context, rendered.snapshot)
    if args:
        tables = briefing_tables(rendered.briefing, current_language())
        if await sent_as_rich(update, context, tables, note=note):
            return
        for part in rendered.full:
            await send_html(update, part)
        if note:
            await send_html(update, note)
        return
    keyboard = view_keyboard(rendered.briefing.as_of)
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        button = lab_button(
            context.services.settings,
            private=True,
            bot_username=context.bot.username,
            lang=current_language(),
        )
        keyboard = with_lab_row(keyboard, button)
    *head, last = rendered.messages
    for part in head:
        await send_html(update, part)
    await send_html(update, with_note(last, note), keyboard)


async def _send_window_view(
    update: Update, context: Context, args: Sequence[str], view: View
) -> None:
    window = parse_window(args[0] if args else None)
    snapshot = await context.services.desk.snapshot()
    text = render_window_view(context.services.desk, view, snapshot.briefing, window)
    tables = window_tables(view, snapshot.briefing, window)
    note = behind_note(context, snapshot)
    keyboard = window_keyboard(view, window)
    if tables is not None and await sent_as_rich(update, context, tables, keyboard, note):
        return
    await send_view(
        update,
        context,
        with_note(text, note),
        keyboard,
    )


@command("rotation", max_args=1)
async def rotation(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the rotation pairs for a window, with buttons to switch the window."""
    await _send_window_view(update, context, args, View.ROTATION)


@command("sectors", max_args=1)
async def sectors(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the sector leaderboard for a window, with buttons to switch the window."""
    await _send_window_view(update, context, args, View.SECTORS)


@command("factors", max_args=1)
async def factors(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the factor scoreboard for a window: each factor fund against the S&P 500."""
    window = parse_window(args[0] if args else None)
    snapshot = await context.services.desk.snapshot()
    text = await asyncio.to_thread(render_factors, snapshot, window, "html", current_language())
    await send_view(update, context, with_note(text, behind_note(context, snapshot)))


@command("since", max_args=1)
async def since(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the key groups' returns since a date's close."""
    if not args:
        raise InputProblem("which_date")
    start = parse_day(args[0])
    snapshot = await context.services.desk.snapshot()
    result = await asyncio.to_thread(snapshot.since, start)
    text = render_since(snapshot.briefing, result, "html", current_language())
    await send_view(update, context, with_note(text, behind_note(context, snapshot)))


def parse_pair(args: Sequence[str]) -> tuple[str, str]:
    """Read "LEAD LAG" or "LEAD/LAG"; raise InputProblem unless that names two legs."""
    words = [part for arg in args for part in arg.split("/")]
    if len(words) != 2 or not all(word.strip() for word in words):
        raise InputProblem("two_tickers")
    return words[0].strip(), words[1].strip()


@command("pair", max_args=2)
async def pair(update: Update, context: Context, args: Sequence[str]) -> None:
    """Compare two universe tickers over every window, with both legs' own returns."""
    lead, lag = parse_pair(args)
    desk = context.services.desk
    snapshot = await desk.snapshot()
    line = await asyncio.to_thread(snapshot.pair, lead, lag)
    text = render_pair(snapshot.briefing, line, "html", current_language())
    await send_view(update, context, with_note(text, behind_note(context, snapshot)))


@command("tickers", max_args=0)
async def tickers(update: Update, context: Context, args: Sequence[str]) -> None:
    """List the tickers and baskets /pair and the views know, by group."""
    universe = context.services.desk.service.universe
    await send_view(update, context, render_bot("tickers.html.j2", universe=universe))


async def stats(update: Update, context: Context) -> None:
    """Show subscribers, deliveries and data freshness to the bot's administrators only."""
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.id not in services.settings.admins:
        await unknown_command(update, context)
        return
    text = await _stats_text(context, services)
    if chat is None or chat.type == ChatType.PRIVATE:
        await send_html(update, text)
        return
    # Subscriber counts are for the operator, not for every member of the group.
    try:
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        sent = True
    except (Forbidden, BadRequest):
        sent = False  # the operator never opened a private chat with the bot
    await reply(update, "stats_private", sent=sent)


async def _stats_text(context: Context, services: BotServices) -> str:
    freshness = await services.desk.freshness()
    run, chats, outbox = services.database.run, services.chats, services.outbox
    session = freshness.expected_session
    counts = dict(await run(chats.counts))
    inactive = counts.pop("inactive", 0)
    return render_bot(
        "stats.html.j2",
        active=sorted(counts.items()),
        active_total=sum(counts.values()),
        inactive=inactive,
        session=session,
        deliveries=sorted((await run(outbox.counts, session)).items()),
        all_deliveries=sorted((await run(outbox.counts)).items()),
        alert_chats=await run(chats.alert_count),
        alerts_sent=sorted((await run(outbox.counts, session, alerts=True)).items()),
        charts=services.charts.cache.stats(),
        freshness=freshness,
        jobs=sorted(
            (job.name or "").removeprefix("brief ") for job in brief_jobs(context.application)
        ),
    )


def _command_word(text: str) -> tuple[str, str | None]:
    """Split "/cmd@bot args" into ("/cmd", "bot")."""
    word = text.split(maxsplit=1)[0] if text.strip() else text
    name, _, mention = word.partition("@")
    return name, mention or None


async def unknown_command(update: Update, context: Context) -> None:
    """Answer a command this bot does not have.

    A command addressed to another bot (/cmd@otherbot) is never answered, in any chat. In
    groups a bare /cmd is not answered either: other bots live there too, and it may be theirs.
    """
    message = update.effective_message
    if message is None or message.text is None:
        return
    name, mention = _command_word(message.text)
    chat = update.effective_chat
    in_group = chat is not None and chat.type != ChatType.PRIVATE
    addressed = (
        mention is not None and mention.casefold() == (context.bot.username or "").casefold()
    )
    if (mention is not None or in_group) and not addressed:
        return
    await reply(update, "unknown", command=echo(name))


async def plain_text(update: Update, context: Context) -> None:
    """Point a person who wrote plain text in a private chat to the commands."""
    await reply(update, "text_hint")

"""/breadth [sector] and /movers [window]: index members' breadth and biggest movers."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update

from bot.chat.commands import InputProblem, behind_note, command, parse_window, services_of
from bot.chat.keyboards import render_window_view, window_keyboard
from bot.chat.private_answers import send_view
from bot.chat.replies import echo, with_note
from bot.desk.buttons import View
from bot.desk.reader_language import current_language
from bot.services.context import BotContext
from briefings import RenderError, render_breadth

Context = BotContext


@command("breadth", max_args=3)
async def breadth(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the members' breadth per index and sector, or of one sector (e.g. "health care")."""
    snapshot = await services_of(context).desk.snapshot()
    sector = " ".join(args) if args else None
    try:
        text = render_breadth(snapshot.briefing, sector, "html", current_language())
    except RenderError as exc:
        raise InputProblem("not_sector", text=echo(sector or ""), choices=exc.choices) from None
    await send_view(update, context, with_note(text, behind_note(context, snapshot)))


@command("movers", max_args=1)
async def movers(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the top and bottom contributors and biggest member moves, with window buttons."""
    window = parse_window(args[0] if args else None)
    snapshot = await services_of(context).desk.snapshot()
    text = render_window_view(services_of(context).desk, View.MOVERS, snapshot.briefing, window)
    await send_view(
        update,
        context,
        with_note(text, behind_note(context, snapshot)),
        window_keyboard(View.MOVERS, window),
    )

"""/breadth [sector] and /movers [window]: index members' breadth and biggest movers."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update

from bot.chat.commands import InputProblem, behind_note, command, parse_window, services_of
from bot.chat.keyboards import render_window_view, window_keyboard, window_tables
from bot.chat.private_answers import send_view
from bot.chat.replies import echo, with_note
from bot.chat.rich_answers import sent_as_rich
from bot.desk.buttons import View
from bot.desk.reader_language import current_language
from bot.services.context import BotContext
from briefings import RenderError, breadth_tables, render_breadth

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
    note = behind_note(context, snapshot)
    # One sector's breadth is a few lines, not a table: it stays HTML.
    if sector is None:
        tables = breadth_tables(snapshot.briefing, current_language())
        if await sent_as_rich(update, context, tables, note=note):
            return
    await send_view(update, context, with_note(text, note))


@command("movers", max_args=1)
async def movers(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the top and bottom contributors and biggest member moves, with window buttons."""
    window = parse_window(args[0] if args else None)
    snapshot = await services_of(context).desk.snapshot()
    text = render_window_view(services_of(context).desk, View.MOVERS, snapshot.briefing, window)
    note = behind_note(context, snapshot)
    keyboard = window_keyboard(View.MOVERS, window)
    tables = window_tables(View.MOVERS, snapshot.briefing, window)
    if tables is not None and await sent_as_rich(update, context, tables, keyboard, note):
        return
    await send_view(update, context, with_note(text, note), keyboard)

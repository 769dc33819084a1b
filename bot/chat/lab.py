"""/lab [sectors|pairs|heatmap|breadth|ratios]: open the Rotation Lab, the interactive charts."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.chat.commands import InputProblem, command
from bot.chat.replies import echo, render_bot, send_html
from bot.desk.lab_button import DEFAULT_VIEW, lab_button
from bot.desk.reader_language import current_language
from bot.services.context import BotContext

Context = BotContext

#: What /lab takes, and the Lab view each opens.
LAB_VIEWS = {
    "sectors": "rrg-sectors",
    "pairs": "rrg-pairs",
    "heatmap": "heatmap",
    "breadth": "breadth",
    "ratios": "pairs",
}


def parse_lab(args: Sequence[str]) -> str:
    """Read "/lab [view]" (default: the sectors' rotation graph)."""
    if not args:
        return DEFAULT_VIEW
    view = LAB_VIEWS.get(args[0].lower())
    if view is None:
        raise InputProblem("not_lab", text=echo(args[0]))
    return view


@command("lab", max_args=1)
async def lab(update: Update, context: Context, args: Sequence[str]) -> None:
    """Send the Lab's button (private chats) or its direct link (groups), or say it is off."""
    view = parse_lab(args)
    chat = update.effective_chat
    private = chat is not None and chat.type == ChatType.PRIVATE
    settings = context.services.settings
    button = lab_button(
        settings,
        private=private,
        bot_username=context.bot.username,
        lang=current_language(),
        view=view,
    )
    if button is None:
        await send_html(
            update,
            render_bot("lab.html.j2", state="off" if settings.lab.page_url is None else "private"),
        )
        return
    await send_html(
        update, render_bot("lab.html.j2", state="open"), InlineKeyboardMarkup([[button]])
    )

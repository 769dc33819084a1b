"""Window views (/rotation, /sectors, /movers) and the inline keyboards that switch their window.

Each button carries its view and window (bot.desk.buttons.WindowButton).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desk.buttons import View, WindowButton, encode
from bot.desk.market_desk import MarketDesk
from bot.desk.reader_language import current_language
from briefings import (
    WINDOWS,
    Briefing,
    TableView,
    movers_tables,
    render_movers,
    render_rotation,
    render_sectors,
    rotation_tables,
    sectors_tables,
)

BUTTONS_PER_ROW = 4


def render_window_view(desk: MarketDesk, view: View, briefing: Briefing, window: str) -> str:
    """Render ``view`` (ROTATION, SECTORS or MOVERS) of ``briefing`` for ``window`` as HTML."""
    render = {
        View.ROTATION: render_rotation,
        View.SECTORS: render_sectors,
        View.MOVERS: render_movers,
    }[view]
    return desk.rendered_view(briefing, view, window, current_language(), render)


def window_tables(view: View, briefing: Briefing, window: str) -> TableView:
    """Return ``view`` (ROTATION, SECTORS or MOVERS) for ``window`` as neutral tables."""
    if view is View.SECTORS:
        return sectors_tables(briefing, window, current_language())
    if view is View.ROTATION:
        return rotation_tables(briefing, window, current_language())
    return movers_tables(briefing, window, current_language())


def window_keyboard(view: View, current: str) -> InlineKeyboardMarkup:
    """Return one button per window; the current one is marked with a dot."""
    buttons = [
        InlineKeyboardButton(
            f"• {w} •" if w == current else w, callback_data=encode(WindowButton(view, w))
        )
        for w in WINDOWS
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)

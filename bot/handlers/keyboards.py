"""Window views (/rotation, /sectors, /movers) and the inline keyboards that switch their window.

Callback data looks like "rot:1M", "sec:YTD" or "mov:MTD".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desk.reader_language import current_language
from bot.desk.market_desk import MarketDesk
from briefings.windows import WINDOWS
from briefings.model import Briefing
from briefings.render.views import render_rotation, render_sectors
from briefings.render.members import render_movers

ROTATION = "rot"
SECTORS = "sec"
MOVERS = "mov"
VIEWS = (ROTATION, SECTORS, MOVERS)
BUTTONS_PER_ROW = 4

_DATA = re.compile(r"^(?P<view>[a-z]{3}):(?P<window>[0-9A-Z]{2,3})$")


@dataclass(frozen=True)
class WindowChoice:
    """A pressed window button: which view and which window."""

    view: str
    window: str


def render_window_view(desk: MarketDesk, view: str, briefing: Briefing, window: str) -> str:
    """Render ``view`` (ROTATION, SECTORS or MOVERS) of ``briefing`` for ``window`` as HTML."""
    render = {ROTATION: render_rotation, SECTORS: render_sectors, MOVERS: render_movers}[view]
    return desk.rendered_view(briefing, view, window, current_language(), render)


def window_keyboard(view: str, current: str) -> InlineKeyboardMarkup:
    """Return one button per window; the current one is marked with a dot."""
    buttons = [
        InlineKeyboardButton(f"• {w} •" if w == current else w, callback_data=f"{view}:{w}")
        for w in WINDOWS
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


def parse_choice(data: str | None) -> WindowChoice | None:
    """Return the choice a button's callback data encodes, None when it is stale or foreign."""
    match = _DATA.match(data or "")
    if match is None:
        return None
    view, window = match.group("view"), match.group("window")
    if view not in VIEWS or window not in WINDOWS:
        return None
    return WindowChoice(view, window)

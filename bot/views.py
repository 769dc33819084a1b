"""The daily summary's inline buttons: detail views opened in place, and back to the summary.

Callback data is ``v:<view>:<session>``, e.g. ``v:rot:2025-12-11``: the session the message
shows, so a button pressed days later (or after a restart) opens that session's view from the
store, or says the view has expired when the store no longer serves that session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desk.chart_desk import ChartRequest
from bot.desk.reader_language import current_language
from briefings.model import Briefing
from briefings.render.views import render_basket_breadth, render_briefing, render_rotation, render_sectors, render_since_low, render_summary
from briefings.render.templates import render_template

SUMMARY = "sum"
ROTATION = "rot"
SECTORS = "sec"
BREADTH = "brd"
SINCE_LOW = "low"
CHART = "cht"
FULL = "full"
#: Button rows under the summary and under every detail view.
ROWS: tuple[tuple[str, ...], ...] = ((ROTATION, SECTORS, BREADTH), (SINCE_LOW, CHART, FULL))
VIEWS = frozenset({SUMMARY, *(view for row in ROWS for view in row)})
#: The window the rotation view opens on: the one the verdict reads.
ROTATION_WINDOW = "1M"
#: The chart the chart button sends: the pairs' price ratios.
CHART_REQUEST = ChartRequest("pairs")

_DATA = re.compile(r"^v:(?P<view>[a-z]{3,4}):(?P<session>\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class ViewChoice:
    """A pressed summary button: which view of which session."""

    view: str
    session: date


def view_data(view: str, session: date) -> str:
    """Return the callback data of ``view``'s button for ``session``."""
    return f"v:{view}:{session.isoformat()}"


def parse_view(data: str | None) -> ViewChoice | None:
    """Return the choice a button's data encodes; None when it is malformed or foreign."""
    match = _DATA.match(data or "")
    if match is None or match.group("view") not in VIEWS:
        return None
    try:
        session = date.fromisoformat(match.group("session"))
    except ValueError:
        return None
    return ViewChoice(match.group("view"), session)


@cache
def _labels(lang: str) -> dict[str, str]:
    """Return the button labels of templates/bot/summary_buttons.txt.j2 by view, in ``lang``."""
    labels = {}
    for line in render_template("bot/summary_buttons.txt.j2", lang).splitlines():
        key, separator, label = line.partition(" - ")
        if separator:
            labels[key.strip()] = label.strip()
    return labels


def view_keyboard(
    session: date, current: str = SUMMARY, lang: str | None = None
) -> InlineKeyboardMarkup:
    """Return the view buttons in ``lang`` (default: the chat's being answered).

    A detail view also gets a first row back to the summary.
    """
    labels = _labels(lang or current_language())
    rows = [
        [
            InlineKeyboardButton(
                labels["current"].format(label=labels[view]) if view == current else labels[view],
                callback_data=view_data(view, session),
            )
            for view in row
        ]
        for row in ROWS
    ]
    if current != SUMMARY:
        back = InlineKeyboardButton(labels[SUMMARY], callback_data=view_data(SUMMARY, session))
        rows.insert(0, [back])
    return InlineKeyboardMarkup(rows)


def render_view(view: str, briefing: Briefing, lang: str | None = None) -> str:
    """Render a text view (every view but the chart) of ``briefing`` as Telegram HTML."""
    lang = lang or current_language()
    if view == ROTATION:
        return render_rotation(briefing, ROTATION_WINDOW, "html", lang)
    if view == SECTORS:
        return render_sectors(briefing, briefing.period, "html", lang)
    if view == BREADTH:
        return render_basket_breadth(briefing, "html", lang)
    if view == SINCE_LOW:
        return render_since_low(briefing, "html", lang)
    if view == FULL:
        return render_briefing(briefing, "html", lang)
    return render_summary(briefing, "html", lang)

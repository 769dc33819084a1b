"""The daily summary's inline buttons: detail views opened in place, and back to the summary.

Each button carries the session the message shows (bot.desk.buttons.ViewButton), so a button
pressed days later (or after a restart) opens that session's view from the store, or says the
view has expired when the store no longer serves that session.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desk.buttons import View, ViewButton, encode
from bot.desk.chart_desk import ChartRequest
from bot.desk.reader_language import current_language
from briefings import (
    Briefing,
    render_breadth_view,
    render_briefing,
    render_rotation,
    render_sectors,
    render_since_low,
    render_summary,
    render_template,
)

#: Button rows under the summary and under every detail view.
ROWS: tuple[tuple[View, ...], ...] = (
    (View.ROTATION, View.SECTORS, View.BREADTH),
    (View.SINCE_LOW, View.CHART, View.FULL),
)
#: The window the Rotation button opens on: the same default as /rotation, so one name is one view.
ROTATION_WINDOW = "MTD"
#: The chart the chart button sends: the pairs' price ratios.
CHART_REQUEST = ChartRequest("pairs")


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
    session: date, current: View = View.SUMMARY, lang: str | None = None
) -> InlineKeyboardMarkup:
    """Return the view buttons in ``lang`` (default: the chat's being answered).

    A detail view also gets a first row back to the summary.
    """
    labels = _labels(lang or current_language())
    rows = [
        [
            InlineKeyboardButton(
                labels["current"].format(label=labels[view]) if view == current else labels[view],
                callback_data=encode(ViewButton(view, session)),
            )
            for view in row
        ]
        for row in ROWS
    ]
    if current != View.SUMMARY:
        back_data = encode(ViewButton(View.SUMMARY, session))
        rows.insert(0, [InlineKeyboardButton(labels[View.SUMMARY], callback_data=back_data)])
    return InlineKeyboardMarkup(rows)


def render_view(view: View, briefing: Briefing, lang: str | None = None) -> str:
    """Render a text view (every view but the chart) of ``briefing`` as Telegram HTML."""
    lang = lang or current_language()
    if view == View.ROTATION:
        return render_rotation(briefing, ROTATION_WINDOW, "html", lang)
    if view == View.SECTORS:
        return render_sectors(briefing, briefing.period, "html", lang)
    if view == View.BREADTH:
        return render_breadth_view(briefing, "html", lang)
    if view == View.SINCE_LOW:
        return render_since_low(briefing, "html", lang)
    if view == View.FULL:
        return render_briefing(briefing, "html", lang)
    return render_summary(briefing, "html", lang)

"""The session close in a summary's footer as a ``date_time`` entity: each reader's own zone.

The domain's footer says "close 2025-11-21" (its words, unchanged); the desk wraps that date in
``<tg-time>`` with the session's close (``briefings.session_close``), so clients that know
date_time entities (Bot API 9.5, https://core.telegram.org/bots/api#formatting-options) show
the close's day and time in the reader's zone, and older ones show the date as before.
"""

from __future__ import annotations

from datetime import date

from briefings import session_close

#: Weekday, date and time: the close is an instant, not only a day.
CLOSE_FORMAT = "wDT"


def with_close_time(summary_html: str, session: date) -> str:
    """Return ``summary_html`` with its last mention of ``session`` as a date_time entity."""
    day = session.isoformat()
    at = summary_html.rfind(day)
    if at < 0:
        return summary_html
    unix = int(session_close(session).timestamp())
    tagged = f'<tg-time unix="{unix}" format="{CLOSE_FORMAT}">{day}</tg-time>'
    return summary_html[:at] + tagged + summary_html[at + len(day) :]

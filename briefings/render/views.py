"""Render the briefing's views (full, summary, rotation, sectors, since, pair) in each format."""

from __future__ import annotations

import json
from typing import Literal

from briefings.analytics.rotation import RotationLine
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.model import Briefing, Change, SinceDate
from briefings.render.briefing_json import briefing_to_json
from briefings.render.templates import render_template
from briefings.windows import WINDOWS

Format = Literal["text", "html", "json"]
#: The daily summary's most lines, and the fewest takeaways and changes it keeps to meet that.
SUMMARY_MAX_LINES = 26
SUMMARY_MIN_TAKEAWAYS = 3
SUMMARY_MIN_CHANGES = 1
SUMMARY_MAX_CHANGES = 4


class RenderError(ValueError):
    """Raise when asked for an unknown format or window."""


def _extension(fmt: str) -> str:
    if fmt == "text":
        return "txt"
    if fmt == "html":
        return "html"
    raise RenderError(f"unknown format {fmt!r}; use text, html or json")


def _check_window(window: str) -> str:
    if window not in WINDOWS:
        raise RenderError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    return window


def render_briefing(briefing: Briefing, fmt: Format, lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the whole daily briefing as terminal text, Telegram HTML or JSON."""
    if fmt == "json":
        return json.dumps(briefing_to_json(briefing), indent=2, ensure_ascii=False) + "\n"
    return render_template(f"briefing.{_extension(fmt)}.j2", lang, b=briefing)


def render_summary(briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the phone-first daily summary: verdict, the day, takeaways, what changed.

    At most SUMMARY_MAX_LINES lines: the most takeaways (at least SUMMARY_MIN_TAKEAWAYS) with
    at least SUMMARY_MIN_CHANGES changes, then as many changes (up to SUMMARY_MAX_CHANGES) as
    still fit; when even that is too long, the changes are only counted.
    """
    story = briefing.story
    name = f"summary.{_extension(fmt)}.j2"
    if story is None:
        return render_template(name, lang, b=briefing, s=None, takeaways=(), changes=(), more=0)
    changes = _summary_changes(briefing)
    takeaways = story.takeaways

    def render(told: int, shown: int) -> str:
        return render_template(
            name,
            lang,
            b=briefing,
            s=story,
            takeaways=takeaways[:told],
            changes=changes[:shown],
            more=len(changes) - shown,
        )

    fewest_takeaways = min(SUMMARY_MIN_TAKEAWAYS, len(takeaways))
    most_changes = min(SUMMARY_MAX_CHANGES, len(changes))
    fewest_changes = min(SUMMARY_MIN_CHANGES, most_changes)
    text = ""
    for least in (fewest_changes, 0):
        for told in range(len(takeaways), fewest_takeaways - 1, -1):
            for shown in range(most_changes, least - 1, -1):
                text = render(told, shown)
                if text.count("\n") <= SUMMARY_MAX_LINES:
                    return text
    return text


def _summary_changes(briefing: Briefing) -> list[Change]:
    """Return the changes the summary shows: records are left to the records takeaway."""
    story = briefing.story
    if story is None:
        return []
    told_records = any(t.id == "records" for t in story.takeaways)
    return [c for c in story.changes if not (told_records and c.kind == "record")]


def render_basket_breadth(
    briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the baskets' breadth: members above their 50- and 200-day averages."""
    return render_template(f"basket_breadth.{_extension(fmt)}.j2", lang, b=briefing)


def render_since_low(briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the returns since the recent low of the low benchmark."""
    return render_template(f"since_low.{_extension(fmt)}.j2", lang, b=briefing)


def render_rotation(
    briefing: Briefing, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the rotation pairs with their spreads for ``window``, trend and quadrant."""
    return render_template(
        f"rotation.{_extension(fmt)}.j2", lang, b=briefing, window=_check_window(window)
    )


def render_sectors(
    briefing: Briefing, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the sector leaderboard for ``window``, best to worst."""
    return render_template(
        f"sectors.{_extension(fmt)}.j2", lang, b=briefing, window=_check_window(window)
    )


def render_since(
    briefing: Briefing, since: SinceDate, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render returns of the key groups since a date's close."""
    return render_template(f"since.{_extension(fmt)}.j2", lang, b=briefing, since=since)


def render_pair(
    briefing: Briefing, line: RotationLine, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render a two-ticker comparison over every window."""
    return render_template(f"pair.{_extension(fmt)}.j2", lang, b=briefing, line=line)

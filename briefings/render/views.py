"""Render the briefing's views (full, summary, rotation, sectors, since, pair) in each format."""

from __future__ import annotations

import json
from typing import Literal

from briefings.analytics.rotation import RotationLine
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.model import Briefing, SinceDate
from briefings.render.briefing_json import briefing_to_json
from briefings.render.selection import select_summary
from briefings.render.templates import render_template
from briefings.windows import WINDOWS

Format = Literal["text", "html", "json"]


class RenderError(ValueError):
    """Raise when asked for an unknown format, window or sector; ``choices`` are the known ones."""

    def __init__(self, message: str, choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.choices = choices


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

    Its facts are chosen once for every language and format (``select_summary``): the same
    ids in the same order, at most SUMMARY_MAX_LINES phone lines in the longest language.
    """
    return render_template(
        f"summary.{_extension(fmt)}.j2",
        lang,
        b=briefing,
        s=briefing.story,
        pick=select_summary(briefing),
    )


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

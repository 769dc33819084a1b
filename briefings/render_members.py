"""Render index members' figures for the bot and the CLI: /breadth and /movers views."""

from __future__ import annotations

from briefings.i18n import DEFAULT_LANGUAGE
from briefings.windows import WINDOWS
from briefings.model import Briefing
from briefings.render.views import Format, RenderError
from briefings.render.templates import render_template


def _extension(fmt: Format) -> str:
    if fmt == "text":
        return "txt"
    if fmt == "html":
        return "html"
    raise RenderError(f"unknown format {fmt!r}; use text or html")


def render_breadth(
    briefing: Briefing,
    sector: str | None = None,
    fmt: Format = "html",
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """Render index and per-sector member breadth; with ``sector``, that sector's members only.

    An unknown sector raises RenderError naming the sectors there are.
    """
    chosen = None
    if sector is not None:
        for members in briefing.members:
            chosen = members.sector(sector)
            if chosen is not None:
                break
        if chosen is None:
            known = sorted({s.sector for m in briefing.members for s in m.sectors})
            raise RenderError(
                f"no sector called {sector!r}; use one of {', '.join(known) or 'none (no members)'}"
            )
    return render_template(f"breadth.{_extension(fmt)}.j2", lang, b=briefing, chosen=chosen)


def render_movers(
    briefing: Briefing, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render each index's top and bottom contributors and biggest member moves for ``window``."""
    if window not in WINDOWS:
        raise RenderError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    return render_template(f"movers.{_extension(fmt)}.j2", lang, b=briefing, window=window)

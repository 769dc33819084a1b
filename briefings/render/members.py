"""Render index members' figures for the bot and the CLI: /breadth and /movers views."""

from __future__ import annotations

from briefings.i18n import DEFAULT_LANGUAGE, LANGUAGES
from briefings.members.model import SectorFigures
from briefings.model import Briefing
from briefings.render.templates import display_name, render_template, short_sector_names
from briefings.render.views import Format, RenderError, render_basket_breadth
from briefings.windows import WINDOWS


def _extension(fmt: Format) -> str:
    if fmt == "text":
        return "txt"
    if fmt == "html":
        return "html"
    raise RenderError(f"unknown format {fmt!r}; use text or html")


def render_breadth_view(
    briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render "breadth" as /breadth shows it: the index members', else the universe's baskets."""
    if any(members.with_data for members in briefing.members):
        return render_breadth(briefing, None, fmt, lang)
    return render_basket_breadth(briefing, fmt, lang)


def render_breadth(
    briefing: Briefing,
    sector: str | None = None,
    fmt: Format = "html",
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """Render index and per-sector member breadth; with ``sector``, that sector's members only.

    An unknown sector raises RenderError naming the sectors there are.
    """
    chosen = None if sector is None else find_sector(briefing, sector)
    return render_template(f"breadth.{_extension(fmt)}.j2", lang, b=briefing, chosen=chosen)


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()


def find_sector(briefing: Briefing, name: str) -> SectorFigures:
    """Return the sector ``name`` means: in English as ``IndexMembers.sector`` reads it, or as
    the bot shows it in any language (信息技术), or by a short form (科技, tech, IT).

    An unknown sector raises RenderError whose ``choices`` are the sectors there are.
    """
    for members in briefing.members:
        found = members.sector(name)
        if found is not None:
            return found
    wanted = _squeezed(name)
    for members in briefing.members:
        for language in LANGUAGES:
            shorts = short_sector_names(language)
            found_all = [
                s
                for s in members.sectors
                if wanted
                and (
                    _squeezed(display_name(language, s.sector)).startswith(wanted)
                    or wanted in {_squeezed(short) for short in shorts.get(s.sector, ())}
                )
            ]
            if len(found_all) == 1:
                return found_all[0]
    known = tuple(sorted({s.sector for m in briefing.members for s in m.sectors}))
    raise RenderError(
        f"no sector called {name!r}; use one of {', '.join(known) or 'none (no members)'}",
        choices=known,
    )


def render_movers(
    briefing: Briefing, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render each index's top and bottom contributors and biggest member moves for ``window``."""
    if window not in WINDOWS:
        raise RenderError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    return render_template(f"movers.{_extension(fmt)}.j2", lang, b=briefing, window=window)

"""Neutral tables of the views (full briefing, sectors, rotation, factors, breadth, movers).

No transport is named here: a view is a title, sections of paragraphs, list items and tables of
plain text cells, and a footer; the words and figures come from the same data and filters as the
HTML views, in each language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from briefings.i18n import DEFAULT_LANGUAGE
from briefings.model import Briefing
from briefings.render.factors import snapshot_factors
from briefings.render.templates import render_template
from briefings.snapshot import Snapshot
from briefings.windows import WINDOWS


@dataclass(frozen=True)
class Table:
    """A table of plain text cells: one header row, then the rows (each as long as the header).

    ``figures_from``: the first column of figures (they line up on the right); the columns
    before it hold names.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    figures_from: int = 1


@dataclass(frozen=True)
class Section:
    """A part of a view: an optional heading, paragraphs, list items, tables and notes.

    ``collapsed``: a detail a reader opens (a transport may show it folded); ``empty``: what to
    say when every table has no rows.
    """

    heading: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    collapsed: bool = False
    empty: str = ""


@dataclass(frozen=True)
class TableView:
    """A whole view as neutral sections: title, subtitle, warning (simulated data), footer."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: str
    warning: str = ""


def _check_window(window: str) -> str:
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    return window


def _table(data: dict[str, Any]) -> Table:
    header = tuple(str(cell) for cell in data["header"])
    rows = tuple(tuple(str(cell) for cell in row) for row in data["rows"])
    return Table(header, rows, str(data.get("caption", "")), int(data.get("figures_from", 1)))


def _section(data: dict[str, Any]) -> Section:
    return Section(
        heading=str(data["heading"]),
        paragraphs=tuple(data["paragraphs"]),
        items=tuple(data["items"]),
        tables=tuple(_table(table) for table in data["tables"]),
        notes=tuple(data["notes"]),
        collapsed=bool(data["collapsed"]),
        empty=str(data.get("empty", "")),
    )


def _view(template: str, lang: str, **context: Any) -> TableView:
    data = json.loads(render_template(template, lang, **context))
    return TableView(
        title=data["title"],
        subtitle=data["subtitle"],
        sections=tuple(_section(section) for section in data["sections"]),
        footer=data["footer"],
        warning=data["warning"],
    )


def briefing_tables(briefing: Briefing, lang: str = DEFAULT_LANGUAGE) -> TableView:
    """Return the whole briefing as tables: the story, then groups, rotation, sectors, breadth."""
    return _view("tables/briefing.json.j2", lang, b=briefing)


def sectors_tables(briefing: Briefing, window: str, lang: str = DEFAULT_LANGUAGE) -> TableView:
    """Return the sector leaderboard for ``window`` as a table, best to worst."""
    return _view("tables/sectors.json.j2", lang, b=briefing, window=_check_window(window))


def breadth_tables(briefing: Briefing, lang: str = DEFAULT_LANGUAGE) -> TableView:
    """Return each index's member breadth and its sectors' (widest first) as tables."""
    return _view("tables/breadth.json.j2", lang, b=briefing)


def movers_tables(briefing: Briefing, window: str, lang: str = DEFAULT_LANGUAGE) -> TableView:
    """Return each index's top contributors and biggest member moves for ``window``."""
    return _view("tables/movers.json.j2", lang, b=briefing, window=_check_window(window))


def factors_tables(snapshot: Snapshot, window: str, lang: str = DEFAULT_LANGUAGE) -> TableView:
    """Return the factor scoreboard for ``window`` as a table: best factor first, with spreads."""
    board = snapshot_factors(snapshot)
    return _view(
        "tables/factors.json.j2",
        lang,
        b=snapshot.briefing,
        board=board,
        window=_check_window(window),
    )


def rotation_tables(briefing: Briefing, window: str, lang: str = DEFAULT_LANGUAGE) -> TableView:
    """Return the rotation pairs for ``window`` as a table: spread, ratio trend and quadrant."""
    return _view("tables/rotation.json.j2", lang, b=briefing, window=_check_window(window))

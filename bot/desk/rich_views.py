"""The domain's neutral tables as one Telegram rich message: headings, tables, expandable parts.

A view's sections become blocks (``bot.telegram_next``): a collapsed section is an expandable
details block whose summary is its heading; a table's header row is marked as header cells and
its figures line up on the right.
"""

from __future__ import annotations

import html
import re

from bot.telegram_next import (
    RichBlock,
    RichMessage,
    rich_details,
    rich_footer,
    rich_heading,
    rich_paragraph,
    rich_table,
)
from briefings import Section, TableView

_TAG = re.compile(r"<[^>]+>")


def plain(html_text: str) -> str:
    """Return Telegram HTML (a note of the bot's templates) as the plain text it shows."""
    return html.unescape(_TAG.sub("", html_text)).strip()


def rich_view(view: TableView, note: str = "") -> RichMessage:
    """Return ``view`` as one rich message; ``note`` (HTML, e.g. data behind) ends it."""
    blocks: list[RichBlock] = [rich_heading(view.title, 2), rich_paragraph(view.subtitle)]
    if view.warning:
        blocks.append(rich_paragraph(f"⚠️ {view.warning}"))
    for section in view.sections:
        blocks.extend(_section(section))
    blocks.append(rich_footer(view.footer))
    if note:
        blocks.append(rich_paragraph(plain(note)))
    return RichMessage(tuple(blocks))


def _section(section: Section) -> list[RichBlock]:
    inner: list[RichBlock] = [rich_paragraph(text) for text in section.paragraphs]
    inner += [rich_paragraph(f"• {item}") for item in section.items]
    for table in section.tables:
        if table.rows:
            inner.append(
                rich_table(
                    table.header,
                    table.rows,
                    figures_from=table.figures_from,
                    caption=table.caption,
                )
            )
    if section.empty and not any(table.rows for table in section.tables):
        inner.append(rich_paragraph(section.empty))
    inner += [rich_paragraph(text) for text in section.notes]
    if not inner:
        return []
    if section.collapsed and section.heading:
        return [rich_details(section.heading, inner)]
    return [rich_heading(section.heading, 3), *inner] if section.heading else inner

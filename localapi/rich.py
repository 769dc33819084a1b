"""Rich messages (Bot API 10.1-10.3): check an InputRichMessage's blocks and its limits.

The local server takes rich messages described as blocks (``InputRichMessage.blocks``), of the
block types it knows: paragraph, heading, pre, footer, divider, table and details (the types
and fields of https://core.telegram.org/bots/api#inputrichblock). It enforces the documented
limits (https://core.telegram.org/bots/api#rich-message-formatting-options): 32,768 characters
of text, 500 blocks counting table rows, 16 levels of nesting, 20 table columns. What a reader
sees is kept as plain text too: blocks on their own lines, table cells separated by tabs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localapi.errors import ApiError, bad_request

RICH_TEXT_LIMIT = 32_768
RICH_BLOCK_LIMIT = 500
RICH_DEPTH_LIMIT = 16
RICH_COLUMN_LIMIT = 20
HEADING_SIZES = range(1, 7)
CELL_ALIGNS = frozenset({"left", "center", "right"})
CELL_VALIGNS = frozenset({"top", "middle", "bottom"})
TEXT_BLOCKS = frozenset({"paragraph", "heading", "pre", "footer"})
#: The only way to describe a rich message this server reads; the others are refused by name.
OTHER_SOURCES = ("html", "markdown")


@dataclass
class _Tally:
    characters: int = 0
    blocks: int = 0


def rich_message(raw: Any) -> tuple[dict[str, Any], str]:
    """Return an InputRichMessage checked (400 on the first fault) and its plain text."""
    if not isinstance(raw, dict):
        raise bad_request("rich message must be an object")
    given = [field for field in ("blocks", *OTHER_SOURCES) if raw.get(field) is not None]
    if len(given) != 1:
        raise bad_request("exactly one of blocks, html or markdown must be specified")
    if given[0] != "blocks":
        raise bad_request(f"rich messages in {given[0]} are not supported by the local Bot API")
    blocks = raw["blocks"]
    if not isinstance(blocks, list) or not blocks:
        raise bad_request("rich message must have at least one block")
    tally = _Tally()
    lines = _blocks(blocks, 1, tally)
    if tally.characters > RICH_TEXT_LIMIT:
        raise bad_request("rich message text is too long")
    if tally.blocks > RICH_BLOCK_LIMIT:
        raise bad_request("rich message has too many blocks")
    if not "".join(lines).strip():
        raise bad_request("rich message must be non-empty")
    return {"blocks": blocks}, "\n".join(lines)


def _blocks(blocks: list[Any], depth: int, tally: _Tally) -> list[str]:
    if depth > RICH_DEPTH_LIMIT:
        raise bad_request("rich message is nested too deeply")
    lines: list[str] = []
    for block in blocks:
        tally.blocks += 1
        lines.extend(_block(block, depth, tally))
    return lines


def _block(block: Any, depth: int, tally: _Tally) -> list[str]:
    if not isinstance(block, dict):
        raise bad_request("rich block must be an object")
    kind = block.get("type")
    if kind in TEXT_BLOCKS:
        if kind == "heading" and block.get("size") not in HEADING_SIZES:
            raise bad_request("heading size must be between 1 and 6")
        return [_text(block.get("text"), tally, required=True)]
    if kind == "divider":
        return ["—"]
    if kind == "table":
        return _table(block, tally)
    if kind == "details":
        summary = _text(block.get("summary"), tally, required=True)
        inner = block.get("blocks")
        if not isinstance(inner, list) or not inner:
            raise bad_request("details block must have content blocks")
        return [summary, *_blocks(inner, depth + 1, tally)]
    raise bad_request(f"unsupported rich block type {kind!r}")


def _table(block: dict[str, Any], tally: _Tally) -> list[str]:
    rows = block.get("cells")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise bad_request("table must have rows of cells")
    lines = []
    for row in rows:
        tally.blocks += 1
        width = sum(_span(cell) for cell in row)
        if width > RICH_COLUMN_LIMIT:
            raise bad_request("table has too many columns")
        lines.append("\t".join(_cell(cell, tally) for cell in row))
    if _text(block.get("caption"), tally, required=False):
        lines.append(block["caption"])
    return lines


def _span(cell: Any) -> int:
    span = cell.get("colspan", 1) if isinstance(cell, dict) else 1
    if not isinstance(span, int) or span < 1:
        raise bad_request("table cell colspan must be a positive integer")
    return span


def _cell(cell: Any, tally: _Tally) -> str:
    if not isinstance(cell, dict):
        raise bad_request("table cell must be an object")
    if cell.get("align") not in CELL_ALIGNS:
        raise bad_request("table cell align must be left, center or right")
    if cell.get("valign") not in CELL_VALIGNS:
        raise bad_request("table cell valign must be top, middle or bottom")
    return _text(cell.get("text"), tally, required=False)


def _text(value: Any, tally: _Tally, *, required: bool) -> str:
    # RichText may be a plain string; the local server takes only that form.
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request("rich text must be a non-empty string")
    tally.characters += len(value)
    return value


def refused_as_unknown() -> ApiError:
    """Return the answer of a server too old for rich messages: the method is unknown."""
    return ApiError(404, "Not Found: method not found")

"""Validate message texts and captions the way the Bot API does: parse mode, emptiness, length."""

from __future__ import annotations

from typing import Any

from localapi.errors import bad_request
from localapi.html_entities import EntityParseError, FormattedText, parse_html, utf16_length

MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
RAW_TEXT_BYTE_LIMIT = 1 << 15
TRIMMED_CHARACTERS = " \t\r\n\v\f"


def message_text(
    raw: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> FormattedText:
    """Return the text a user sees; 400 when empty, unparsable or over 4096 characters."""
    if not raw:
        raise bad_request("message text is empty")
    shown = trimmed(formatted(raw, parse_mode, entities))
    if not shown.text:
        raise bad_request("message must be non-empty")
    if len(shown.text) > MESSAGE_TEXT_LIMIT:
        raise bad_request("message is too long")
    return shown


def caption_text(
    raw: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> FormattedText:
    """Return the caption a user sees (may be empty); 400 when unparsable or over 1024."""
    if not raw:
        return FormattedText("")
    shown = trimmed(formatted(raw, parse_mode, entities))
    if len(shown.text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return shown


def formatted(
    raw: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> FormattedText:
    """Apply `parse_mode` (only HTML is implemented) or take the explicit `entities`."""
    if len(raw.encode("utf-8", "surrogatepass")) > RAW_TEXT_BYTE_LIMIT:
        raise bad_request("text is too long")
    mode = (parse_mode or "").lower()
    if mode in ("", "none"):
        return FormattedText(raw, tuple(entities or ()))
    if mode == "html":
        try:
            return parse_html(raw)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from error
    if mode in ("markdown", "markdownv2"):
        # Only HTML is checked here; accepting Markdown unchecked would hide the very bugs
        # this server exists to catch.
        raise bad_request(f"parse_mode {parse_mode} is not supported by the local Bot API")
    raise bad_request("unsupported parse_mode")


def trimmed(text: FormattedText) -> FormattedText:
    """Strip surrounding whitespace as Telegram does, clipping entities to the kept span."""
    kept = text.text.strip(TRIMMED_CHARACTERS)
    if kept == text.text:
        return text
    start = utf16_length(text.text[: len(text.text) - len(text.text.lstrip(TRIMMED_CHARACTERS))])
    end = start + utf16_length(kept)
    entities = []
    for entity in text.entities:
        entity_start = max(entity["offset"], start)
        entity_end = min(entity["offset"] + entity["length"], end)
        if entity_end > entity_start:
            entities.append(
                {**entity, "offset": entity_start - start, "length": entity_end - entity_start}
            )
    return FormattedText(kept, tuple(entities))

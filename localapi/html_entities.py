"""Parse Telegram's HTML subset into plain text plus MessageEntity dicts, rejecting bad markup.

The tag grammar and the error wording follow the real Bot API server (tdlib's HTML parser).
One deliberate difference: a bare `&` that does not start a valid entity is an error here,
where Telegram would keep it literally; its docs require `&amp;`, and the strict reading is
what catches unescaped user text in our templates.

``<tg-time unix="…" format="…">text</tg-time>`` is a ``date_time`` entity (Bot API 9.5): a time
each client shows in its reader's own zone, the text being what older clients show. Its format
is ``r`` (relative) or ``w?[dD]?[tT]?``; see https://core.telegram.org/bots/api#formatting-options
and https://core.telegram.org/bots/api-changelog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SPACES = frozenset(" \t\r\n\f\v")
ATTRIBUTE_NAME_STOPS = SPACES | frozenset("=>/\"'")
SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
SUPPORTED_TAGS = frozenset(SIMPLE_ENTITY_TYPES) | {
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
    "tg-time",
}
#: The format of a date_time entity: relative, or weekday, short/long date, short/long time.
DATE_TIME_FORMAT = re.compile(r"r|w?[dD]?[tT]?")
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite"})
ENTITY_PATTERN = re.compile(r"&(?:#x([0-9a-fA-F]{1,8})|#([0-9]{1,8})|([a-zA-Z]+))(;?)")
NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")


class EntityParseError(ValueError):
    """Raise when markup breaks Telegram's HTML rules; the message is Telegram's reason."""


@dataclass(frozen=True)
class FormattedText:
    """Text as a Telegram client shows it plus its entities (offsets in UTF-16 code units)."""

    text: str
    entities: tuple[dict[str, Any], ...] = field(default=())


def utf16_length(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(markup: str) -> FormattedText:
    """Parse `markup` written in Telegram's HTML subset; raise EntityParseError when invalid."""
    return _HtmlParser(markup).parse()


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int


class _HtmlParser:
    def __init__(self, markup: str) -> None:
        self.markup = markup
        self.pos = 0
        self.plain: list[str] = []
        self.plain_length = 0
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> FormattedText:
        markup = self.markup
        while self.pos < len(markup):
            char = markup[self.pos]
            if char == "&":
                decoded, self.pos = self._decode_entity(self.pos)
                self._emit(decoded)
            elif char == "<":
                if markup.startswith("</", self.pos):
                    self._close_tag()
                else:
                    self._open_tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.open_tags:
            name = self.open_tags[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                del entity["language"]
        ordered = sorted(self.entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return FormattedText("".join(self.plain), tuple(ordered))

    def _emit(self, text: str) -> None:
        self.plain.append(text)
        self.plain_length += len(text)
        self.utf16_offset += utf16_length(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.markup[:index].encode("utf-8", "surrogatepass"))

    def _at_end(self) -> bool:
        return self.pos >= len(self.markup)

    def _skip_spaces(self) -> None:
        while not self._at_end() and self.markup[self.pos] in SPACES:
            self.pos += 1

    def _decode_entity(self, start: int) -> tuple[str, int]:
        match = ENTITY_PATTERN.match(self.markup, start)
        decoded: str | None = None
        if match:
            hex_digits, decimal_digits, name, _semicolon = match.groups()
            if name is not None:
                decoded = NAMED_ENTITIES.get(name)
            else:
                code = int(hex_digits, 16) if hex_digits is not None else int(decimal_digits)
                if 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                    decoded = chr(code)
        if match is None or decoded is None:
            raise EntityParseError(
                f"Character '&' at byte offset {self._byte_offset(start)} does not start "
                "an HTML entity; escape it as &amp;"
            )
        return decoded, match.end()

    def _open_tag(self) -> None:
        markup = self.markup
        begin = self.pos
        self.pos += 1
        while not self._at_end() and markup[self.pos] not in SPACES and markup[self.pos] != ">":
            self.pos += 1
        if self._at_end():
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        tag = markup[begin + 1 : self.pos].lower()
        if tag not in SUPPORTED_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(begin)}'
            )
        argument = self._read_attributes(tag, begin)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self.pos += 1
        self.open_tags.append(_OpenTag(tag, argument, self.utf16_offset, self.plain_length))

    def _read_attributes(self, tag: str, begin: int) -> str:
        """Read attributes up to the closing `>` and return the tag's meaningful argument."""
        markup = self.markup
        argument = ""
        unclosed = f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(begin)}'
        while True:
            self._skip_spaces()
            if self._at_end():
                raise EntityParseError(unclosed)
            if markup[self.pos] == ">":
                return argument
            name_start = self.pos
            while not self._at_end() and markup[self.pos] not in ATTRIBUTE_NAME_STOPS:
                self.pos += 1
            attribute = markup[name_start : self.pos]
            if not attribute:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self._byte_offset(begin)}"
                )
            self._skip_spaces()
            if self._at_end():
                raise EntityParseError(unclosed)
            if markup[self.pos] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "1"
                continue
            self.pos += 1
            self._skip_spaces()
            if self._at_end():
                raise EntityParseError(unclosed)
            value = self._read_attribute_value(begin)
            argument = _tag_argument(tag, attribute, value, argument)

    def _read_attribute_value(self, begin: int) -> str:
        markup = self.markup
        quote = markup[self.pos]
        if quote not in "'\"":
            token = NAME_TOKEN.match(markup, self.pos)
            assert token is not None  # the pattern also matches the empty string
            self.pos = token.end()
            if not self._at_end() and markup[self.pos] not in SPACES and markup[self.pos] != ">":
                offset = self._byte_offset(token.start())
                raise EntityParseError(f"Unexpected end of name token at byte offset {offset}")
            return token.group().lower()
        self.pos += 1
        value: list[str] = []
        while not self._at_end() and markup[self.pos] != quote:
            if markup[self.pos] == "&":
                decoded, self.pos = self._decode_entity(self.pos)
                value.append(decoded)
            else:
                value.append(markup[self.pos])
                self.pos += 1
        if self._at_end():
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        self.pos += 1
        return "".join(value)

    def _close_tag(self) -> None:
        markup = self.markup
        begin = self.pos
        if not self.open_tags:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        self.pos += 2
        name_start = self.pos
        while not self._at_end() and markup[self.pos] not in SPACES and markup[self.pos] != ">":
            self.pos += 1
        tag = markup[name_start : self.pos].lower()
        self._skip_spaces()
        if self._at_end() or markup[self.pos] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        self.pos += 1
        opened = self.open_tags[-1]
        if tag and tag != opened.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{opened.name}>", found "</{tag}>"'
            )
        self.open_tags.pop()
        length = self.utf16_offset - opened.utf16_offset
        if length > 0:
            self._add_entity(opened, length)

    def _add_entity(self, opened: _OpenTag, length: int) -> None:
        span: dict[str, Any] = {"offset": opened.utf16_offset, "length": length}
        if opened.name in SIMPLE_ENTITY_TYPES:
            self.entities.append({"type": SIMPLE_ENTITY_TYPES[opened.name], **span})
        elif opened.name == "blockquote":
            kind = "expandable_blockquote" if opened.argument else "blockquote"
            self.entities.append({"type": kind, **span})
        elif opened.name == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            self.entities.append(
                {"type": "custom_emoji", **span, "custom_emoji_id": opened.argument}
            )
        elif opened.name == "tg-time":
            self.entities.append({"type": "date_time", **span, **_date_time(opened.argument)})
        elif opened.name == "a":
            inner_text = "".join(self.plain)[opened.text_index :]
            url = _checked_link(opened.argument or inner_text)
            if url is not None:
                self.entities.append({"type": "text_link", **span, "url": url})
        elif opened.name == "code":
            # The language is kept until parse() ends: only a <pre> around the code uses it.
            self.entities.append({"type": "code", **span, "language": opened.argument})
        else:
            self._add_pre(span)

    def _add_pre(self, span: dict[str, Any]) -> None:
        """Turn a just-closed `<code>` spanning the whole `<pre>` into the pre's language."""
        pre: dict[str, Any] = {"type": "pre", **span}
        last = self.entities[-1] if self.entities else None
        if (
            last
            and last["type"] == "code"
            and (last["offset"], last["length"])
            == (
                span["offset"],
                span["length"],
            )
        ):
            self.entities.pop()
            if last["language"]:
                pre["language"] = last["language"]
        self.entities.append(pre)


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """Return the argument a tag keeps from one attribute (href, language, spoiler class...)."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    if tag == "tg-time" and attribute in ("unix", "format"):
        unix, _, time_format = current.partition("|")
        return f"{value}|{time_format}" if attribute == "unix" else f"{unix}|{value}"
    return current


def _date_time(argument: str) -> dict[str, Any]:
    """Return a date_time entity's fields from its tag's "unix|format" argument."""
    unix, _, time_format = argument.partition("|")
    if not unix.isdigit():
        raise EntityParseError("Invalid Unix time specified")
    if not DATE_TIME_FORMAT.fullmatch(time_format):
        raise EntityParseError("Invalid date time format specified")
    fields: dict[str, Any] = {"unix_time": int(unix)}
    if time_format:
        fields["date_time_format"] = time_format
    return fields


def _checked_link(url: str) -> str | None:
    """Return the URL Telegram would link to, or None when it drops the link silently."""
    url = url.strip()
    if not url or any(char in SPACES for char in url):
        return None
    scheme = urlsplit(url).scheme.lower() if "://" in url or url.startswith("tg:") else ""
    if scheme:
        return url if scheme in LINK_SCHEMES else None
    return f"http://{url}" if "." in url else None

"""Lay text out for a phone or terminal: display widths, CJK-aware line breaking, padding."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from briefings.i18n import locale_dir

#: A phone shows about this many characters on a line of a chat message.
PHONE_WIDTH = 40


def display_width(text: str) -> int:
    """Return the columns ``text`` takes on a phone or terminal: a CJK character takes two."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    """Return the columns one character takes: two for a wide or full-width one."""
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def pad(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` columns (CJK characters count two)."""
    return " " * max(0, width - display_width(text)) + text


def fill(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` columns, cut to fit (CJK characters count two)."""
    used = 0
    kept = len(text)
    for position, char in enumerate(text):
        columns = _char_width(char)
        if used + columns > width:
            kept = position
            break
        used += columns
    return text[:kept] + " " * (width - used)


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


#: After the words of the glossary: a CJK unit glued to the number before it, a CJK character,
#: or a run of other letters/digits.
_CJK_REST = r"个|[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+|\s+"


def words_file() -> Path:
    """Return the glossary of Chinese words a line never cuts (locale/zh/words.txt)."""
    return locale_dir() / "zh" / "words.txt"


@cache
def _cjk_token() -> re.Pattern[str]:
    """Return the pattern of a CJK line's tokens: a glossary word first, longest first."""
    lines = words_file().read_text(encoding="utf-8").splitlines()
    words = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    ordered = sorted(words, key=lambda word: (-len(word), word))
    return re.compile("|".join([*map(re.escape, ordered), _CJK_REST]))


#: Punctuation that never starts a line (it stays at the end of the line before).
_NO_LINE_START = set("，。：；、）！？%,.:;)")


#: Most CJK characters of a label a number keeps on its line (one more for a number written
#: onto its name, as in 纳斯达克100).
CJK_LABEL_CHARS = 3


def _cjk_units(text: str) -> list[str]:
    """Return the unbreakable pieces of a CJK line, a leading space kept on a piece."""
    units: list[str] = []
    space = ""
    for token in _cjk_token().findall(text):
        if token.isspace():
            space = " "
            continue
        if units and (
            token[0] in _NO_LINE_START
            or (token.startswith("个") and _GLUED.match(units[-1].strip()[-1:] or " "))
        ):
            units[-1] += space + token
        elif units and _GLUED.match(token):
            # The number joins its label: up to CJK_LABEL_CHARS characters back.
            label: list[str] = []
            while (
                units
                and len(label) < CJK_LABEL_CHARS + (0 if space else 1)
                and len(units[-1].strip()) == 1
                and _CJK.match(units[-1].strip())
                and units[-1].strip() not in _NO_LINE_START
            ):
                label.insert(0, units.pop())
            if not label and units and units[-1][-1] not in _NO_LINE_START:
                label.append(units.pop())  # a label ending in digits (标普500) keeps its number
            units.append("".join(label) + space + token)
        else:
            units.append(space + token)
        space = ""
    return units


def _cjk_lines(text: str, width: int, indent: int) -> list[str]:
    """Wrap CJK ``text`` into lines of at most ``width`` columns (a CJK character takes two).

    A line ends at a space or after punctuation when one falls in its last CJK_SOFT_SHARE of
    room, so that a name is not cut in two; else it ends where the next piece does not fit.
    """
    lines: list[list[str]] = []
    current: list[str] = []
    for unit in _cjk_units(text):
        room = width - (indent if lines else 0)
        if current and display_width("".join(current) + unit) > room:
            cut = _soft_break(current, room)
            lines.append(current[:cut])
            current = [current[cut].lstrip(), *current[cut + 1 :]] if cut < len(current) else []
        current.append(unit.lstrip() if not current else unit)
    if (
        current
        and lines
        and display_width("".join(current)) <= CJK_ORPHAN
        and len(lines[-1]) > 1
        and len("".join(lines[-1])) > 4
    ):
        # No word of two characters alone on the last line: the line before gives it its last
        # piece (a whole word of the glossary, never half of one).
        current.insert(0, lines[-1].pop().lstrip())
    if current:
        lines.append(current)
    return ["".join(units).rstrip() for units in lines]


#: The widest last line (in columns) a wrapped CJK text may leave alone.
CJK_ORPHAN = 4


#: The share of a line's room a soft break (a space, after punctuation) may give up.
CJK_SOFT_SHARE = 0.35


def _soft_break(units: list[str], room: int) -> int:
    """Return where to end a full line of ``units``: the last soft break late enough, else all."""
    for index in range(len(units), 0, -1):
        ahead = index < len(units) and units[index].startswith(" ")
        soft = ahead or units[index - 1][-1] in _NO_LINE_START
        if soft and display_width("".join(units[:index])) >= room * (1 - CJK_SOFT_SHARE):
            return index
    return len(units)


#: Most words of a label a number keeps on its line.
LABEL_WORDS = 3


_GLUED = re.compile(r"^[+\-−#(]?\d")


def phone_lines(text: str, width: int = PHONE_WIDTH, indent: int = 0) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` characters, numbers beside their labels.

    A word that is a number (``+1.2%``, ``4.6``, ``#3``) or the unit ``pp`` stays on the line of
    its label: the words before it, up to LABEL_WORDS and not past a comma or colon. Lines
    after the first leave room for ``indent`` leading characters.
    """
    if _CJK.search(text):
        return _cjk_lines(text, width, indent)
    units: list[str] = []
    for word in text.split():
        if units and word.startswith("pp"):
            units[-1] += " " + word
        elif units and _GLUED.match(word):
            # The number joins its label: up to LABEL_WORDS plain words back, not past a comma.
            label = [units.pop()]
            while (
                units
                and len(label) < LABEL_WORDS
                and " " not in units[-1]
                and " " not in label[0]
                and not units[-1].endswith((",", ":", ";"))
            ):
                label.insert(0, units.pop())
            units.append(" ".join([*label, word]))
        else:
            units.append(word)
    lines: list[str] = []
    current = ""
    for unit in units:
        room = width - (indent if lines else 0)
        if current and len(current) + 1 + len(unit) > room:
            lines.append(current)
            current = unit
        else:
            current = f"{current} {unit}" if current else unit
        while len(current) > room and " " in current:
            # A unit too long for a line gives up its first word.
            head, _, current = current.partition(" ")
            lines.append(head)
            room = width - indent
    if current:
        lines.append(current)
    return lines

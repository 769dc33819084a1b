"""Split Telegram HTML into messages within Telegram's limit, re-opening tags across parts."""

from __future__ import annotations

import re

TELEGRAM_LIMIT = 4096


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")


def _open_tags(text: str) -> list[str]:
    """Return the full opening tags still open at the end of ``text``, outermost first."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, match.group(0)))
    return [tag for _, tag in stack]


def _close_tags(open_tags: list[str]) -> str:
    names = [_TAG.match(tag).group(2) for tag in open_tags]  # type: ignore[union-attr]
    return "".join(f"</{name}>" for name in reversed(names))


def telegram_length(text: str) -> int:
    """Return the length of ``text`` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """Return the most characters of ``text`` that fit in ``limit`` UTF-16 code units."""
    if telegram_length(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:
        mid = (low + high + 1) // 2
        if telegram_length(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return max(low, 1)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split text into chunks of at most ``limit`` UTF-16 code units at line boundaries.

    Telegram counts a message's length in UTF-16 code units: an emoji outside the BMP is two.

    Tags left open at a cut (a ``<pre>`` block, say) are closed at the end of the chunk and
    reopened at the start of the next, so every chunk is valid Telegram HTML on its own.
    A single line longer than the limit is cut hard, which only happens with pathological input.
    """
    text = text.strip("\n")
    if telegram_length(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    reopen = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else reopen + line
        tail = _close_tags(_open_tags(candidate))
        if telegram_length(candidate) + telegram_length(tail) <= limit:
            current = candidate
            continue
        if current:
            still_open = _open_tags(current)
            chunks.append(current + _close_tags(still_open))
            reopen = "".join(still_open)
            current = reopen + line
        else:
            current = candidate
        while telegram_length(current) > limit:
            cut = _cut(current, limit)
            chunks.append(current[:cut])
            current = current[cut:]
    if current.strip():
        chunks.append(current + _close_tags(_open_tags(current)))
    return chunks

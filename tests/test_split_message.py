"""Telegram messages are split at line boundaries and every chunk stays valid HTML."""

from __future__ import annotations

import re

import pytest

from bot.desk.split import split_message

TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")


def balanced(chunk: str) -> bool:
    stack: list[str] = []
    for closing, name in TAG.findall(chunk):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_short_text_is_one_chunk() -> None:
    assert split_message("<b>hi</b>\nthere", limit=100) == ["<b>hi</b>\nthere"]


def test_empty_text_gives_no_chunks() -> None:
    assert split_message("\n\n") == []


def test_splits_at_line_boundaries_within_the_limit() -> None:
    lines = [f"line {i:03d}" for i in range(100)]
    chunks = split_message("\n".join(lines), limit=100)
    assert all(len(c) <= 100 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_open_pre_block_is_closed_and_reopened() -> None:
    text = (
        "<b>Table</b>\n<pre>" + "\n".join(f"row {i:02d} +1.0%" for i in range(40)) + "</pre>\nend"
    )
    chunks = split_message(text, limit=120)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 120
        assert balanced(chunk), chunk
    assert chunks[1].startswith("<pre>")


@pytest.mark.parametrize("limit", [40, 64, 4096])
def test_no_text_is_lost(limit: int) -> None:
    text = "\n".join(f"<i>item {i}</i> &amp; more" for i in range(300))
    chunks = split_message(text, limit=limit)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")

"""Telegram's HTML subset: hand-worked parses, the real server's error texts, and invariants."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localapi.html_entities import EntityParseError, parse_html, utf16_length


def entity(kind: str, offset: int, length: int, **extra: str) -> dict[str, object]:
    return {"type": kind, "offset": offset, "length": length, **extra}


@pytest.mark.parametrize(
    ("markup", "text", "entities"),
    [
        ("<b>bold</b> plain", "bold plain", [entity("bold", 0, 4)]),
        ("<b>a<i>b</i></b>", "ab", [entity("bold", 0, 2), entity("italic", 1, 1)]),
        ("<B>up</B>", "up", [entity("bold", 0, 2)]),
        ("<b>closed by</>", "closed by", [entity("bold", 0, 9)]),
        # 📈 is one code point but two UTF-16 units, so "up" starts at offset 3.
        ("📈 <b>up</b>", "📈 up", [entity("bold", 3, 2)]),
        (
            "<u>u</u><s>s</s><ins>i</ins><del>d</del>",
            "usid",
            [
                entity("underline", 0, 1),
                entity("strikethrough", 1, 1),
                entity("underline", 2, 1),
                entity("strikethrough", 3, 1),
            ],
        ),
        (
            '<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>',
            "ab",
            [
                entity("spoiler", 0, 1),
                entity("spoiler", 1, 1),
            ],
        ),
        ("<code>c</code>", "c", [entity("code", 0, 1)]),
        ("<pre>t</pre>", "t", [entity("pre", 0, 1)]),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [entity("pre", 0, 5, language="python")],
        ),
        ("<blockquote>q</blockquote>", "q", [entity("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [entity("expandable_blockquote", 0, 1)]),
        (
            '<a href="https://example.com/?a=1&amp;b=2">link</a>',
            "link",
            [entity("text_link", 0, 4, url="https://example.com/?a=1&b=2")],
        ),
        ("<a href='example.com'>x</a>", "x", [entity("text_link", 0, 1, url="http://example.com")]),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")],
        ),
        (
            '<tg-time unix="1765198800" format="wDT">Mon 08:00</tg-time>',
            "Mon 08:00",
            [entity("date_time", 0, 9, unix_time=1765198800, date_time_format="wDT")],  # type: ignore[arg-type]
        ),
        (
            "<tg-time unix=1765198800>soon</tg-time>",
            "soon",
            [entity("date_time", 0, 4, unix_time=1765198800)],  # type: ignore[arg-type]
        ),
        ("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42;", '<b> & "q" AB', []),
        ("<b></b>empty tags add nothing", "empty tags add nothing", []),
        ("a > b", "a > b", []),
    ],
)
def test_valid_markup_parses_to_text_and_entities(
    markup: str, text: str, entities: list[dict[str, object]]
) -> None:
    parsed = parse_html(markup)
    assert parsed.text == text
    assert list(parsed.entities) == entities


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<x>bad</x>", 'Unsupported start tag "x" at byte offset 0'),
        # "é" is two UTF-8 bytes, so the tag starts at byte 3.
        ("é <div>", 'Unsupported start tag "div" at byte offset 3'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="x>y', "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
        ('<tg-time format="t">x</tg-time>', "Invalid Unix time specified"),
        ('<tg-time unix="1" format="rt">x</tg-time>', "Invalid date time format specified"),
        ("AT&T", "Character '&' at byte offset 2 does not start an HTML entity"),
        ("&nbsp;", "Character '&' at byte offset 0 does not start an HTML entity"),
    ],
)
def test_invalid_markup_is_rejected_with_telegrams_reason(markup: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(markup)
    assert str(caught.value).startswith(reason)


@given(st.text())
def test_escaped_text_round_trips_without_entities(text: str) -> None:
    parsed = parse_html(html.escape(text, quote=True))
    assert parsed.text == text
    assert parsed.entities == ()


@given(st.lists(st.tuples(st.sampled_from(["b", "i", "u", "s", "code"]), st.text(min_size=1))))
def test_entities_cover_exactly_their_tagged_text(pieces: list[tuple[str, str]]) -> None:
    markup = "".join(f"<{tag}>{html.escape(text)}</{tag}>" for tag, text in pieces)
    parsed = parse_html(markup)
    assert parsed.text == "".join(text for _, text in pieces)
    offset = 0
    spans = []
    for _, text in pieces:
        spans.append((offset, utf16_length(text)))
        offset += utf16_length(text)
    assert [(e["offset"], e["length"]) for e in parsed.entities] == spans


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("a📈é") == 4

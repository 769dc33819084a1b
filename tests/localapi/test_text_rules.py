"""Message text rules: empty, too long (counted after parsing, in code points), trimming."""

from __future__ import annotations

import pytest

from localapi.errors import ApiError
from localapi.text_rules import caption_text, message_text


def reason(raw: str, parse_mode: str | None = "HTML") -> str:
    with pytest.raises(ApiError) as caught:
        message_text(raw, parse_mode, None)
    assert caught.value.status == 400
    return caught.value.description


def test_4096_characters_fit_and_4097_do_not() -> None:
    assert len(message_text("x" * 4096, None, None).text) == 4096
    assert reason("x" * 4097, None) == "Bad Request: message is too long"


def test_limit_applies_to_the_parsed_text_not_the_markup() -> None:
    assert len(message_text("<b>" + "x" * 4096 + "</b>", "HTML", None).text) == 4096
    assert reason("<b>" + "x" * 4097 + "</b>") == "Bad Request: message is too long"


def test_limit_counts_code_points_not_utf16_units() -> None:
    assert len(message_text("📈" * 4096, None, None).text) == 4096


def test_empty_and_blank_texts_are_refused() -> None:
    assert reason("") == "Bad Request: message text is empty"
    assert reason(" \n ") == "Bad Request: message must be non-empty"
    assert reason("<b> </b>") == "Bad Request: message must be non-empty"


def test_surrounding_whitespace_is_trimmed_and_entities_follow() -> None:
    shown = message_text("\n  <b>hi</b> there \n", "HTML", None)
    assert shown.text == "hi there"
    assert list(shown.entities) == [{"type": "bold", "offset": 0, "length": 2}]


def test_bad_html_names_the_parse_error() -> None:
    assert reason("1 < 2").startswith("Bad Request: can't parse entities: Unsupported start tag")


def test_only_html_parse_mode_is_checked() -> None:
    assert reason("*x*", "MarkdownV2").startswith("Bad Request: parse_mode MarkdownV2")
    assert reason("x", "bbcode") == "Bad Request: unsupported parse_mode"


def test_captions_allow_1024_characters() -> None:
    assert caption_text(None, None, None).text == ""
    assert len(caption_text("c" * 1024, None, None).text) == 1024
    with pytest.raises(ApiError, match="message caption is too long"):
        caption_text("c" * 1025, None, None)

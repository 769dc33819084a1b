"""The bot token never reaches a log record, whichever logger emits it."""

from __future__ import annotations

import logging

import pytest
from bot.logs import REDACTED, protect_secret, redact

SECRET = "987654321:AAHsecretsecretsecretsecretsecret99"


def test_records_from_any_logger_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    protect_secret(SECRET)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").warning("POST https://api.telegram.org/bot%s/getMe", SECRET)
    logging.getLogger("some.library.deep").error("token=" + SECRET)
    try:
        raise RuntimeError(f"failed at /bot{SECRET}/sendMessage")
    except RuntimeError:
        logging.getLogger("bot").exception("boom")
    assert SECRET not in caplog.text
    assert caplog.text.count(REDACTED) == 3
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_httpx_request_lines_are_silenced() -> None:
    protect_secret(SECRET)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


def test_redact_leaves_other_text_alone() -> None:
    protect_secret(SECRET)
    assert redact("nothing to see") == "nothing to see"

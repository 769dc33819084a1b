"""Check a Mini App's initData: Telegram's signature (HMAC-SHA256, WebAppData key) and its age.

Telegram signs the query string it hands the page (``Telegram.WebApp.initData``, also passed
as ``tgWebAppData`` in the page's URL fragment):

    data_check_string = "\\n".join(sorted(f"{key}={value}" for every field but hash))
    secret_key        = HMAC_SHA256(key="WebAppData", message=bot_token)
    hash              = hex(HMAC_SHA256(key=secret_key, message=data_check_string))

Values are URL-decoded before they are joined. The hash is compared in constant time, and
``auth_date`` (Unix seconds) must be at most ``max_age`` old and not in the future (a minute of
clock skew allowed): a copied initData stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

#: The constant Telegram uses as the HMAC key of the bot token.
WEB_APP_DATA_KEY = b"WebAppData"
#: How old a signed initData may be (a Lab session rarely lasts longer).
DEFAULT_MAX_AGE_SECONDS = 24 * 3600
#: Clock skew between Telegram and this machine that a future auth_date may show.
FUTURE_SKEW_SECONDS = 60
#: Telegram's initData is a few hundred bytes; anything far larger is not one.
MAX_INIT_DATA_BYTES = 4096


class InitDataError(ValueError):
    """Raise when initData is missing, malformed, forged or too old (the reason in the message)."""


@dataclass(frozen=True)
class LabUser:
    """Who opened the Lab, as Telegram signed it."""

    user_id: int
    language_code: str | None
    start_param: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    """Return HMAC_SHA256(key="WebAppData", message=bot_token)."""
    return hmac.new(WEB_APP_DATA_KEY, bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Return the fields but ``hash`` as sorted "key=value" lines joined by newlines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def validate_init_data(
    init_data: str, bot_token: str, *, now: float, max_age: float = DEFAULT_MAX_AGE_SECONDS
) -> LabUser:
    """Return the user Telegram signed ``init_data`` for; raise InitDataError if it is not valid."""
    if not init_data:
        raise InitDataError("no initData")
    if len(init_data.encode()) > MAX_INIT_DATA_BYTES:
        raise InitDataError("initData too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field appears twice")
    given = fields.get("hash", "")
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataError("bad signature")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise InitDataError("no auth_date") from None
    if now - auth_date > max_age:
        raise InitDataError("initData expired")
    if auth_date - now > FUTURE_SKEW_SECONDS:
        raise InitDataError("auth_date in the future")
    try:
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no user") from None
    language = user.get("language_code")
    return LabUser(
        user_id=user_id,
        language_code=language if isinstance(language, str) else None,
        start_param=fields.get("start_param"),
        auth_date=auth_date,
    )

"""Turn a webhook body into an Update, or refuse it with a reason: bounded before parsing.

A body that is valid JSON need not be an update (``null``, ``[]``, ``{"message": 5}``), and
one nested deeply enough makes the JSON parser (or PTB's ``de_json``) recurse until Python
gives up. So the nesting is measured on the raw bytes first, with a scan that does not
recurse (vectorised: some 20 ms for the largest body), and only a body within bounds is
parsed, then checked for the update's shape. The size is bounded before this, by the web
server (``client_max_size``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from telegram import Bot, Update

#: Deepest nesting of arrays and objects accepted; real updates stay near 10 (a message
#: replying to a message with an inline keyboard of rows of buttons).
MAX_NESTING = 64
#: A JSON string once its escaped backslashes and quotes are gone.
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


class NotAnUpdate(ValueError):
    """Raise when a webhook body is not a Telegram update; the message says why."""


def nesting_depth(body: bytes) -> int:
    """Return how deeply ``body``'s arrays and objects nest (brackets inside strings aside)."""
    # In JSON a backslash escapes one character, inside strings only: drop the escaped
    # backslashes, then the escaped quotes, and every quote left opens or closes a string.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = _STRING.sub(b"", unescaped).translate(None, _NOT_BRACKETS)
    brackets = np.frombuffer(outside, np.uint8)
    if not len(brackets):
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def update_from_body(body: bytes, bot: Bot) -> Update:
    """Return the Update in a webhook body, or raise NotAnUpdate naming what is wrong."""
    depth = nesting_depth(body)
    if depth > MAX_NESTING:
        raise NotAnUpdate(f"nested {depth} deep, more than {MAX_NESTING}")
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):  # ValueError: UnicodeDecodeError, JSONDecodeError
        raise NotAnUpdate("not JSON") from None
    if not isinstance(data, dict):
        raise NotAnUpdate(f"JSON {type(data).__name__}, not an object")
    update_id = data.get("update_id")
    if type(update_id) is not int or update_id < 0:
        raise NotAnUpdate("no update_id")
    try:
        return Update.de_json(data, bot)
    except Exception as exc:  # PTB reports a field of the wrong shape as assorted errors
        raise NotAnUpdate(f"a field of the wrong shape ({type(exc).__name__})") from None

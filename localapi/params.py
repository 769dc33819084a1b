"""Decode Bot API request parameters (query, form, multipart or JSON) into typed values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from localapi.errors import ApiError, bad_request

INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "user_id",
        "message_thread_id",
        "cache_time",
        "reply_to_message_id",
        "until_date",
        "max_connections",
        "receiver_user_id",
        "ephemeral_message_id",
    }
)
FLOAT_PARAMS = frozenset({"timeout"})
BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
        "disable_content_type_detection",
        "only_if_banned",
    }
)
JSON_PARAMS = {
    "reply_markup": "reply keyboard markup",
    "reply_parameters": "reply parameters",
    "link_preview_options": "link preview options",
    "media": "media",
    "commands": "commands",
    "scope": "BotCommandScope",
    "menu_button": "menu button",
    "entities": "entities",
    "caption_entities": "caption entities",
    "allowed_updates": "allowed updates",
    "ephemeral_message_parameters": "ephemeral message parameters",
    "rich_message": "rich message",
}


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes

    def summary(self) -> dict[str, Any]:
        """Return a JSON-able description of the upload (no bytes)."""
        return {"filename": self.filename, "size": len(self.content)}


async def read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Return the typed parameters and uploaded files of a Bot API request."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    from_json = False
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError as error:
                raise bad_request("can't parse JSON encoded request body") from error
            if not isinstance(body, dict):
                raise bad_request("JSON encoded request body must be an object")
            raw.update(body)
            from_json = True
        else:
            for name, value in (await request.post()).items():
                if isinstance(value, FileField):
                    files[name] = UploadedFile(
                        name, value.filename, value.content_type, value.file.read()
                    )
                else:
                    raw[name] = value
    return coerce_params(raw, from_json), files


def coerce_params(raw: Mapping[str, Any], from_json: bool) -> dict[str, Any]:
    """Type each parameter by name: ints, floats, bools, JSON objects; the rest stay strings."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            continue
        if name == "chat_id":
            params[name] = _chat_id(value)
        elif name in INT_PARAMS:
            params[name] = _number(name, value, int)
        elif name in FLOAT_PARAMS:
            params[name] = _number(name, value, float)
        elif name in BOOL_PARAMS:
            params[name] = value if isinstance(value, bool) else str(value).lower() in ("true", "1")
        elif name in JSON_PARAMS:
            params[name] = _json_value(name, value)
        else:
            params[name] = value if from_json else str(value)
    return params


def _chat_id(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def _number(name: str, value: Any, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(value)
    except (TypeError, ValueError) as error:
        raise bad_request(f"parameter {name} must be a number") from error


def _json_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ApiError(400, f"Bad Request: can't parse {JSON_PARAMS[name]} JSON object") from error

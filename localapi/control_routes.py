"""The JSON control API under /_control/<action>: the control actions over HTTP."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from localapi.actions import CONTROL_ACTIONS, perform
from localapi.state import ApiState


def control_handler(state: ApiState) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Return the aiohttp handler: {"ok": true, "result": ...} or {"ok": false, "error": ...}."""

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["action"]
        if name not in CONTROL_ACTIONS:
            return web.json_response({"ok": False, "error": "unknown control action"}, status=404)
        kwargs: dict[str, Any] = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except json.JSONDecodeError:
                body = None
            if not isinstance(body, dict):
                error = {"ok": False, "error": "body must be a JSON object"}
                return web.json_response(error, status=400)
            kwargs = body
        try:
            result = perform(state, name, kwargs)
        except (TypeError, ValueError, LookupError) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        return web.json_response({"ok": True, "result": result})

    return handle

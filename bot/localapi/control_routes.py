"""The JSON control API under /_control/<action>: the test API for out-of-process use."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.localapi.flood import FloodLimits
from bot.localapi.state import ApiState

Action = Callable[..., Any]


def control_actions(state: ApiState) -> dict[str, Action]:
    """Return each control action by name; each takes JSON kwargs and returns JSON."""

    def set_flood_limits(limits: dict[str, Any] | None = None) -> None:
        state.set_flood_limits(FloodLimits(**limits) if limits is not None else None)

    def bot_messages(chat_id: int | None = None, include_deleted: bool = False) -> Any:
        return [m.to_json() for m in state.bot_messages(chat_id, include_deleted)]

    def calls(method: str | None = None) -> Any:
        return [call.to_json() for call in state.calls(method)]

    def commands(scope: dict[str, Any] | None = None, language_code: str = "") -> Any:
        return [
            {"command": c.command, "description": c.description}
            for c in state.commands(scope, language_code)
        ]

    return {
        "add_user": state.add_user,
        "add_chat": state.add_chat,
        "set_member_status": state.set_member_status,
        "send_text": state.send_text,
        "press_button": state.press_button,
        "add_update": state.add_update,
        "add_fault": state.add_fault,
        "block_chat": state.block_chat,
        "unblock_chat": state.unblock_chat,
        "migrate_chat": state.migrate_chat,
        "set_flood_limits": set_flood_limits,
        "reset": state.reset,
        "bot_messages": bot_messages,
        "calls": calls,
        "commands": commands,
        "answered_callbacks": lambda: state.answered_callbacks,
        "flood_rejections": lambda: state.flood_rejections,
    }


def control_handler(state: ApiState) -> Callable[[web.Request], Any]:
    """Return the aiohttp handler: {"ok": true, "result": ...} or {"ok": false, "error": ...}."""
    actions = control_actions(state)

    async def handle(request: web.Request) -> web.Response:
        action = actions.get(request.match_info["action"])
        if action is None:
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
            result = action(**kwargs)
        except (TypeError, ValueError, LookupError) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        return web.json_response({"ok": True, "result": result})

    return handle

"""The control actions: the one table of the local Bot API's test API.

Each action is an ``ApiState`` method or property (``LocalBotApi`` inherits them: the
in-process facade), served as ``/_control/<name>`` (``control_routes``) and called by
``LocalApiControl`` from another process. The table says how JSON arguments become the
method's and how its result becomes JSON; nothing else about an action is written twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localapi.flood import FloodLimits
from localapi.records import BotCommand
from localapi.state import ApiState

Json = Any


def _same(value: Any) -> Any:
    return value


def _each_to_json(values: list[Any]) -> Json:
    return [value.to_json() for value in values]


def _commands_to_json(commands: list[BotCommand]) -> Json:
    return [c.to_api() for c in commands]


def _flood_limits(arguments: dict[str, Any]) -> dict[str, Any]:
    limits = arguments.get("limits")
    return {"limits": FloodLimits(**limits) if limits is not None else None}


@dataclass(frozen=True)
class ControlAction:
    """How one state method is called with JSON arguments and answers in JSON."""

    arguments: Callable[[dict[str, Any]], dict[str, Any]] = _same
    result: Callable[[Any], Json] = _same
    is_property: bool = False


CONTROL_ACTIONS: Mapping[str, ControlAction] = {
    # The world: users, chats, members, and what they send.
    "add_user": ControlAction(),
    "add_chat": ControlAction(),
    "set_member_status": ControlAction(),
    "send_text": ControlAction(),
    "press_button": ControlAction(),
    "press_ephemeral_button": ControlAction(),
    "add_update": ControlAction(),
    "block_chat": ControlAction(),
    "refuse_rich_messages": ControlAction(),
    "unblock_chat": ControlAction(),
    "migrate_chat": ControlAction(),
    "set_bot_status": ControlAction(),
    "reset": ControlAction(),
    # Faults and flood control.
    "add_fault": ControlAction(),
    "set_flood_limits": ControlAction(arguments=_flood_limits),
    "refuse_ephemeral_messages": ControlAction(),
    # Reading back.
    "bot_messages": ControlAction(result=_each_to_json),
    "ephemeral_messages": ControlAction(result=_each_to_json),
    "calls": ControlAction(result=_each_to_json),
    "commands": ControlAction(result=_commands_to_json),
    "descriptions": ControlAction(),
    "answered_callbacks": ControlAction(is_property=True),
    "flood_rejections": ControlAction(is_property=True),
    "paid_broadcasts": ControlAction(is_property=True),
}


def named_arguments(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Return action ``name``'s arguments by parameter name (how they travel as JSON)."""
    if CONTROL_ACTIONS[name].is_property:
        if args or kwargs:
            raise TypeError(f"{name} takes no arguments")
        return {}
    signature = inspect.signature(getattr(ApiState, name))
    bound = signature.bind(None, *args, **kwargs)  # None stands for self
    return {key: value for key, value in bound.arguments.items() if key != "self"}


def perform(state: ApiState, name: str, arguments: dict[str, Any]) -> Json:
    """Run control action ``name`` on ``state`` with JSON ``arguments``; return JSON.

    Raise KeyError for an unknown action, TypeError/ValueError/LookupError for bad arguments.
    """
    action = CONTROL_ACTIONS[name]
    if action.is_property:
        if arguments:
            raise TypeError(f"{name} takes no arguments")
        return action.result(getattr(state, name))
    return action.result(getattr(state, name)(**action.arguments(arguments)))

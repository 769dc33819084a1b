"""The bot's profile and webhook methods: the descriptions, setWebhook and getWebhookInfo."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from localapi.errors import bad_request
from localapi.params import UploadedFile
from localapi.state import ApiState, WebhookSetting

Params = dict[str, Any]
Files = dict[str, UploadedFile]

DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_CONNECTIONS = range(1, 101)


def _description_setter(kind: str, limit: int) -> Callable[[ApiState, Params, Files], Any]:
    def set_description(state: ApiState, params: Params, files: Files) -> Any:
        text = str(params.get(kind) or "")
        if len(text) > limit:
            raise bad_request(f"{kind} is too long")
        state.bot_descriptions[(kind, str(params.get("language_code", "")))] = text
        return True

    return set_description


def _description_getter(kind: str) -> Callable[[ApiState, Params, Files], Any]:
    def get_description(state: ApiState, params: Params, files: Files) -> Any:
        language = str(params.get("language_code", ""))
        return {kind: state.bot_descriptions.get((kind, language), "")}

    return get_description


def set_webhook(state: ApiState, params: Params, files: Files) -> Any:
    """Store the webhook; from then on the server POSTs updates to it instead of getUpdates."""
    url = str(params.get("url") or "")
    if not url:
        state.webhook = None
        return True
    if not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    connections = int(params.get("max_connections") or 40)
    if connections not in MAX_CONNECTIONS:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = params.get("allowed_updates")
    if params.get("drop_pending_updates"):
        state.updates.clear()
    secret_text = None if secret is None else str(secret)
    allowed_types = tuple(allowed) if allowed else None
    state.webhook = WebhookSetting(url, secret_text, connections, allowed_types)
    if allowed is not None:
        state.allowed_updates = frozenset(allowed) or None
    return True


def delete_webhook(state: ApiState, params: Params, files: Files) -> Any:
    """Forget the webhook; drop pending updates when asked."""
    state.webhook = None
    if params.get("drop_pending_updates"):
        state.updates.clear()
    return True


def get_webhook_info(state: ApiState, params: Params, files: Files) -> Any:
    """Report the webhook (if any) and the number of pending updates."""
    webhook = state.webhook
    info: dict[str, Any] = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        if webhook.allowed_updates:
            info["allowed_updates"] = list(webhook.allowed_updates)
    return info


#: The menu button types of the Bot API (MenuButtonCommands, MenuButtonWebApp, MenuButtonDefault).
MENU_BUTTON_TYPES = frozenset({"commands", "web_app", "default"})


def set_chat_menu_button(state: ApiState, params: Params, files: Files) -> Any:
    """Store a private chat's menu button, or the default one when no chat_id is given."""
    button = params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in MENU_BUTTON_TYPES:
        raise bad_request("can't parse menu button")
    if button["type"] == "web_app":
        url = str((button.get("web_app") or {}).get("url", ""))
        if not str(button.get("text") or ""):
            raise bad_request("menu button text must be non-empty")
        if not url.startswith("https://"):
            raise bad_request("BUTTON_URL_INVALID: an HTTPS URL must be given")
    chat_id = params.get("chat_id")
    if chat_id is not None:
        chat = state.resolve_chat(chat_id)
        if chat.type != "private":
            raise bad_request("the menu button can be set only in private chats")
    state.menu_buttons[None if chat_id is None else int(chat_id)] = dict(button)
    return True


def get_chat_menu_button(state: ApiState, params: Params, files: Files) -> Any:
    """Return a chat's menu button, else the default one (MenuButtonCommands when never set)."""
    chat_id = params.get("chat_id")
    key = None if chat_id is None else int(chat_id)
    return state.menu_buttons.get(key) or state.menu_buttons.get(None) or {"type": "commands"}


PROFILE_METHODS = {
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "setMyDescription": _description_setter("description", DESCRIPTION_LIMIT),
    "getMyDescription": _description_getter("description"),
    "setMyShortDescription": _description_setter("short_description", SHORT_DESCRIPTION_LIMIT),
    "getMyShortDescription": _description_getter("short_description"),
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}

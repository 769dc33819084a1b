"""Where Telegram opens the Lab: the bot's public HTTPS address and its direct-link app name.

MARKETBRIEF_PUBLIC_URL is the https:// address the bot's listener is reached at (the page is
its /lab/); without it no Lab button is shown. MARKETBRIEF_LAB_APP is the short name of the
Mini App registered with @BotFather (/newapp), for the direct link groups get:
https://t.me/<bot>/<app>?startapp=<view>_<language>.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

#: A direct-link app's short name as BotFather accepts it.
_APP_NAME = re.compile(r"^[A-Za-z0-9_]{3,30}$")


class LabConfigError(ValueError):
    """Raise when a Lab setting is malformed (the message names the variable)."""


@dataclass(frozen=True)
class LabSettings:
    """The Lab's public address (None: no Lab) and the direct-link app's short name."""

    public_url: str | None = None
    app_name: str | None = None

    @property
    def page_url(self) -> str | None:
        """Return the page Telegram opens, None without a public address."""
        return None if self.public_url is None else f"{self.public_url}/lab/"

    def direct_link(self, bot_username: str, start_param: str) -> str | None:
        """Return t.me/<bot>/<app>?startapp=<start_param>, None without the app's name."""
        if self.app_name is None or self.public_url is None:
            return None
        return f"https://t.me/{bot_username}/{self.app_name}?startapp={start_param}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LabSettings:
        """Read MARKETBRIEF_PUBLIC_URL and MARKETBRIEF_LAB_APP; raise LabConfigError if bad."""
        url = env.get("MARKETBRIEF_PUBLIC_URL", "").strip().rstrip("/") or None
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
                raise LabConfigError(
                    "MARKETBRIEF_PUBLIC_URL must be an https:// address without query, "
                    "e.g. https://bot.example.org (Telegram opens Mini Apps over HTTPS only)"
                )
        app = env.get("MARKETBRIEF_LAB_APP", "").strip() or None
        if app is not None and not _APP_NAME.match(app):
            raise LabConfigError(
                "MARKETBRIEF_LAB_APP must be the Mini App's short name from @BotFather "
                "(3 to 30 letters, digits or _)"
            )
        return cls(public_url=url, app_name=app)


def start_param(view: str, language: str) -> str:
    """Return the direct link's start parameter: "<view>_<language>" (letters, digits, - and _)."""
    return f"{view}_{language}"

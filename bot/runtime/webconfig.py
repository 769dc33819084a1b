"""Where the bot listens: the webhook (URL, secret, options) and the health endpoint address."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import ConfigError

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_MAX_CONNECTIONS = 40
#: What Telegram accepts as a secret_token: 1-256 of A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\s]*):(?P<port>\d{1,5})$")
UNIX_PREFIX = "unix:"


@dataclass(frozen=True)
class ListenAddress:
    """A TCP host and port, or a unix socket path (behind a reverse proxy)."""

    host: str = "127.0.0.1"
    port: int = 8080
    unix_path: Path | None = None

    def __str__(self) -> str:
        if self.unix_path is not None:
            return f"{UNIX_PREFIX}{self.unix_path}"
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class WebhookSettings:
    """What ``run --webhook-url`` needs: Telegram's target URL and the local listener."""

    url: str
    listen: ListenAddress
    secret: str = field(repr=False)
    secret_generated: bool
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    drop_pending_updates: bool = False

    @property
    def path(self) -> str:
        """Return the path updates are POSTed to: the URL's path ("/" when it has none)."""
        return urlsplit(self.url).path or "/"


def parse_listen(text: str) -> ListenAddress:
    """Parse HOST:PORT (e.g. 0.0.0.0:8080, [::1]:8080) or unix:/path/to.sock."""
    text = text.strip()
    if text.startswith(UNIX_PREFIX):
        path = text.removeprefix(UNIX_PREFIX)
        if not path:
            raise ValueError("unix: needs a socket path, e.g. unix:/run/marketbrief/bot.sock")
        return ListenAddress(unix_path=Path(path).expanduser())
    match = _HOST_PORT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8080) or unix:PATH")
    port = int(match.group("port"))
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is outside 1-65535")
    host = match.group("host").strip("[]") or "0.0.0.0"
    return ListenAddress(host=host, port=port)


def parse_webhook_url(text: str) -> str:
    """Check the public URL Telegram will POST to (https; http only for a local Bot API)."""
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{url!r} is not a URL; use https://HOST/PATH")
    if parts.query or parts.fragment:
        raise ValueError("the webhook URL takes no query or fragment; the path is enough")
    if parts.path.rstrip("/") == HEALTH_PATH:
        raise ValueError(f"the webhook path cannot be {HEALTH_PATH}, which serves the health check")
    return url


def webhook_secret(env: Mapping[str, str]) -> tuple[str, bool]:
    """Return TELEGRAM_WEBHOOK_SECRET, or a fresh random one; the flag says it was generated."""
    given = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if not given:
        return secrets.token_urlsafe(32), True
    if not _SECRET.match(given):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return given, False


def webhook_settings(
    url: str | None,
    listen: str | None,
    *,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    drop_pending_updates: bool = False,
    env: Mapping[str, str] = os.environ,
) -> WebhookSettings | None:
    """Read the webhook from options, falling back to MARKETBRIEF_WEBHOOK_URL / _LISTEN.

    Return None for long polling (no URL given anywhere). Raise ConfigError on bad values.
    """
    url = url or env.get("MARKETBRIEF_WEBHOOK_URL", "").strip() or None
    if url is None:
        return None
    if not 1 <= max_connections <= 100:
        raise ConfigError("--max-connections must be between 1 and 100")
    listen_text = listen or env.get("MARKETBRIEF_LISTEN", "").strip() or DEFAULT_LISTEN
    try:
        checked_url = parse_webhook_url(url)
        address = parse_listen(listen_text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    secret, generated = webhook_secret(env)
    return WebhookSettings(
        url=checked_url,
        listen=address,
        secret=secret,
        secret_generated=generated,
        max_connections=max_connections,
        drop_pending_updates=drop_pending_updates,
    )


def health_address(text: str | None, env: Mapping[str, str] = os.environ) -> ListenAddress | None:
    """Read --health / MARKETBRIEF_HEALTH (polling mode); None when neither is set."""
    text = text or env.get("MARKETBRIEF_HEALTH", "").strip() or None
    if text is None:
        return None
    try:
        return parse_listen(text)
    except ValueError as exc:
        raise ConfigError(f"health address: {exc}") from None

"""Settings of the Telegram bot, read from the environment (and a .env file, see bot.cli)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cache
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.lab.config import LabConfigError, LabSettings
from briefings import Settings

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_TIME = time(8, 0)
DEFAULT_ZONE = "America/New_York"
DEFAULT_CATCHUP_HOURS = 6.0
DEFAULT_REFRESH_DELAY_MINUTES = 20.0
#: Telegram's ceiling for paid broadcasts (``allow_paid_broadcast``), messages a second.
MAX_PAID_BROADCAST_RATE = 1000.0
#: The bot's database (the chats and the outbox log) inside the data directory.
BOT_DATABASE_NAME = "bot.sqlite3"
#: The documented ranges (inclusive) of the numeric settings.
CATCHUP_HOURS_RANGE = (0.0, 168.0)
REFRESH_DELAY_MINUTES_RANGE = (0.0, 720.0)
#: User ids are positive and fit in 52 bits (Telegram says so).
MAX_USER_ID = 2**52

T = TypeVar("T")

_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_CLOCK = re.compile(r"^(\d{1,2})[:.h](\d{2})$")


class ConfigError(ValueError):
    """Raise when a setting is missing or malformed; the message is one line for stderr."""


@dataclass(frozen=True)
class RateLimits:
    """Telegram's flood limits the bot keeps under, and how often a 429 is retried."""

    overall_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: float = 20.0
    max_retries: int = 5
    server_error_retries: int = 2
    """Retries of a reply that met a 5xx or a failed connection (see bot.delivery.ratelimit)."""
    server_error_backoff: float = 0.5
    """Seconds before the first such retry; each later one waits three times longer."""
    paid_broadcast_per_second: float = 0.0
    """Broadcast rate with ``allow_paid_broadcast`` (0: off, broadcasts share the free rate)."""

    @property
    def paid_broadcast(self) -> bool:
        """Return True when broadcasts are sent as paid broadcasts."""
        return self.paid_broadcast_per_second > 0


@dataclass(frozen=True)
class BotSettings:
    """Everything the bot needs besides the market service."""

    token: str = field(repr=False)
    domain: Settings
    api_url: str = DEFAULT_API_URL
    admins: frozenset[int] = frozenset()
    default_time: time = DEFAULT_TIME
    default_zone: str = DEFAULT_ZONE
    catchup: timedelta = timedelta(hours=DEFAULT_CATCHUP_HOURS)
    refresh_delay: timedelta = timedelta(minutes=DEFAULT_REFRESH_DELAY_MINUTES)
    rate_limits: RateLimits = RateLimits()
    lab: LabSettings = field(default_factory=LabSettings)
    """The Rotation Lab's public address and direct-link app (none: no Lab button)."""

    @property
    def database_path(self) -> Path:
        """Return the path of the bot's SQLite database (the chats and the outbox log)."""
        return self.domain.data_dir / BOT_DATABASE_NAME

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BotSettings:
        """Read TELEGRAM_* and MARKETBRIEF_* variables; raise ConfigError on bad values."""
        return cls(
            token=parse_token(env.get("TELEGRAM_BOT_TOKEN", "")),
            domain=Settings.from_env(env),
            api_url=_setting(parse_api_url, env, "TELEGRAM_API_URL", DEFAULT_API_URL),
            admins=parse_admins(env.get("MARKETBRIEF_ADMINS", "")),
            default_time=_setting(parse_clock_time, env, "MARKETBRIEF_DEFAULT_TIME", DEFAULT_TIME),
            default_zone=_setting(canonical_zone, env, "MARKETBRIEF_DEFAULT_TZ", DEFAULT_ZONE),
            catchup=timedelta(
                hours=_setting(
                    _number_in(*CATCHUP_HOURS_RANGE),
                    env,
                    "MARKETBRIEF_CATCHUP_HOURS",
                    DEFAULT_CATCHUP_HOURS,
                )
            ),
            refresh_delay=timedelta(
                minutes=_setting(
                    _number_in(*REFRESH_DELAY_MINUTES_RANGE),
                    env,
                    "MARKETBRIEF_REFRESH_DELAY_MINUTES",
                    DEFAULT_REFRESH_DELAY_MINUTES,
                )
            ),
            lab=_lab_settings(env),
            rate_limits=RateLimits(
                paid_broadcast_per_second=_setting(
                    parse_paid_broadcast_rate, env, "MARKETBRIEF_PAID_BROADCAST_RATE", 0.0
                )
            ),
        )


def _lab_settings(env: Mapping[str, str]) -> LabSettings:
    try:
        return LabSettings.from_env(env)
    except LabConfigError as exc:
        raise ConfigError(str(exc)) from None


def _setting(parse: Callable[[str], T], env: Mapping[str, str], name: str, default: T) -> T:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return parse(text)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def parse_token(text: str) -> str:
    """Return the bot token, or raise ConfigError naming what is wrong (never echoing it)."""
    token = text.strip()
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and put it in the "
            "environment or a .env file (or try the bot offline with `marketbrief chat`)"
        )
    if not _TOKEN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed; a token looks like 123456789:AAE... "
            "(digits, a colon, then letters, digits, - and _)"
        )
    return token


def parse_api_url(text: str) -> str:
    """Return a Bot API base URL (http or https, a host, a valid port) without a trailing /."""
    url = text.strip().rstrip("/")
    problem = f"{_shorten(url)!r} is not an http(s) URL, e.g. {DEFAULT_API_URL}"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise ValueError(problem)
    return url


def parse_admins(text: str) -> frozenset[int]:
    """Parse comma-separated Telegram user ids, e.g. "12345, 67890"."""
    admins: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            user_id = int(part)
        except ValueError:
            user_id = 0
        if not 0 < user_id < MAX_USER_ID:
            raise ConfigError(f"MARKETBRIEF_ADMINS: {_shorten(part)!r} is not a user id")
        admins.add(user_id)
    return frozenset(admins)


def parse_clock_time(text: str) -> time:
    """Parse a 24-hour clock time such as 08:00, 8:30 or 18h15."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"{_shorten(text)!r} is not a time; use HH:MM, e.g. 08:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{_shorten(text)!r} is not a time of day; use 00:00 to 23:59")
    return time(hour, minute)


@cache
def _zones_by_folded_name() -> Mapping[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def canonical_zone(text: str) -> str:
    """Return the IANA name of a time zone given in any case, e.g. europe/paris -> Europe/Paris."""
    name = _zones_by_folded_name().get(text.strip().casefold())
    if name is None:
        raise ValueError(f"{_shorten(text)!r} is not a time zone; use Area/City, e.g. Europe/Paris")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time zone {name!r} is not available on this system") from None
    return name


def parse_paid_broadcast_rate(text: str) -> float:
    """Parse a paid broadcast rate: 0 (off) or above the free 30/s, at most 1000/s."""
    free = RateLimits().overall_per_second
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if rate == 0:
        return 0.0
    if not free < rate <= MAX_PAID_BROADCAST_RATE:
        raise ValueError(
            f"{_shorten(text)!r} is not a rate; use 0 (off) or messages a second above "
            f"{free:g} and at most {MAX_PAID_BROADCAST_RATE:g}"
        )
    return rate


def _number_in(low: float, high: float) -> Callable[[str], float]:
    """Return a parser of a decimal number from ``low`` to ``high`` (no inf, nan or 1e308)."""

    def parse(text: str) -> float:
        problem = f"{_shorten(text)!r} is not a number from {low:g} to {high:g}"
        try:
            value = float(text)
        except ValueError:
            raise ValueError(problem) from None
        if not low <= value <= high:
            raise ValueError(problem)
        return value

    return parse


def _shorten(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"

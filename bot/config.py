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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from briefings.config import Settings

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_TIME = time(8, 0)
DEFAULT_ZONE = "America/New_York"
DEFAULT_CATCHUP_HOURS = 6.0
DEFAULT_REFRESH_DELAY_MINUTES = 20.0

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

    @property
    def database_path(self) -> Path:
        """Return the path of the bot's SQLite database (the chats and the outbox log)."""
        return self.domain.data_dir / "bot.sqlite3"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BotSettings:
        """Read TELEGRAM_* and MARKETBRIEF_* variables; raise ConfigError on bad values."""
        return cls(
            token=parse_token(env.get("TELEGRAM_BOT_TOKEN", "")),
            domain=Settings.from_env(env),
            api_url=(env.get("TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/"),
            admins=parse_admins(env.get("MARKETBRIEF_ADMINS", "")),
            default_time=_setting(parse_clock_time, env, "MARKETBRIEF_DEFAULT_TIME", DEFAULT_TIME),
            default_zone=_setting(canonical_zone, env, "MARKETBRIEF_DEFAULT_TZ", DEFAULT_ZONE),
            catchup=timedelta(
                hours=_setting(
                    _non_negative, env, "MARKETBRIEF_CATCHUP_HOURS", DEFAULT_CATCHUP_HOURS
                )
            ),
            refresh_delay=timedelta(
                minutes=_setting(
                    _non_negative,
                    env,
                    "MARKETBRIEF_REFRESH_DELAY_MINUTES",
                    DEFAULT_REFRESH_DELAY_MINUTES,
                )
            ),
        )


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


def parse_admins(text: str) -> frozenset[int]:
    """Parse comma-separated Telegram user ids, e.g. "12345, 67890"."""
    admins: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            admins.add(int(part))
        except ValueError:
            raise ConfigError(f"MARKETBRIEF_ADMINS: {part!r} is not a user id") from None
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


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(f"{text!r} must be a number >= 0")
    return value


def _shorten(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"

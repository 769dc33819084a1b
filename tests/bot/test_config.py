"""Bot settings from the environment: defaults, validation, one-line errors."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_URL, BotSettings, ConfigError, canonical_zone, parse_admins, parse_clock_time
from localapi.server import DEFAULT_TOKEN, LocalBotApi

TOKEN = "123456789:AAEexampleexampleexampleexample_-1"


def test_defaults_from_a_minimal_environment(tmp_path: Path) -> None:
    settings = BotSettings.from_env(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_DATA_DIR": str(tmp_path)}
    )
    assert settings.api_url == DEFAULT_API_URL
    assert settings.default_time == time(8, 0)
    assert settings.default_zone == "America/New_York"
    assert settings.catchup == timedelta(hours=6)
    assert settings.admins == frozenset()
    assert settings.database_path == tmp_path / "bot.sqlite3"


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = BotSettings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": f"  {TOKEN}\n",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot/",
            "MARKETBRIEF_DATA_DIR": str(tmp_path),
            "MARKETBRIEF_SOURCE": "demo",
            "MARKETBRIEF_ADMINS": "12, 34 ,",
            "MARKETBRIEF_DEFAULT_TIME": "7:05",
            "MARKETBRIEF_DEFAULT_TZ": "europe/paris",
            "MARKETBRIEF_CATCHUP_HOURS": "1.5",
        }
    )
    assert settings.token == TOKEN
    assert settings.api_url == "http://127.0.0.1:8081/bot"
    assert settings.domain.source == "demo"
    assert settings.admins == frozenset({12, 34})
    assert settings.default_time == time(7, 5)
    assert settings.default_zone == "Europe/Paris"
    assert settings.catchup == timedelta(minutes=90)


def test_the_token_never_shows_in_the_settings_repr(tmp_path: Path) -> None:
    settings = BotSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "   "}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN": "123:short"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_ADMINS": "12,bob"}, "MARKETBRIEF_ADMINS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_DEFAULT_TIME": "25:00"}, "DEFAULT_TIME"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_DEFAULT_TZ": "Mars/Base"}, "DEFAULT_TZ"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_CATCHUP_HOURS": "-1"}, "CATCHUP_HOURS"),
    ],
)
def test_bad_settings_raise_one_line_errors(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BotSettings.from_env(env)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert "not-a-token" not in message  # a bad token is never echoed


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:00", time(8)), ("8:30", time(8, 30)), ("23:59", time(23, 59)), ("18h15", time(18, 15))],
)
def test_clock_times(text: str, expected: time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "noon", "8", "08:0", "-1:00", ""])
def test_bad_clock_times(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_clock_time(text)


def test_zones_are_matched_case_insensitively() -> None:
    assert canonical_zone("ASIA/TOKYO") == "Asia/Tokyo"
    assert canonical_zone(" utc ") == "UTC"
    for bad in ("Mars/Base", "../../etc/passwd", "", "x" * 5000):
        with pytest.raises(ValueError, match="time zone"):
            canonical_zone(bad)


def test_admin_ids() -> None:
    assert parse_admins("") == frozenset()
    assert parse_admins("1;2, 3") == frozenset({1, 2, 3})


def test_the_local_bot_api_servers_default_token_is_accepted() -> None:
    settings = BotSettings.from_env({"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN})
    assert settings.token == DEFAULT_TOKEN
    assert LocalBotApi().token == DEFAULT_TOKEN


@pytest.mark.parametrize(
    ("text", "rate"), [("", 0.0), ("0", 0.0), ("1000", 1000.0), ("250.5", 250.5)]
)
def test_paid_broadcast_rate_is_off_by_default_and_read_when_set(text: str, rate: float) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_PAID_BROADCAST_RATE": text}
    limits = BotSettings.from_env(env).rate_limits
    assert limits.paid_broadcast_per_second == rate
    assert limits.paid_broadcast is (rate > 0)
    assert limits.overall_per_second == 30.0  # the free pace stays for everything else


@pytest.mark.parametrize("text", ["-5", "20", "30", "1001", "fast", "nan", "inf"])
def test_a_paid_broadcast_rate_outside_its_range_is_one_line(text: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "MARKETBRIEF_PAID_BROADCAST_RATE": text}
    with pytest.raises(ConfigError) as caught:
        BotSettings.from_env(env)
    message = str(caught.value)
    assert message.startswith("MARKETBRIEF_PAID_BROADCAST_RATE:")
    assert "at most 1000" in message
    assert "\n" not in message

"""Resolve what people type as a time zone: Area/City, a bare city, never a fixed offset."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from bot.config import canonical_zone

#: Areas whose zones are named after a city (US/Eastern, Etc/GMT+5 and the like are not).
CITY_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
#: Abbreviations and POSIX-style zones people type, and the city zone to suggest instead:
#: a fixed offset ignores daylight saving, so a briefing would arrive an hour off half the year.
FIXED_OFFSET_SUGGESTIONS: Mapping[str, str] = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "EST5EDT": "America/New_York",
    "ET": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "CST6CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "MST7MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PST8PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "GMT": "Europe/London",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
    "MSK": "Europe/Moscow",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
_SAMPLE_YEARS = range(1995, 2036)


class ZoneProblem(ValueError):
    """Raise when text does not name exactly one usable time zone; the message says why."""


def resolve_zone(text: str) -> str:
    """Return the IANA zone for "Europe/London", "london" or "New York"; refuse EST and kin."""
    cleaned = " ".join(text.split())
    if _is_fixed_offset(cleaned):
        suggestion = FIXED_OFFSET_SUGGESTIONS.get(cleaned.upper(), "Europe/Paris")
        raise ZoneProblem(
            f"“{cleaned}” is a fixed offset that ignores daylight saving; "
            f"use a city's zone such as {suggestion}."
        )
    try:
        return canonical_zone(cleaned.replace(" ", "_"))
    except ValueError:
        pass
    candidates = _zones_by_city().get(_city_key(cleaned), ())
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ZoneProblem(
            f"“{cleaned}” is in several time zones ({', '.join(candidates)}); give one of them."
        )
    raise ZoneProblem(
        f"“{cleaned}” is not a time zone or city I know; use Area/City, e.g. Europe/Paris."
    )


def _is_fixed_offset(text: str) -> bool:
    upper = text.upper()
    if upper in FIXED_OFFSET_SUGGESTIONS:
        return True
    return upper.startswith(("ETC/GMT+", "ETC/GMT-", "UTC+", "UTC-", "GMT+", "GMT-"))


def _city_key(text: str) -> str:
    return text.replace("_", " ").casefold().strip()


@cache
def _zones_by_city() -> Mapping[str, tuple[str, ...]]:
    """Map a folded city name to its zones; aliases of one zone count once."""
    groups: dict[str, set[str]] = defaultdict(set)
    for name in available_timezones():
        area, _, rest = name.partition("/")
        if area in CITY_AREAS and rest:
            groups[_city_key(name.rsplit("/", 1)[1])].add(name)
    listed = _listed_zones()
    resolved: dict[str, tuple[str, ...]] = {}
    for city, names in groups.items():
        if len(names) == 1:
            resolved[city] = tuple(names)
            continue
        distinct: dict[tuple[timedelta | None, ...], str] = {}
        for name in sorted(names, key=lambda n: (n not in listed, -len(n), n)):
            distinct.setdefault(_offsets(name), name)
        resolved[city] = tuple(sorted(distinct.values()))
    return resolved


def _offsets(name: str) -> tuple[timedelta | None, ...]:
    """Return the zone's UTC offsets sampled quarterly over four decades (alias detection)."""
    zone = ZoneInfo(name)
    return tuple(
        datetime(year, month, 15, 12, tzinfo=UTC).astimezone(zone).utcoffset()
        for year in _SAMPLE_YEARS
        for month in (1, 4, 7, 10)
    )


def _listed_zones() -> frozenset[str]:
    """Return the canonical zones of zone.tab (tzdata's copy, else the system's), if any."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        text = system.read_text("utf-8") if system.is_file() else ""
    names = set()
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            names.add(fields[2])
    return frozenset(names)

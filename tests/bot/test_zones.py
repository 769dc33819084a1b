"""Time zones as people type them: Area/City, bare cities, aliases; fixed offsets refused."""

from __future__ import annotations

import pytest

from bot.chat.zones import ZoneProblem, resolve_zone


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("London", "Europe/London"),
        ("london", "Europe/London"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("europe/paris", "Europe/Paris"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),  # an alias of the same zone
        ("Indianapolis", "America/Indiana/Indianapolis"),
        ("UTC", "UTC"),
    ],
)
def test_cities_and_zone_names_resolve(text: str, zone: str) -> None:
    assert resolve_zone(text) == zone


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("EST", "America/New_York"),
        ("est", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("CET", "Europe/Paris"),
        ("EST5EDT", "America/New_York"),
        ("Etc/GMT+5", "Europe/Paris"),
    ],
)
def test_fixed_offsets_are_refused_with_a_suggestion(text: str, suggestion: str) -> None:
    with pytest.raises(ZoneProblem, match="daylight saving") as refused:
        resolve_zone(text)
    assert suggestion in str(refused.value)


def test_unknown_places_are_refused() -> None:
    with pytest.raises(ZoneProblem, match="not a time zone or city"):
        resolve_zone("Gotham")

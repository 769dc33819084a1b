"""The universe file: groups, pairs and settings, and the errors a malformed one gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefings.universe import UniverseError, load_universe


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "universe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_universe_has_the_groups_and_pairs_the_briefing_needs() -> None:
    universe = load_universe()
    keys = [group.key for group in universe.groups]
    assert keys[:4] == ["benchmarks", "size", "style", "sectors"]
    assert len(universe.group("sectors").members) == 11
    assert universe.name("basket:megacap_tech") == "Mega-cap tech"
    assert len(universe.tickers) == len(set(universe.tickers))


def test_benchmarks_and_pair_legs_outside_the_groups_are_still_fetched(tmp_path: Path) -> None:
    universe = load_universe(
        write(
            tmp_path,
            """
[groups.sectors]
members = { XLK = "Technology" }
[[pairs]]
name = "Small vs mid"
lead = "IWM"
lag = "MDY"
[settings]
benchmark = "QQQ"
""",
        )
    )
    assert universe.tickers == ("XLK", "QQQ", "IWM", "MDY")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("groups = 3", "groups"),
        ("[groups]\nsectors = 'XLK'", "must be a table"),
        ("[groups.a]\ntitle = 'A'", "members"),
        ("[groups.a]\nmembers = { X = 'x' }\n[settings]\nlow_lookback_sessions = 0", "lookback"),
        ("[groups.a]\nmembers = { X = 'x' }\n[[pairs]]\nname = 'p'\nlead = 'X'", "lag"),
        ("[groups.a]\nmembers = { X = 'x' }\n[[pairs]]\nname='p'\nlead='basket:b'\nlag='X'", "b"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_a_malformed_file_is_one_clear_error(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(UniverseError, match=fragment):
        load_universe(write(tmp_path, text))


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UniverseError, match="not found"):
        load_universe(tmp_path / "nope.toml")

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
benchmark = "MDY"
""",
        )
    )
    # The benchmark, a pair leg the groups do not list, comes before the other legs.
    assert universe.tickers == ("XLK", "MDY", "IWM")


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


def test_the_default_universe_measures_the_sp500_and_has_the_sp600_ready() -> None:
    universe = load_universe()
    assert [index.key for index in universe.member_indexes] == ["sp500"]
    sp500, sp600 = universe.indexes
    assert (sp500.name, sp500.expected_members, sp500.top_n) == ("S&P 500", 503, 50)
    assert sp500.holdings_for("yfinance") == "SPY"
    assert sp500.holdings_for("csv") == "sp500"
    assert (sp600.name, sp600.enabled, sp600.holdings_for("yfinance")) == ("S&P 600", False, "SPSM")


def test_turning_the_sp600_on_takes_one_line(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "briefings" / "universe.toml").read_text()
    turned_on = text.replace("enabled = false", "enabled = true")
    universe = load_universe(write(tmp_path, turned_on))
    assert [index.key for index in universe.member_indexes] == ["sp500", "sp600"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[indexes]\nsp500 = 3", "must be a table"),
        ("[indexes.sp500]\nexpected_members = 0\nholdings = { csv = 'x' }", "whole number"),
        ("[indexes.sp500]\nexpected_members = 500\nholdings = 'SPY'", "holdings must map"),
        (
            "[indexes.sp500]\nexpected_members = 500\ntop_n = 'x'\nholdings = { csv = 'x' }",
            "top_n must be a whole number",
        ),
        (
            "[indexes.sp500]\nexpected_members = 500\nenabled = 'yes'\nholdings = { csv = 'x' }",
            "true or false",
        ),
    ],
)
def test_malformed_indexes_are_rejected(tmp_path: Path, text: str, fragment: str) -> None:
    groups = '[groups.sectors]\nmembers = { XLK = "Technology" }\n'
    with pytest.raises(UniverseError, match=fragment):
        load_universe(write(tmp_path, groups + text))

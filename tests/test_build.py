"""build_briefing and the bot's follow-ups: every field filled, input errors, real data."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.leaders import streaks
from briefings.analytics.returns import trailing_returns
from briefings.build import (
    BriefingInputError,
    build_briefing,
    compare_pair,
    overview_legs,
    resolve_session,
    returns_since_date,
)
from briefings.windows import WINDOWS
from briefings.model import Briefing
from briefings.universe import Group, PairSpec, Universe, load_universe

NAN = float("nan")
SESSIONS = pd.bdate_range(
    "2024-01-01", periods=300, name="date"
)  # Mon 1 Jan 2024 .. Fri 21 Feb 2025
LAST = date(2025, 2, 21)

UNIVERSE = Universe(
    groups=(
        Group(key="benchmarks", title="Benchmarks", members=("SPY", "^GSPC")),
        Group(key="size", title="Size", members=("IWM",)),
        Group(key="sectors", title="Sectors", members=("XLK", "XLE", "XLU")),
        Group(key="tech", title="Tech", members=("AAPL", "MSFT"), basket=True),
    ),
    names={
        "SPY": "S&P 500 (SPY)",
        "^GSPC": "S&P 500 index",
        "IWM": "Russell 2000",
        "XLK": "Technology",
        "XLE": "Energy",
        "XLU": "Utilities",
        "AAPL": "Apple",
        "MSFT": "Microsoft",
    },
    pairs=(
        PairSpec(name="Small vs large", lead="IWM", lag="SPY"),
        PairSpec(name="Tech vs market", lead="basket:tech", lag="SPY"),
    ),
    benchmark="SPY",
    low_benchmark="^GSPC",
    low_lookback_sessions=5,
    breadth_baskets=("sectors", "tech"),
)


def random_closes(tickers: list[str], index: pd.DatetimeIndex, seed: int = 11) -> pd.DataFrame:
    """Return random-walk closes for ``tickers`` over ``index``."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0003, 0.012, size=(len(index), len(tickers)))
    return pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=index, columns=tickers)


def tiny_closes() -> pd.DataFrame:
    """Return closes for UNIVERSE: XLU absent, IWM stale, shaped streaks, lows and a record."""
    closes = random_closes(["SPY", "^GSPC", "IWM", "XLK", "XLE", "AAPL", "MSFT", "ZZZ"], SESSIONS)
    closes.loc[closes.index[-6:], "XLK"] = [200.0, 100.0, 101.0, 102.0, 103.0, 104.0]
    closes.loc[closes.index[-5:], "XLE"] = [50.0, 60.0, 59.0, 58.0, 57.0]
    closes.loc[closes.index[-6:], "^GSPC"] = [
        1.0,
        5000.0,
        4900.0,
        4950.0,
        5100.0,
        5050.0,
    ]
    closes.loc[closes.index[-1], "AAPL"] = 1000.0
    closes.loc[closes.index[-1], "IWM"] = NAN
    return closes


def brief(closes: pd.DataFrame | None = None, **options: Any) -> Briefing:
    settings: dict[str, Any] = {
        "as_of": None,
        "source": "test",
        "simulated": True,
        "data_version": "v1",
    }
    settings.update(options)
    return build_briefing(
        tiny_closes() if closes is None else closes,
        UNIVERSE,
        **settings,
    )


def numbers(value: object) -> Iterator[float]:
    """Yield every number held anywhere in a briefing (dataclasses, mappings, tuples)."""
    if isinstance(value, bool | str | date) or value is None:
        return
    if isinstance(value, int | float):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from numbers(getattr(value, item.name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from numbers(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from numbers(item)
    else:
        raise AssertionError(f"unexpected value in a briefing: {value!r} ({type(value)})")


def assert_numbers_are_finite(briefing: Briefing) -> None:
    values = list(numbers(briefing))
    assert values
    for value in values:
        assert type(value) in (int, float), value
        assert math.isfinite(value), value


# --- the session and bad input ----------------------------------------------------------------


def test_the_briefing_covers_the_last_session_by_default() -> None:
    briefing = brief()
    assert (briefing.as_of, briefing.source, briefing.simulated) == (LAST, "test", True)
    assert (briefing.data_version, briefing.period) == ("v1", "MTD")
    assert_numbers_are_finite(briefing)


def test_a_weekend_as_of_means_the_friday_before() -> None:
    # The data ends on Friday 21 Feb: the weekend after it still means that Friday.
    assert brief(as_of=date(2025, 2, 23)).as_of == date(2025, 2, 21)
    assert brief(as_of=date(2025, 2, 23)).returns == brief(as_of=date(2025, 2, 21)).returns


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"as_of": date(2023, 12, 30)},
            "no data on or before 2023-12-30; the data starts 2024-01-01",
        ),
        ({"as_of": date(2025, 3, 3)}, "no data for 2025-03-03; the data ends 2025-02-21"),
        ({"as_of": date(2025, 2, 24)}, "no data for 2025-02-24; the data ends 2025-02-21"),
        ({"since": date(2025, 2, 24), "as_of": date(2025, 2, 23)}, "after the session 2025-02-21"),
        (
            {"since": date(2023, 6, 1)},
            "no data on or before 2023-06-01; the data starts 2024-01-01",
        ),
        ({"period": "2Y"}, "unknown period '2Y'"),
    ],
)
def test_bad_input_raises_a_one_line_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(BriefingInputError, match=message) as error:
        brief(**options)
    assert "\n" not in str(error.value)


def test_an_empty_frame_is_bad_input() -> None:
    with pytest.raises(BriefingInputError, match="empty"):
        brief(pd.DataFrame(index=pd.DatetimeIndex([]), dtype=float))


def test_the_period_is_case_insensitive() -> None:
    briefing = brief(period="ytd")
    assert briefing.period == "YTD"
    assert briefing.sectors == briefing.leaderboards["YTD"]


# --- the fields -------------------------------------------------------------------------------


def test_stale_lists_universe_tickers_without_a_close_in_universe_order() -> None:
    assert brief().stale == ("IWM", "XLU")


def test_returns_cover_universe_tickers_with_a_close_and_match_the_analytics() -> None:
    briefing = brief()
    assert set(briefing.returns) == {"SPY", "^GSPC", "XLK", "XLE", "AAPL", "MSFT"}
    expected = trailing_returns(tiny_closes(), LAST).loc["SPY"]
    assert briefing.returns["SPY"] == {w: pytest.approx(expected[w]) for w in WINDOWS}
    # 300 sessions reach back a year: every window is filled.
    assert all(value is not None for value in briefing.returns["SPY"].values())


def test_groups_list_members_with_data_and_their_close() -> None:
    briefing = brief()
    assert [block.key for block in briefing.groups] == ["benchmarks", "size", "sectors", "tech"]
    sectors = briefing.groups[2]
    assert [line.ticker for line in sectors.lines] == ["XLK", "XLE"]  # XLU has no data
    assert (sectors.lines[0].name, sectors.lines[0].close) == ("Technology", 104.0)
    (iwm,) = briefing.groups[1].lines
    assert iwm.close is None
    assert set(iwm.returns.values()) == {None}


def test_leaderboards_rank_the_sectors_for_every_window() -> None:
    briefing = brief()
    assert list(briefing.leaderboards) == list(WINDOWS)
    for window, rows in briefing.leaderboards.items():
        assert [row.ticker for row in rows] in (["XLK", "XLE"], ["XLE", "XLK"])
        assert rows[0].return_pct >= rows[1].return_pct
        assert rows[0].return_pct == briefing.returns[rows[0].ticker][window]
    assert briefing.leaderboards["1D"][0].ticker == "XLK"  # +0.97 % against -1.72 %


def test_a_universe_without_sectors_has_empty_leaderboards() -> None:
    universe = dataclasses.replace(
        UNIVERSE, groups=UNIVERSE.groups[:2], pairs=(), breadth_baskets=()
    )
    briefing = build_briefing(
        tiny_closes(), universe, as_of=None, source="t", simulated=False, data_version="v"
    )
    assert briefing.leaderboards == dict.fromkeys(WINDOWS, ())
    assert (briefing.rotation, briefing.sector_rotation, briefing.breadth) == ((), (), ())
    assert briefing.sectors == ()


def test_rotation_lines_for_the_pairs_and_each_sector() -> None:
    briefing = brief()
    small, tech = briefing.rotation
    assert (small.name, small.lead, small.lag) == ("Small vs large", "IWM", "SPY")
    assert set(small.spread.values()) == {None}  # IWM has no close on the session
    assert (tech.lead_name, tech.lag_name) == ("Tech", "S&P 500 (SPY)")
    assert tech.ratio_vs_50d is not None
    assert tech.rrg is not None
    assert [line.name for line in briefing.sector_rotation] == [
        "XLK vs SPY",
        "XLE vs SPY",
        "XLU vs SPY",
    ]
    xlk = briefing.sector_rotation[0]
    spy = briefing.returns["SPY"]["1D"]
    assert spy is not None
    assert xlk.spread["1D"] == pytest.approx(100 * (104 / 103 - 1) - spy)


def test_since_low_measures_from_the_low_benchmarks_recent_low() -> None:
    low = brief().since_low
    assert low is not None
    # The last five ^GSPC closes are 5000, 4900, 4950, 5100, 5050: the low is 4900 on 18 Feb.
    assert (low.benchmark, low.benchmark_name) == ("^GSPC", "S&P 500 index")
    assert (low.low_date, low.low_close, low.lookback_sessions) == (date(2025, 2, 18), 4900.0, 5)
    # Every leg with data: the overview legs (IWM is stale), then the other tickers.
    assert [row.ticker for row in low.returns] == [
        "SPY",
        "^GSPC",
        "basket:tech",
        "XLK",
        "XLE",
        "AAPL",
        "MSFT",
    ]
    assert low.returns[1].return_pct == pytest.approx(100 * (5050 / 4900 - 1))
    assert low.returns[2].name == "Tech"
    # Text and HTML show the overview legs (this universe has no cyclicals group), best first.
    shown = [row.return_pct for row in low.highlights]
    assert {row.ticker for row in low.highlights} == {"SPY", "^GSPC", "basket:tech"}
    assert shown == sorted(shown, reverse=True)


def test_since_low_falls_back_to_the_benchmark() -> None:
    closes = tiny_closes().drop(columns="^GSPC")
    low = brief(closes).since_low
    assert low is not None
    assert low.benchmark == "SPY"
    spy = closes["SPY"].iloc[-5:]
    lowest = int(np.argmin(spy.to_numpy()))
    assert (low.low_date, low.low_close) == (spy.index[lowest].date(), spy.iloc[lowest])


def test_since_a_date_reports_the_session_used() -> None:
    briefing = brief(since=date(2025, 2, 16))  # a Sunday: the Friday close
    assert briefing.since is not None
    assert briefing.since.start == date(2025, 2, 14)
    spy = tiny_closes()["SPY"]
    assert briefing.since.returns[0].return_pct == pytest.approx(
        100 * (spy.iloc[-1] / spy.loc["2025-02-14"] - 1)
    )
    assert brief().since is None


def test_streaks_are_long_ones_sorted_by_length() -> None:
    briefing = brief()
    days = {streak.ticker: streak.days for streak in briefing.streaks}
    assert days["XLK"] == 4
    assert days["XLE"] == -3
    assert all(abs(d) >= 3 for d in days.values())
    lengths = [abs(streak.days) for streak in briefing.streaks]
    assert lengths == sorted(lengths, reverse=True)
    every = streaks(tiny_closes()[[*UNIVERSE.tickers[:5], "AAPL", "MSFT"]], LAST)
    assert days == {t: int(n) for t, n in every.items() if abs(n) >= 3}
    assert {s.ticker for s in brief(streak_min=5).streaks}.isdisjoint({"XLK", "XLE"})


def test_record_and_52_week_highs() -> None:
    briefing = brief()
    assert "AAPL" in briefing.record_highs
    assert "AAPL" in briefing.highs_52w
    assert "XLK" not in briefing.record_highs  # 104 is below the 200 of six sessions ago
    assert set(briefing.record_highs) <= set(briefing.highs_52w)


def test_breadth_of_the_configured_baskets() -> None:
    sectors, tech = brief().breadth
    assert (sectors.key, sectors.title, sectors.members) == ("sectors", "Sectors", 3)
    assert sectors.counted_200 == 2  # XLU has no data
    assert (tech.members, tech.counted_50) == (2, 2)


def test_names_include_the_baskets() -> None:
    names = brief().names
    assert names["XLK"] == "Technology"
    assert names["basket:tech"] == "Tech"


# --- follow-ups for the bot -------------------------------------------------------------------


def test_compare_pair_matches_tickers_case_insensitively() -> None:
    line = compare_pair(tiny_closes(), UNIVERSE, "xlk", "spy", LAST)
    assert (line.name, line.lead, line.lag, line.lead_name) == (
        "XLK vs SPY",
        "XLK",
        "SPY",
        "Technology",
    )
    assert line.spread == brief().sector_rotation[0].spread


def test_compare_pair_uses_the_universe_pair_name_or_the_one_given() -> None:
    line = compare_pair(tiny_closes(), UNIVERSE, "basket:tech", "SPY", LAST)
    assert line.name == "Tech vs market"
    assert line == brief().rotation[1]
    assert compare_pair(tiny_closes(), UNIVERSE, "XLE", "XLK", LAST, name="Oil vs tech").name == (
        "Oil vs tech"
    )


@pytest.mark.parametrize(
    ("lead", "lag", "message"),
    [
        ("QQQ", "SPY", "'QQQ' is not a ticker of the universe"),
        ("SPY", "basket:nope", "'basket:nope' names no group"),
        ("XLU", "SPY", "XLU has no close on 2025-02-21"),
        ("SPY", "IWM", "IWM has no close on 2025-02-21"),
    ],
)
def test_compare_pair_rejects_unknown_or_missing_legs(lead: str, lag: str, message: str) -> None:
    with pytest.raises(BriefingInputError, match=message):
        compare_pair(tiny_closes(), UNIVERSE, lead, lag, LAST)


def test_returns_since_date_for_the_overview_legs() -> None:
    since = returns_since_date(tiny_closes(), UNIVERSE, date(2025, 2, 23), date(2025, 2, 15))
    assert since.start == date(2025, 2, 14)
    assert since == brief(since=date(2025, 2, 14)).since
    with pytest.raises(BriefingInputError, match="after the session"):
        returns_since_date(tiny_closes(), UNIVERSE, date(2025, 2, 14), date(2025, 2, 18))


def test_overview_legs_skip_the_sectors_and_take_baskets_whole() -> None:
    assert overview_legs(UNIVERSE) == ("SPY", "^GSPC", "IWM", "basket:tech")
    default = overview_legs(load_universe())
    assert default[:3] == ("SPY", "RSP", "QQQ")
    assert default[-2:] == ("basket:cyclicals", "basket:megacap_tech")
    assert "XLK" not in default


# --- scale and real data ----------------------------------------------------------------------


def test_the_default_universe_on_ten_years_of_random_closes() -> None:
    universe = load_universe()
    index = pd.bdate_range(end="2025-12-31", periods=2500, name="date")
    closes = random_closes(list(universe.tickers), index, seed=5)
    briefing = build_briefing(
        closes, universe, as_of=None, source="random", simulated=True, data_version="v"
    )
    assert len(universe.tickers) == 36
    assert briefing.as_of == date(2025, 12, 31)
    assert len(briefing.returns) == 36
    assert [len(block.lines) for block in briefing.groups] == [6, 3, 3, 11, 8, 7]
    assert all(len(rows) == 11 for rows in briefing.leaderboards.values())
    assert (len(briefing.rotation), len(briefing.sector_rotation)) == (7, 11)
    assert all(line.rrg is not None and line.ratio_vs_50d is not None for line in briefing.rotation)
    assert [b.counted_200 for b in briefing.breadth] == [11, 8, 7]
    assert briefing.since_low is not None
    # 36 tickers and 2 baskets; shown: 12 overview tickers, 2 baskets, 6 cyclical-only members
    # and XLI, XLF (cyclical industries that are sectors too).
    assert len(briefing.since_low.returns) == 38
    assert len(briefing.since_low.highlights) == 22
    assert {"IYT", "JETS"} <= {row.ticker for row in briefing.since_low.returns}
    assert briefing.stale == ()
    assert_numbers_are_finite(briefing)


def load_market_data(folder: Path) -> pd.DataFrame:
    """Return the real closes as a wide frame; GSPC.csv, NDX.csv and RUT.csv are the ^ indices."""
    columns = {}
    for path in sorted(folder.glob("*.csv")):
        ticker = f"^{path.stem}" if path.stem in {"GSPC", "NDX", "RUT"} else path.stem
        frame = pd.read_csv(path, usecols=["Date", "Close"], parse_dates=["Date"], index_col="Date")
        columns[ticker] = frame["Close"].astype(float)
    return pd.DataFrame(columns).sort_index()


@pytest.mark.market_data
def test_real_2025_returns_match_the_files(market_data_dir: Path) -> None:
    closes = load_market_data(market_data_dir)
    returns = trailing_returns(closes, date(2025, 12, 31))
    # SPY (dividend-adjusted): 678.3152 on 2025-12-31 / 576.2152 on 2024-12-31.
    assert returns.loc["SPY", "YTD"] == pytest.approx(17.719080450516955)
    # ^GSPC 6845.50 / 5881.63: the S&P 500's 2025 price return, 16.39 %.
    assert returns.loc["^GSPC", "YTD"] == pytest.approx(16.38780638006745)
    # 1Y from 2025-12-31 is the 2024-12-31 close too.
    assert returns.loc["IWM", "1Y"] == pytest.approx(12.657608893066419)
    november = trailing_returns(closes, date(2025, 11, 20))
    assert november.loc["SPY", "MTD"] == pytest.approx(-4.329521596448771)


@pytest.mark.market_data
@pytest.mark.parametrize("as_of", [date(2025, 11, 20), date(2025, 12, 31)])
def test_the_briefing_builds_on_real_data(market_data_dir: Path, as_of: date) -> None:
    universe = load_universe()
    closes = load_market_data(market_data_dir)
    briefing = build_briefing(
        closes,
        universe,
        as_of=as_of,
        source="csv",
        simulated=False,
        data_version="real",
        since=date(2025, 4, 8),
    )
    assert briefing.as_of == as_of
    assert_numbers_are_finite(briefing)
    # The folder has no MDY file: it alone is stale.
    assert briefing.stale == ("MDY",)
    assert len(briefing.leaderboards["YTD"]) == 11
    assert all(line.rrg is not None for line in (*briefing.rotation, *briefing.sector_rotation))
    assert briefing.since_low is not None
    assert briefing.since_low.benchmark == "^GSPC"
    assert briefing.returns["^GSPC"]["1D"] is not None


def test_as_of_on_a_holiday_after_the_data_uses_the_last_session() -> None:
    # Data ends Wed 26 Nov 2025; Thu 27 Nov is Thanksgiving, so it replays the 26th.
    index = pd.bdate_range("2024-01-01", "2025-11-26", name="date")
    closes = pd.DataFrame({"SPY": np.linspace(100.0, 200.0, len(index))}, index=index)
    assert resolve_session(closes, date(2025, 11, 27)) == pd.Timestamp("2025-11-26")
    with pytest.raises(BriefingInputError, match="2025-11-28"):
        resolve_session(closes, date(2025, 11, 28))


def test_compare_pair_accepts_baskets_and_tickers_in_any_case() -> None:
    universe = load_universe()
    index = pd.bdate_range("2024-01-01", "2025-11-21", name="date")
    rng = np.random.default_rng(3)
    closes = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(index), len(universe.tickers))), 0)),
        index=index,
        columns=list(universe.tickers),
    )
    as_of = date(2025, 11, 21)
    line = compare_pair(closes, universe, "Basket:Cyclicals", "basket:megacap_tech", as_of)
    assert (line.lead, line.lag) == ("basket:cyclicals", "basket:megacap_tech")
    assert compare_pair(closes, universe, "rut", "spy", as_of).lead == "^RUT"
    with pytest.raises(BriefingInputError, match="names no group"):
        compare_pair(closes, universe, "basket:nope", "SPY", as_of)

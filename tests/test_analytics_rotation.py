"""Equal-weight baskets and rotation pairs: spreads, ratio vs its average, legs and lines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.baskets import equal_weight_basket
from briefings.analytics.rotation import (
    leg_series,
    legs_frame,
    ratio_vs_average,
    rotation_lines,
    sector_pairs,
    spread,
)
from briefings.windows import WINDOWS
from briefings.universe import Group, PairSpec, Universe, load_universe

NAN = float("nan")


def days(count: int, start: str = "2025-03-03") -> pd.DatetimeIndex:
    """Return ``count`` consecutive weekdays from ``start``."""
    return pd.bdate_range(start, periods=count)


def tiny_universe() -> Universe:
    """Return a universe with one basket group of A and B and one pair."""
    return Universe(
        groups=(
            Group(key="main", title="Main", members=("SPY", "A", "B")),
            Group(key="ab", title="A and B", members=("A", "B"), basket=True),
        ),
        names={"SPY": "S&P 500", "A": "Alpha", "B": "Beta"},
        pairs=(PairSpec(name="Alpha vs S&P", lead="A", lag="SPY"),),
    )


# --- baskets ----------------------------------------------------------------------------------


def test_basket_of_one_member_is_that_member_rebased_to_100() -> None:
    closes = pd.DataFrame({"A": [50.0, 55.0, 44.0, 66.0]}, index=days(4))
    basket = equal_weight_basket(closes, ["A"])
    assert basket.tolist() == pytest.approx([100.0, 110.0, 88.0, 132.0])


def test_basket_averages_the_members_daily_returns() -> None:
    closes = pd.DataFrame({"A": [100.0, 110.0, 121.0], "B": [200.0, 180.0, 198.0]}, index=days(3))
    # Day 1: (+10 % - 10 %) / 2 = 0 ; day 2: (+10 % + 10 %) / 2 = +10 %.
    assert equal_weight_basket(closes, ["A", "B"]).tolist() == pytest.approx([100.0, 100.0, 110.0])


def test_a_member_missing_a_day_is_left_out_that_day_and_bridged_after() -> None:
    closes = pd.DataFrame({"A": [100.0, NAN, 110.0], "B": [100.0, 102.0, 102.0]}, index=days(3))
    # Day 1: only B, +2 % -> 102. Day 2: A +10 % from its last close, B 0 % -> 102 * 1.05.
    assert equal_weight_basket(closes, ["A", "B"]).tolist() == pytest.approx([100, 102, 107.1])


def test_a_member_listed_later_joins_from_its_second_close() -> None:
    closes = pd.DataFrame({"A": [100.0, 101.0, 102.01], "B": [NAN, 40.0, 44.0]}, index=days(3))
    # Day 1: B's first close has no return: A alone, +1 %. Day 2: (+1 % + 10 %) / 2 = +5.5 %.
    expected = [100.0, 101.0, 101.0 * 1.055]
    assert equal_weight_basket(closes, ["A", "B"]).tolist() == pytest.approx(expected)


def test_basket_starts_at_the_first_close_and_is_nan_where_no_member_trades() -> None:
    closes = pd.DataFrame({"A": [NAN, 10.0, NAN, 11.0]}, index=days(4))
    basket = equal_weight_basket(closes, ["A"])
    assert math.isnan(basket.iloc[0])
    assert basket.iloc[1] == 100.0
    assert math.isnan(basket.iloc[2])
    assert basket.iloc[3] == pytest.approx(110.0)


def test_basket_of_unknown_members_is_all_nan() -> None:
    closes = pd.DataFrame({"A": [1.0, 2.0]}, index=days(2))
    assert equal_weight_basket(closes, ["ZZZ"]).isna().all()


# --- legs -------------------------------------------------------------------------------------


def test_leg_series_resolves_tickers_baskets_and_absent_tickers() -> None:
    closes = pd.DataFrame(
        {"A": [100.0, 110.0], "B": [100.0, 90.0], "SPY": [1.0, 2.0]}, index=days(2)
    )
    universe = tiny_universe()
    assert leg_series(closes, universe, "A").tolist() == [100.0, 110.0]
    assert leg_series(closes, universe, "basket:ab").tolist() == pytest.approx([100.0, 100.0])
    assert leg_series(closes, universe, "QQQ").isna().all()
    with pytest.raises(KeyError):
        leg_series(closes, universe, "basket:nope")


def test_legs_frame_has_one_column_per_distinct_leg_in_order() -> None:
    closes = pd.DataFrame({"A": [100.0, 110.0], "B": [100.0, 90.0]}, index=days(2))
    frame = legs_frame(closes, tiny_universe(), ["basket:ab", "A", "QQQ", "A"])
    assert list(frame.columns) == ["basket:ab", "A", "QQQ"]
    assert frame["QQQ"].isna().all()
    assert frame["A"].tolist() == [100.0, 110.0]


# --- spread and ratio -------------------------------------------------------------------------


def test_spread_is_lead_minus_lag_in_points() -> None:
    lead = np.array([2.0, -1.0, NAN])
    lag = np.array([0.5, 1.0, 3.0])
    result = spread(lead, lag)
    assert result[:2].tolist() == [1.5, -2.0]
    assert math.isnan(result[2])


def test_spread_of_a_pair_with_itself_is_zero() -> None:
    returns = np.array([3.2, -7.1, 0.0, 12.5])
    assert spread(returns, returns).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_ratio_vs_average_by_hand() -> None:
    index = days(4)
    lead = pd.Series([2.0, 2.0, 2.0, 8.0], index=index)
    lag = pd.Series([2.0, 2.0, 2.0, 2.0], index=index)
    # R = 1, 1, 1, 4. Mean of the last 4 = 1.75 -> 100 * (4 / 1.75 - 1); of the last 3 = 2 -> 100.
    assert ratio_vs_average(lead, lag, index[-1], window=4) == pytest.approx(100 * (4 / 1.75 - 1))
    assert ratio_vs_average(lead, lag, index[-1], window=3) == pytest.approx(100.0)
    assert ratio_vs_average(lead, lag, index[2], window=3) == pytest.approx(0.0)


def test_ratio_vs_average_skips_sessions_where_a_leg_is_missing() -> None:
    index = days(5)
    lead = pd.Series([1.0, 1.0, NAN, 1.0, 3.0], index=index)
    lag = pd.Series(1.0, index=index)
    # R over sessions with both legs: 1, 1, 1, 3 -> last three 1, 1, 3: mean 5/3.
    assert ratio_vs_average(lead, lag, index[-1], window=3) == pytest.approx(
        100 * (3 / (5 / 3) - 1)
    )


def test_ratio_vs_average_is_none_without_todays_ratio_or_enough_history() -> None:
    index = days(5)
    lead = pd.Series([1.0, 1.0, 1.0, 1.0, NAN], index=index)
    lag = pd.Series(1.0, index=index)
    assert ratio_vs_average(lead, lag, index[-1], window=3) is None
    assert ratio_vs_average(lead, lag, index[3], window=5) is None
    assert ratio_vs_average(lead, lag, index[3], window=4) == 0.0


def test_ratio_of_a_series_with_itself_never_trends() -> None:
    rng = np.random.default_rng(3)
    index = days(300)
    prices = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300))), index=index)
    for as_of in index[49::25]:
        assert ratio_vs_average(prices, prices, as_of) == 0.0


# --- rotation lines ---------------------------------------------------------------------------


def test_sector_pairs_measure_each_sector_against_the_benchmark() -> None:
    universe = load_universe()
    pairs = sector_pairs(universe, "sectors")
    assert len(pairs) == 11
    assert pairs[0] == PairSpec(name="XLK vs SPY", lead="XLK", lag="SPY")
    assert all(pair.lag == "SPY" for pair in pairs)
    assert sector_pairs(universe, "no-such-group") == ()


def test_rotation_line_spreads_ratio_and_names_by_hand() -> None:
    index = days(4, start="2025-03-24")  # Mon 24 .. Thu 27 Mar
    legs = pd.DataFrame(
        {"A": [10.0, 10.0, 10.0, 11.0], "SPY": [20.0, 20.0, 21.0, 21.0]}, index=index
    )
    pair = PairSpec(name="Alpha vs S&P", lead="A", lag="SPY")
    (line,) = rotation_lines(legs, [pair], index[-1], {"A": "Alpha"}, ratio_window=4)
    assert (line.name, line.lead_name, line.lag_name) == ("Alpha vs S&P", "Alpha", "SPY")
    # 1D: A +10 %, SPY 0 %. 1W: base before the data -> None.
    assert line.spread["1D"] == pytest.approx(10.0)
    assert line.spread["1W"] is None
    assert list(line.spread) == list(WINDOWS)
    # R = 0.5, 0.5, 10/21, 11/21.
    ratios = [0.5, 0.5, 10 / 21, 11 / 21]
    assert line.ratio_vs_50d == pytest.approx(100 * (ratios[-1] / np.mean(ratios) - 1))
    assert line.trend == "up"
    assert line.rrg is None  # four days are far from the 27 weeks a point needs
    # Both legs' own returns ride along: A +10 % on the day, SPY flat.
    assert line.lead_returns["1D"] == pytest.approx(10.0)
    assert line.lag_returns["1D"] == pytest.approx(0.0)


def test_rotation_line_has_a_quadrant_once_history_is_long_enough() -> None:
    index = pd.bdate_range("2025-01-06", "2025-03-28")  # twelve full weeks
    legs = pd.DataFrame(
        {"A": np.linspace(100, 130, len(index)), "SPY": np.full(len(index), 100.0)}, index=index
    )
    pair = PairSpec(name="A vs SPY", lead="A", lag="SPY")
    (line,) = rotation_lines(legs, [pair], index[-1], {}, rrg_weeks=4)
    assert line.rrg is not None
    assert line.rrg.rs_ratio > 100  # rising relative strength is above its average
    (short,) = rotation_lines(legs, [pair], index[-1], {})  # 2 * 14 - 1 = 27 weeks needed
    assert short.rrg is None


def test_rotation_lines_reject_legs_that_are_not_columns() -> None:
    legs = pd.DataFrame({"A": [1.0, 2.0]}, index=days(2))
    with pytest.raises(KeyError, match="SPY"):
        rotation_lines(legs, [PairSpec(name="x", lead="A", lag="SPY")], days(2)[-1], {})

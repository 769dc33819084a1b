"""Leaderboards, record and 52-week closing highs, and streaks, on hand-made closes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.leaders import highs_52w, leaderboard, record_highs, streaks
from briefings.analytics.leaders import SectorRow

NAN = float("nan")
FIVE = pd.bdate_range("2025-06-02", periods=5)  # Mon 2 .. Fri 6 Jun 2025


def test_leaderboard_best_to_worst_without_missing_returns() -> None:
    table = pd.DataFrame(
        {"MTD": [2.0, NAN, 5.0, 2.0], "1D": [0.1, 0.2, 0.3, 0.4]},
        index=["XLK", "XLV", "XLF", "XLE"],
    )
    rows = leaderboard(table, ["XLK", "XLV", "XLF", "XLE", "XLU"], "MTD", {"XLK": "Technology"})
    assert rows == (
        SectorRow("XLF", "XLF", 5.0),
        SectorRow("XLK", "Technology", 2.0),  # ties keep the given order
        SectorRow("XLE", "XLE", 2.0),
    )


def test_leaderboard_only_ranks_the_tickers_asked_for() -> None:
    table = pd.DataFrame({"1D": [3.0, -1.0, 9.0]}, index=["A", "B", "C"])
    assert [row.ticker for row in leaderboard(table, ["B", "A"], "1D", {})] == ["A", "B"]


def closes_for_highs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "RECORD": [1.0, 2.0, 3.0, 2.0, 4.0],
            "FALLING": [5.0, 4.0, 3.0, 2.0, 1.0],
            "EQUAL": [1.0, 2.0, 4.0, 3.0, 4.0],
            "NEW": [NAN, NAN, NAN, 1.0, 2.0],
            "STALE": [1.0, 2.0, 3.0, 4.0, NAN],
            "RECENT": [10.0, 1.0, 2.0, 3.0, 3.5],
        },
        index=FIVE,
    )


def test_record_highs_on_the_last_day_need_enough_history() -> None:
    # NEW has two closes (< 3); STALE has no close on the session; RECENT is below its 10.
    assert record_highs(closes_for_highs(), date(2025, 6, 6), min_history=3) == [
        "RECORD",
        "EQUAL",
    ]


def test_record_highs_on_an_earlier_session() -> None:
    highs = record_highs(closes_for_highs(), date(2025, 6, 4), min_history=3)
    assert highs == ["RECORD", "EQUAL", "STALE"]
    assert record_highs(closes_for_highs(), date(2025, 6, 4), min_history=4) == []


def test_record_highs_with_the_default_year_of_history() -> None:
    index = pd.bdate_range("2024-01-01", periods=260)
    closes = pd.DataFrame(
        {"UP": np.arange(1.0, 261.0), "YOUNG": [NAN] * 100 + list(np.arange(1.0, 161.0))},
        index=index,
    )
    assert record_highs(closes, index[-1]) == ["UP"]


def test_52_week_highs_look_at_the_trailing_window_only() -> None:
    highs = highs_52w(closes_for_highs(), date(2025, 6, 6), sessions=3)
    # RECENT's 3.5 tops its last three closes (2, 3, 3.5) though not its 10 of Monday.
    assert highs == ["RECORD", "EQUAL", "RECENT"]


def test_streaks_count_consecutive_moves_ending_on_the_session() -> None:
    closes = pd.DataFrame(
        {
            "UP3": [5.0, 4.0, 5.0, 6.0, 7.0],
            "DOWN2": [1.0, 2.0, 3.0, 2.0, 1.0],
            "FLAT": [1.0, 2.0, 3.0, 3.0, 3.0],
            "STALE": [1.0, 2.0, 3.0, 4.0, NAN],
            "GAP": [1.0, 2.0, NAN, 3.0, 4.0],
        },
        index=FIVE,
    )
    result = streaks(closes, date(2025, 6, 6))
    assert result.to_dict() == {"UP3": 3, "DOWN2": -2, "FLAT": 0, "STALE": 0, "GAP": 1}
    assert streaks(closes, date(2025, 6, 4)).to_dict() == {
        "UP3": 1,
        "DOWN2": 2,
        "FLAT": 2,
        "STALE": 2,
        "GAP": 0,
    }


def test_a_long_streak_is_counted_to_its_start() -> None:
    index = pd.bdate_range("2025-01-01", periods=150)
    closes = pd.DataFrame(
        {"LONG": list(range(50, 0, -1)) + list(range(2, 102)), "SHORT": 5.0}, index=index
    ).astype(float)
    assert streaks(closes, index[-1]).to_dict() == {"LONG": 100, "SHORT": 0}


def test_streaks_with_a_single_session_are_zero() -> None:
    closes = pd.DataFrame({"A": [1.0]}, index=FIVE[:1])
    assert streaks(closes, FIVE[0]).tolist() == [0]


@pytest.mark.parametrize("as_of", [date(2025, 6, 6), date(2025, 6, 7)])
def test_streaks_are_integers(as_of: date) -> None:
    assert streaks(closes_for_highs(), as_of).dtype == np.int64

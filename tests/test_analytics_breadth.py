"""Breadth: members above their moving averages, and who has enough history to count."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.breadth import breadth
from briefings.analytics.breadth import Breadth

NAN = float("nan")
FIVE = pd.bdate_range("2025-06-02", periods=5)  # Mon 2 .. Fri 6 Jun 2025


def five_sessions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "A": [1.0, 2.0, 3.0, 4.0, 5.0],  # SMA2 4.5, SMA4 3.5: above both
            "B": [5.0, 4.0, 3.0, 2.0, 1.0],  # below both
            "C": [3.0, 3.0, 3.0, 1.0, 4.0],  # SMA2 2.5, SMA4 2.75: above both
            "D": [NAN, NAN, NAN, 2.0, 3.0],  # spans the 2-session window only: above SMA2 2.5
            "F": [1.0, 2.0, 3.0, 4.0, NAN],  # no close on the session
            "FLAT": [2.0, 2.0, 2.0, 2.0, 2.0],  # equal to its average is not above
            "GAP": [1.0, NAN, 3.0, 4.0, 5.0],  # SMA4 of 3, 4, 5 = 4: above
        },
        index=FIVE,
    )


def small_breadth(members: list[str], as_of: date) -> Breadth:
    """Return breadth on the five sessions with 2- and 4-session averages."""
    return breadth(
        five_sessions(), members, as_of, key="k", title="T", short_sessions=2, long_sessions=4
    )


def test_two_of_three_members_above_their_averages() -> None:
    result = small_breadth(["A", "B", "C"], date(2025, 6, 6))
    assert result == Breadth(
        key="k", title="T", members=3, above_50=2, above_200=2, counted_50=3, counted_200=3
    )
    assert result.pct_above_200 == 100 * 2 / 3


def test_members_without_enough_history_or_a_close_are_not_counted() -> None:
    result = small_breadth(["A", "B", "C", "D", "ABSENT", "F"], date(2025, 6, 6))
    assert (result.members, result.counted_50, result.above_50) == (6, 4, 3)
    assert (result.counted_200, result.above_200) == (3, 2)


def test_a_close_equal_to_its_average_is_not_above_and_gaps_are_skipped() -> None:
    result = small_breadth(["FLAT", "GAP"], date(2025, 6, 6))
    assert (result.counted_200, result.above_200) == (2, 1)


def test_history_shorter_than_the_window_counts_nobody() -> None:
    result = small_breadth(["A", "B"], date(2025, 6, 4))
    assert (result.counted_200, result.above_200, result.pct_above_200) == (0, 0, None)
    assert (result.counted_50, result.above_50) == (2, 1)


def test_default_50_and_200_session_averages() -> None:
    index = pd.bdate_range("2025-01-01", periods=250)
    trend = np.linspace(100.0, 150.0, 250)
    closes = pd.DataFrame({"UP": trend, "ALSO_UP": trend * 2, "DOWN": trend[::-1]}, index=index)
    result = breadth(closes, ["UP", "ALSO_UP", "DOWN"], index[-1], key="k", title="T")
    assert (result.above_50, result.counted_50, result.above_200, result.counted_200) == (
        2,
        3,
        2,
        3,
    )
    assert breadth(closes, ["UP"], index[198], key="k", title="T").counted_200 == 0
    assert breadth(closes, ["UP"], index[199], key="k", title="T").counted_200 == 1

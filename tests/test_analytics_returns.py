"""Trailing returns, window base dates, returns since a date and recent lows, by hand."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.returns import (
    base_rows,
    finite_or_none,
    recent_low,
    returns_since,
    trailing_returns,
    window_base_date,
)
from briefings.windows import WINDOWS

NAN = float("nan")

# Six sessions across a month end: Wed 29 Jan .. Wed 5 Feb 2025 (1-2 Feb is a weekend).
SIX_SESSIONS = pd.DatetimeIndex(
    ["2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04", "2025-02-05"]
)


def six_session_frame() -> pd.DataFrame:
    """Return SPY with a close every session and GAP with no close on the month's last session."""
    return pd.DataFrame(
        {
            "SPY": [100.0, 101.0, 104.0, 100.0, 102.0, 106.0],
            "GAP": [50.0, 51.0, NAN, 52.0, 53.0, 54.0],
        },
        index=SIX_SESSIONS,
    )


def sessions(start: str, end: str, holidays: tuple[str, ...] = ()) -> pd.DatetimeIndex:
    """Return the weekdays from start to end, without the given holidays."""
    days = pd.bdate_range(start, end)
    return days.drop(pd.DatetimeIndex(list(holidays))) if holidays else days


# --- window base dates ------------------------------------------------------------------------


def test_one_day_base_is_the_previous_session_across_a_weekend() -> None:
    assert window_base_date(SIX_SESSIONS, date(2025, 2, 3), "1D") == pd.Timestamp("2025-01-31")


def test_one_day_base_of_the_first_session_is_none() -> None:
    assert window_base_date(SIX_SESSIONS, date(2025, 1, 29), "1D") is None


@pytest.mark.parametrize("as_of", [date(2025, 2, 3), date(2025, 2, 5)])
def test_month_to_date_base_is_the_last_session_of_the_previous_month(as_of: date) -> None:
    assert window_base_date(SIX_SESSIONS, as_of, "MTD") == pd.Timestamp("2025-01-31")


def test_month_to_date_base_when_the_month_ends_on_a_weekend() -> None:
    index = sessions("2025-05-26", "2025-06-04", holidays=("2025-05-26",))
    # 31 May 2025 was a Saturday: the last close of May is Friday 30 May.
    assert window_base_date(index, date(2025, 6, 4), "MTD") == pd.Timestamp("2025-05-30")


def test_year_to_date_base_is_the_last_session_of_the_previous_year() -> None:
    index = sessions("2024-12-27", "2025-01-03", holidays=("2025-01-01",))
    assert window_base_date(index, date(2025, 1, 2), "YTD") == pd.Timestamp("2024-12-31")
    assert window_base_date(index, date(2024, 12, 31), "YTD") is None


def test_one_week_base_falls_back_over_a_holiday() -> None:
    index = sessions("2025-06-30", "2025-07-11", holidays=("2025-07-04",))
    # Fri 11 Jul - 7 days = Fri 4 Jul, Independence Day: the close of Thu 3 Jul.
    assert window_base_date(index, date(2025, 7, 11), "1W") == pd.Timestamp("2025-07-03")


def test_one_month_base_clips_to_the_end_of_a_shorter_month() -> None:
    index = sessions("2025-02-20", "2025-03-31")
    assert window_base_date(index, date(2025, 3, 31), "1M") == pd.Timestamp("2025-02-28")


def test_three_month_base_clips_and_falls_back_to_a_session() -> None:
    index = sessions("2025-02-20", "2025-05-30")
    # 30 May - 3 months = 28 Feb (clipped from 30 Feb), a Friday session.
    assert window_base_date(index, date(2025, 5, 30), "3M") == pd.Timestamp("2025-02-28")


def test_one_year_base_from_a_leap_day() -> None:
    index = sessions("2023-02-20", "2024-02-29")
    assert window_base_date(index, date(2024, 2, 29), "1Y") == pd.Timestamp("2023-02-28")


def test_base_is_none_when_history_does_not_reach_back() -> None:
    index = sessions("2025-01-02", "2025-06-30")
    assert window_base_date(index, date(2025, 6, 30), "1Y") is None
    assert window_base_date(index, date(2025, 6, 30), "3M") == pd.Timestamp("2025-03-28")


def test_unknown_window_raises() -> None:
    with pytest.raises(ValueError, match="unknown window"):
        window_base_date(SIX_SESSIONS, date(2025, 2, 5), "2Y")


# --- trailing returns -------------------------------------------------------------------------


def test_trailing_returns_of_the_six_session_series_by_hand() -> None:
    table = trailing_returns(six_session_frame(), date(2025, 2, 5))
    assert list(table.columns) == list(WINDOWS)
    spy = table.to_dict(orient="index")["SPY"]
    assert spy["1D"] == pytest.approx(100 * (106 / 102 - 1))  # 3.9216 %
    assert spy["MTD"] == pytest.approx(100 * (106 / 104 - 1))  # 1.9231 %
    assert spy["1W"] == pytest.approx(6.0)  # 29 Jan close 100
    for window in ("1M", "3M", "YTD", "1Y"):
        assert math.isnan(float(spy[window])), window


def test_a_ticker_missing_on_the_base_session_has_no_return_for_that_window() -> None:
    table = trailing_returns(six_session_frame(), date(2025, 2, 5))
    gap = table.to_dict(orient="index")["GAP"]
    # No close on 31 Jan: the 30 Jan close is not used in its place.
    assert math.isnan(float(gap["MTD"]))
    assert gap["1D"] == pytest.approx(100 * (54 / 53 - 1))
    assert gap["1W"] == pytest.approx(8.0)


def test_a_ticker_missing_on_the_as_of_session_has_no_returns() -> None:
    table = trailing_returns(six_session_frame(), date(2025, 1, 31))
    assert table.loc["GAP"].isna().all()
    assert table.loc["SPY", "1D"] == pytest.approx(100 * (104 / 101 - 1))


def test_as_of_on_a_weekend_uses_the_last_session_before_it() -> None:
    frame = six_session_frame()
    saturday = trailing_returns(frame, date(2025, 2, 1))
    friday = trailing_returns(frame, date(2025, 1, 31))
    pd.testing.assert_frame_equal(saturday, friday)


def test_as_of_before_the_data_gives_all_nan() -> None:
    assert trailing_returns(six_session_frame(), date(2024, 12, 1)).isna().all().all()


def test_returns_are_invariant_to_scaling_a_price_series() -> None:
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2023-01-02", "2025-03-31")
    prices = pd.DataFrame(
        {"A": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index))))}, index=index
    )
    scaled = prices * 37.5
    pd.testing.assert_frame_equal(
        trailing_returns(prices, date(2025, 3, 31)), trailing_returns(scaled, date(2025, 3, 31))
    )


def test_a_constant_price_has_zero_returns_in_every_window_it_covers() -> None:
    index = pd.bdate_range("2023-01-02", "2025-03-31")
    flat = pd.DataFrame({"FLAT": 10.0}, index=index)
    assert (trailing_returns(flat, date(2025, 3, 31)) == 0.0).all().all()


# --- returns since a date, recent low ---------------------------------------------------------


def test_returns_since_a_weekend_date_uses_the_friday_close() -> None:
    since = returns_since(six_session_frame(), date(2025, 2, 1), date(2025, 2, 5))
    assert since["SPY"] == pytest.approx(100 * (106 / 104 - 1))
    assert math.isnan(since["GAP"])  # no close on Friday 31 Jan


def test_returns_since_the_as_of_session_is_zero() -> None:
    since = returns_since(six_session_frame(), date(2025, 2, 5), date(2025, 2, 5))
    assert since.tolist() == [0.0, 0.0]


def test_returns_since_before_the_data_is_nan() -> None:
    assert returns_since(six_session_frame(), date(2025, 1, 1), date(2025, 2, 5)).isna().all()


def test_recent_low_of_the_last_sessions() -> None:
    spy = six_session_frame()["SPY"]
    assert recent_low(spy, date(2025, 2, 5), 3) == (pd.Timestamp("2025-02-03"), 100.0)
    assert recent_low(spy, date(2025, 1, 31), 2) == (pd.Timestamp("2025-01-30"), 101.0)


def test_recent_low_tie_takes_the_earliest_date_and_skips_missing_closes() -> None:
    spy = six_session_frame()["SPY"]
    assert recent_low(spy, date(2025, 2, 5), 6) == (pd.Timestamp("2025-01-29"), 100.0)
    gap = six_session_frame()["GAP"]
    # The last three closes of GAP to 3 Feb skip the missing 31 Jan: 50, 51, 52.
    assert recent_low(gap, date(2025, 2, 3), 3) == (pd.Timestamp("2025-01-29"), 50.0)


def test_recent_low_without_data_raises() -> None:
    with pytest.raises(ValueError, match="no close"):
        recent_low(six_session_frame()["SPY"], date(2025, 1, 1), 5)


@pytest.mark.parametrize(("value", "expected"), [(1.5, 1.5), (NAN, None), (math.inf, None)])
def test_finite_or_none(value: float, expected: float | None) -> None:
    assert finite_or_none(value) == expected


def test_base_rows_are_kept_per_calendar_read_only_and_follow_the_dates() -> None:
    sessions = pd.bdate_range("2024-01-02", "2024-12-31")
    first = base_rows(sessions, "1M")
    again = base_rows(pd.DatetimeIndex(list(sessions)), "1M")  # equal dates, another object
    assert again is first
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 5  # a caller cannot spoil what the next one reads
    # Other dates are other calendars: one session fewer moves every base.
    shorter = base_rows(sessions[1:], "1M")
    np.testing.assert_array_equal(shorter, np.maximum(first[1:] - 1, -1))
    assert base_rows(sessions, "1W") is not first

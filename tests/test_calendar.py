"""The NYSE calendar: weekends, holidays, early closes, DST and the edges of its range."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefings.calendar import (
    CalendarRangeError,
    NotASessionError,
    calendar_bounds,
    is_session,
    last_completed_session,
    previous_session,
    session_close,
    sessions_in_range,
)

EASTERN_WINTER = timezone(timedelta(hours=-5))
THANKSGIVING_2025 = date(2025, 11, 27)
BLACK_FRIDAY_2025 = date(2025, 11, 28)  # closes at 13:00 New York time


def test_weekends_and_holidays_are_not_sessions() -> None:
    assert is_session(date(2025, 11, 26))
    assert not is_session(THANKSGIVING_2025)
    assert is_session(BLACK_FRIDAY_2025)
    assert not is_session(date(2025, 11, 29))  # Saturday
    assert not is_session(date(2025, 12, 25))
    assert not is_session(date(2026, 1, 1))


def test_sessions_in_range_skips_the_holiday_and_the_weekend() -> None:
    assert sessions_in_range(date(2025, 11, 24), date(2025, 11, 30)) == [
        date(2025, 11, 24),
        date(2025, 11, 25),
        date(2025, 11, 26),
        BLACK_FRIDAY_2025,
    ]
    assert sessions_in_range(date(2025, 11, 29), date(2025, 11, 30)) == []
    assert sessions_in_range(date(2025, 12, 5), date(2025, 12, 1)) == []


def test_previous_session_steps_over_weekends_and_holidays() -> None:
    assert previous_session(date(2025, 12, 1)) == BLACK_FRIDAY_2025  # Monday
    assert previous_session(BLACK_FRIDAY_2025) == date(2025, 11, 26)
    assert previous_session(THANKSGIVING_2025) == date(2025, 11, 26)
    assert previous_session(date(2025, 11, 30)) == BLACK_FRIDAY_2025  # Sunday


def test_session_close_respects_early_closes_and_daylight_saving() -> None:
    assert session_close(BLACK_FRIDAY_2025) == datetime(2025, 11, 28, 18, 0, tzinfo=UTC)
    assert session_close(date(2025, 7, 3)) == datetime(2025, 7, 3, 17, 0, tzinfo=UTC)
    assert session_close(date(2025, 3, 7)) == datetime(2025, 3, 7, 21, 0, tzinfo=UTC)  # EST
    assert session_close(date(2025, 3, 10)) == datetime(2025, 3, 10, 20, 0, tzinfo=UTC)  # EDT


def test_session_close_of_a_holiday_is_an_error() -> None:
    with pytest.raises(NotASessionError, match="2025-11-27"):
        session_close(THANKSGIVING_2025)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Before Black Friday's 13:00 ET early close the last completed session is Wednesday.
        (datetime(2025, 11, 28, 17, 59, tzinfo=UTC), date(2025, 11, 26)),
        (datetime(2025, 11, 28, 18, 0, tzinfo=UTC), BLACK_FRIDAY_2025),
        # Over the weekend and the following Monday morning it stays Friday.
        (datetime(2025, 11, 30, 12, 0, tzinfo=UTC), BLACK_FRIDAY_2025),
        (datetime(2025, 12, 1, 15, 59, tzinfo=EASTERN_WINTER), BLACK_FRIDAY_2025),
        (datetime(2025, 12, 1, 16, 0, tzinfo=EASTERN_WINTER), date(2025, 12, 1)),
        # Naive datetimes are UTC: 21:00 UTC is the regular close in winter.
        (datetime(2025, 12, 2, 20, 59), date(2025, 12, 1)),
        (datetime(2025, 12, 2, 21, 0), date(2025, 12, 2)),
    ],
)
def test_last_completed_session(now: datetime, expected: date) -> None:
    assert last_completed_session(now) == expected


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2001, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
    )
)
def test_last_completed_session_is_the_last_close_before_now(now: datetime) -> None:
    session = last_completed_session(now)
    assert is_session(session)
    assert session_close(session) <= now
    following = sessions_in_range(session + timedelta(days=1), session + timedelta(days=10))[0]
    assert session_close(following) > now


def test_dates_outside_the_calendar_raise_a_clear_error() -> None:
    first, last = calendar_bounds()
    assert first.year == 2000
    assert last > date.today()
    with pytest.raises(CalendarRangeError, match="outside"):
        is_session(date(1990, 1, 2))
    with pytest.raises(CalendarRangeError):
        sessions_in_range(date(1999, 12, 1), date(2000, 2, 1))
    with pytest.raises(CalendarRangeError):
        previous_session(first)
    with pytest.raises(CalendarRangeError):
        last_completed_session(datetime(1995, 6, 1, tzinfo=UTC))
    with pytest.raises(CalendarRangeError):
        last_completed_session(datetime(last.year + 5, 1, 1, tzinfo=UTC))
    assert issubclass(CalendarRangeError, ValueError)


CALENDAR_PROBE = """
import sys
if sys.argv[1] == "without-exchange-calendars":
    sys.modules["exchange_calendars"] = None  # importing it now fails
from datetime import date
from briefings.calendar import calendar_bounds, sessions_in_range
first, last = calendar_bounds()
print(first, last, len(sessions_in_range(date(2024, 1, 1), date(2024, 12, 31))))
"""


def test_the_session_table_is_cached_on_disk_for_later_processes(tmp_path: Path) -> None:
    env = {**os.environ, "MARKETBRIEF_CACHE_DIR": str(tmp_path / "cache")}

    def probe(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", CALENDAR_PROBE, mode],
            env=env,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )

    built = probe("normal")
    assert built.returncode == 0, built.stderr
    cached = list((tmp_path / "cache").glob("sessions-XNYS-*.npz"))
    assert len(cached) == 1
    # Named by the installed exchange_calendars, so an upgrade never reads an older table.
    assert f"-{metadata.version('exchange-calendars')}-" in cached[0].name
    # A second process answers the same without exchange_calendars: it read the cache.
    reused = probe("without-exchange-calendars")
    assert reused.returncode == 0, reused.stderr
    assert reused.stdout == built.stdout
    assert built.stdout.split()[-1] == "252"  # NYSE sessions in 2024
    # A damaged cache file is rebuilt, not trusted.
    cached[0].write_bytes(b"garbage")
    rebuilt = probe("normal")
    assert rebuilt.stdout == built.stdout
    assert cached[0].read_bytes()[:2] == b"PK"  # a fresh .npz (a zip archive)

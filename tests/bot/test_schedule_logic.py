"""When deliveries are due: NYSE session days in New York, the last completed session."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.store.chats import Schedule, Subscription
from bot.services.jobs import job_options, missed_deliveries, next_delivery, next_refresh_time, occurrences_before, session_due

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
EIGHT_NY = Schedule(time(8, 0), "America/New_York")
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def subscription(chat_id: int, schedule: Schedule, since: datetime = LONG_AGO) -> Subscription:
    return Subscription(
        chat_id=chat_id,
        chat_type="private",
        title=None,
        thread_id=None,
        schedule=schedule,
        active=True,
        subscribed_by=chat_id,
        subscribed_at=since,
        updated_at=since,
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Tuesday 08:00 New York: Monday's session.
        (datetime(2025, 11, 25, 8, 0, tzinfo=NY), date(2025, 11, 24)),
        # Tuesday 20:00 New York: Tuesday's own session has closed.
        (datetime(2025, 11, 25, 20, 0, tzinfo=NY), date(2025, 11, 25)),
        # Saturday and Thanksgiving are no session days in New York: nothing is sent.
        (datetime(2025, 11, 22, 8, 0, tzinfo=NY), None),
        (datetime(2025, 11, 27, 8, 0, tzinfo=NY), None),
        # The Friday after Thanksgiving carries Wednesday's session.
        (datetime(2025, 11, 28, 8, 0, tzinfo=NY), date(2025, 11, 26)),
        # Tokyo Tuesday 08:00 is Monday 18:00 in New York: Monday's session, just closed.
        (datetime(2025, 11, 25, 8, 0, tzinfo=TOKYO), date(2025, 11, 24)),
        # Tokyo Monday 08:00 is Sunday in New York.
        (datetime(2025, 11, 24, 8, 0, tzinfo=TOKYO), None),
    ],
)
def test_session_due(moment: datetime, expected: date | None) -> None:
    assert session_due(moment) == expected


def test_occurrences_latest_first_within_the_span() -> None:
    now = datetime(2025, 11, 25, 9, 0, tzinfo=NY)
    found = occurrences_before(EIGHT_NY, now, now - timedelta(hours=47))
    assert found == [
        datetime(2025, 11, 25, 8, 0, tzinfo=NY),
        datetime(2025, 11, 24, 8, 0, tzinfo=NY),
    ]


def test_missed_deliveries_within_the_window() -> None:
    now = datetime(2025, 11, 25, 10, 0, tzinfo=NY)
    chats = [subscription(1, EIGHT_NY), subscription(2, Schedule(time(9, 59), "America/New_York"))]
    assert missed_deliveries(chats, now, timedelta(hours=6)) == {date(2025, 11, 24): chats}
    # 08:00 was two hours ago: outside a one-hour window; 09:59 is inside it.
    assert missed_deliveries(chats, now, timedelta(hours=1)) == {date(2025, 11, 24): chats[1:]}


def test_a_chat_that_subscribed_after_the_time_is_not_caught_up() -> None:
    now = datetime(2025, 11, 25, 10, 0, tzinfo=NY)
    late = subscription(1, EIGHT_NY, since=datetime(2025, 11, 25, 9, 0, tzinfo=NY))
    assert missed_deliveries([late], now, timedelta(hours=6)) == {}


def test_catch_up_skips_days_off_back_to_the_last_session_day() -> None:
    saturday = datetime(2025, 11, 22, 10, 0, tzinfo=NY)
    chat = subscription(1, EIGHT_NY)
    # Saturday 08:00 sends nothing; Friday 08:00 (Thursday's session) is within 30 hours.
    assert missed_deliveries([chat], saturday, timedelta(hours=30)) == {date(2025, 11, 20): [chat]}
    assert missed_deliveries([chat], saturday, timedelta(hours=6)) == {}


def test_next_delivery_skips_weekends_and_holidays() -> None:
    friday = datetime(2025, 11, 21, 9, 0, tzinfo=NY)
    assert next_delivery(EIGHT_NY, friday) == datetime(2025, 11, 24, 8, 0, tzinfo=NY)
    wednesday = datetime(2025, 11, 26, 9, 0, tzinfo=NY)
    assert next_delivery(EIGHT_NY, wednesday) == datetime(2025, 11, 28, 8, 0, tzinfo=NY)


def test_refresh_follows_the_close_including_early_closes() -> None:
    delay = timedelta(minutes=20)
    morning = datetime(2025, 11, 26, 14, 0, tzinfo=UTC)
    assert next_refresh_time(morning, delay) == datetime(2025, 11, 26, 21, 20, tzinfo=UTC)
    # Thanksgiving is closed; Friday closes at 13:00 New York (18:00 UTC).
    thanksgiving = datetime(2025, 11, 27, 12, 0, tzinfo=UTC)
    assert next_refresh_time(thanksgiving, delay) == datetime(2025, 11, 28, 18, 20, tzinfo=UTC)


def test_job_options_allow_late_runs_and_coalesce() -> None:
    options = job_options(timedelta(hours=6))
    assert options == {"misfire_grace_time": 6 * 3600, "coalesce": True, "max_instances": 1}
    assert job_options(timedelta(0))["misfire_grace_time"] == 60

"""Alert settings, which alerts are pushed, and how a session's alerts become messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.alert_push import alert_parcels
from bot.store.chats import ChatStore, Purpose
from bot.store.database import Database
from bot.delivery.outbox import OutboxLog, alert_item, new_owner
from briefings.alerts import Alert, AlertKind, AlertValue, detect_alerts, worth_pushing
from briefings.build import build_briefing
from briefings.model import Briefing
from bot.desk.split import TELEGRAM_LIMIT
from bot.desk.alert_messages import alert_messages
from briefings.sources.demo import DemoSource
from briefings.universe import load_universe

SESSION = date(2025, 11, 21)
NOW = datetime(2025, 11, 20, 22, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path / "bot.sqlite3")


def alert(kind: AlertKind, **message: AlertValue) -> Alert:
    return Alert(
        key=f"{kind}:X",
        session=SESSION,
        previous_session=SESSION - timedelta(days=1),
        kind=kind,
        title=f"{kind} of X",
        before={},
        after={},
        message=message,
    )


def test_the_log_counts_only_acknowledged_or_refused_alerts_as_done(database: Database) -> None:
    log, owner = OutboxLog(database), new_owner()
    both = (alert_item("cross50:IWM/SPY"), alert_item("record:SPY"))
    spy = (alert_item("record:SPY"),)
    log.claim(1, SESSION, both, owner, NOW)
    log.begin_part(1, SESSION, both, 0, 1, NOW)
    assert log.done_alerts(1, SESSION) == set()  # in flight: a crash now resends this message
    log.part_sent(1, SESSION, both, 0, 1, NOW)
    assert log.done_alerts(1, SESSION) == {"cross50:IWM/SPY", "record:SPY"}
    assert log.done_alerts(1, SESSION + timedelta(days=1)) == set()
    assert log.done_alerts(2, SESSION) == set()
    log.fail(2, SESSION, spy, "forbidden", NOW)
    assert log.done_alerts(2, SESSION) == {"record:SPY"}
    assert log.counts(SESSION, alerts=True) == {"sent": 2, "failed": 1}
    # A migrated group keeps what it got; the supergroup's own rows win.
    for chat in (-100, -200):
        log.claim(chat, SESSION, spy, owner, NOW)
        log.part_sent(chat, SESSION, spy, 0, 1, NOW)
    log.migrate(-100, -200)
    assert log.done_alerts(-100, SESSION) == set()
    assert log.done_alerts(-200, SESSION) == {"record:SPY"}


def test_alerts_are_turned_on_and_off_per_chat(database: Database) -> None:
    chats = ChatStore(database)
    assert chats.alerts(5) is None
    first = chats.turn_alerts_on(
        5, chat_type="private", title="Ann", thread_id=None, changed_by=5, now=NOW
    )
    assert first.enabled
    assert first.enabled_at == NOW
    # Turning on again keeps the original start; off then on starts afresh.
    later = NOW + timedelta(hours=1)
    again = chats.turn_alerts_on(
        5, chat_type="private", title="Ann", thread_id=None, changed_by=5, now=later
    )
    assert again.enabled_at == NOW
    was = chats.turn_alerts_off(5, "turned off by user 5", later)
    assert was is not None
    assert was.enabled
    assert chats.turn_alerts_off(5, "again", later) is None
    assert chats.alert_chats() == []
    restarted = chats.turn_alerts_on(
        5, chat_type="private", title="Ann", thread_id=3, changed_by=5, now=later
    )
    assert restarted.enabled_at == later
    assert restarted.thread_id == 3
    chats.clear_thread(5, Purpose.ALERTS, later)
    assert [c.thread_id for c in chats.alert_chats()] == [None]
    chats.migrate(5, -1005, later)
    assert [(c.chat_id, c.chat_type) for c in chats.alert_chats()] == [(-1005, "supergroup")]
    assert chats.alert_count() == 1
    assert chats.subscription(-1005) is None  # alerts do not subscribe a chat


@pytest.mark.parametrize(
    ("candidate", "pushed"),
    [
        (alert("quadrant", scope="pair", to_quadrant="Leading"), True),
        (alert("quadrant", scope="pair", to_quadrant="Lagging"), True),
        (alert("quadrant", scope="pair", to_quadrant="Weakening"), False),
        (alert("quadrant", scope="pair", to_quadrant="Improving"), False),
        (alert("quadrant", scope="sector", to_quadrant="Leading"), False),
        (alert("cross50", direction="above"), True),
        (alert("breadth200", direction="below"), True),
        (alert("record", extends_run=False), True),
        (alert("record", extends_run=True), False),
    ],
)
def test_which_alerts_are_pushed(candidate: Alert, pushed: bool) -> None:
    assert worth_pushing(candidate) is pushed


@pytest.fixture(scope="module")
def demo_briefings() -> tuple[Briefing, Briefing]:
    universe = load_universe()
    closes = DemoSource().fetch(universe.tickers, date(2024, 1, 2), SESSION).closes

    def briefing(day: date) -> Briefing:
        return build_briefing(
            closes, universe, as_of=day, source="demo", simulated=True, data_version="v"
        )

    return briefing(SESSION - timedelta(days=1)), briefing(SESSION)


def test_a_sessions_alerts_fit_one_message(demo_briefings: tuple[Briefing, Briefing]) -> None:
    previous, current = demo_briefings
    alerts = [a for a in detect_alerts(previous, current) if worth_pushing(a)]
    # The sector's quadrant change and the record that extends a run are not pushed.
    assert [a.key for a in alerts] == ["cross50:RSP/SPY"]
    (message,) = alert_messages(current, alerts)
    assert message.keys == ("cross50:RSP/SPY",)
    assert "Regime changes" in message.text
    assert "RSP/SPY ratio crossed above its 50-day average" in message.text


def test_many_alerts_are_grouped_whole_under_the_limit(
    demo_briefings: tuple[Briefing, Briefing],
) -> None:
    previous, current = demo_briefings
    (template,) = [a for a in detect_alerts(previous, current) if a.kind == "cross50"]
    many = [replace(template, key=f"cross50:{i}") for i in range(60)]
    messages = alert_messages(current, many)
    assert len(messages) > 1
    assert all(len(m.text) <= TELEGRAM_LIMIT for m in messages)
    # Every alert is in exactly one message, in order.
    assert [key for m in messages for key in m.keys] == [a.key for a in many]
    assert all(m.text.count("crossed above its 50-day average") == len(m.keys) for m in messages)


def test_each_alert_message_is_a_parcel_of_its_keys(
    demo_briefings: tuple[Briefing, Briefing],
) -> None:
    previous, current = demo_briefings
    (template,) = [a for a in detect_alerts(previous, current) if a.kind == "cross50"]
    many = [replace(template, key=f"cross50:{i}") for i in range(60)]
    parcels = alert_parcels(current, many)
    assert len(parcels) == len(alert_messages(current, many))
    assert [item for p in parcels for item in p.items] == [alert_item(a.key) for a in many]

"""The outbox log: claims, parts, crash recovery and takeover of dead senders' claims."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.delivery.outbox import (
    BRIEFING,
    CLAIM_LEASE,
    OutboxLog,
    Status,
    alert_item,
    new_owner,
    retire_owner,
)
from bot.store.database import Database

SESSION = date(2025, 11, 20)
B = (BRIEFING,)
NOW = datetime(2025, 11, 21, 13, 0, tzinfo=UTC)


def open_log(path: Path) -> OutboxLog:
    return OutboxLog(Database(path / "bot.sqlite3"))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_fresh_delivery_is_claimed_from_part_zero(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    owner = new_owner()
    assert log.claim(1, SESSION, B, owner, NOW) == 0
    record = log.get(1, SESSION)
    assert record is not None
    assert record.status is Status.PENDING
    assert record.owner == owner
    assert record.attempts == 1


def test_parts_are_counted_and_the_last_one_completes(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    owner = new_owner()
    log.claim(1, SESSION, B, owner, NOW)
    log.begin_part(1, SESSION, B, 0, 2, NOW)
    assert log.get(1, SESSION).status is Status.SENDING  # type: ignore[union-attr]
    log.part_sent(1, SESSION, B, 0, 2, NOW)
    log.begin_part(1, SESSION, B, 1, 2, NOW)
    log.part_sent(1, SESSION, B, 1, 2, NOW)
    record = log.get(1, SESSION)
    assert record is not None
    assert (record.status, record.parts_sent, record.parts_total, record.owner) == (
        Status.SENT,
        2,
        2,
        None,
    )
    assert log.claim(1, SESSION, B, new_owner(), NOW) is None
    assert log.finished(SESSION) == {1}
    assert log.counts(SESSION) == {"sent": 1}


def test_a_restart_resumes_at_the_part_that_was_in_flight(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    crashed = new_owner()
    log.claim(1, SESSION, B, crashed, NOW)
    log.begin_part(1, SESSION, B, 0, 3, NOW)
    log.part_sent(1, SESSION, B, 0, 3, NOW)
    log.begin_part(1, SESSION, B, 1, 3, NOW)  # the process dies here
    retire_owner(crashed)
    reopened = open_log(tmp_path)
    assert reopened.claim(1, SESSION, B, new_owner(), NOW) == 1


def test_a_claim_told_the_part_count_marks_the_first_part_due_as_sending(
    tmp_path: Path,
) -> None:
    log = open_log(tmp_path)
    crashed = new_owner()
    assert log.claim(1, SESSION, B, crashed, NOW, parts=3) == 0
    record = log.get(1, SESSION)
    assert record is not None
    assert (record.status, record.parts_sent, record.parts_total) == (Status.SENDING, 0, 3)
    log.part_sent(1, SESSION, B, 0, 3, NOW)  # the process dies after the first part
    retire_owner(crashed)
    resumed = new_owner()
    assert log.claim(1, SESSION, B, resumed, NOW, parts=3) == 1
    record = log.get(1, SESSION)
    assert record is not None
    assert (record.status, record.parts_sent, record.attempts) == (Status.SENDING, 1, 2)
    # A briefing re-rendered shorter than the parts already sent: nothing is marked.
    log.part_sent(1, SESSION, B, 1, 3, NOW)
    retire_owner(resumed)
    assert log.claim(1, SESSION, B, new_owner(), NOW, parts=2) == 2
    assert log.get(1, SESSION).status is Status.PENDING  # type: ignore[union-attr]


def test_a_live_sender_keeps_its_claim(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    first, second = new_owner(), new_owner()
    log.claim(1, SESSION, B, first, NOW)
    assert log.claim(1, SESSION, B, second, NOW) is None
    retire_owner(first)
    assert log.claim(1, SESSION, B, second, NOW) == 0


def test_a_dead_process_claim_is_taken_over_at_once(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    dead = f"{socket.gethostname()}:{dead_pid()}:abc"
    log.claim(1, SESSION, B, dead, NOW)
    assert log.claim(1, SESSION, B, new_owner(), NOW + timedelta(seconds=1)) == 0


def test_another_host_claim_is_respected_until_its_lease_ends(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    remote = "elsewhere.example:123:abc"
    log.claim(1, SESSION, B, remote, NOW)
    assert log.claim(1, SESSION, B, new_owner(), NOW + CLAIM_LEASE / 2) is None
    assert log.claim(1, SESSION, B, new_owner(), NOW + CLAIM_LEASE * 2) == 0


def test_release_leaves_pending_and_fail_is_final(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    owner = new_owner()
    log.claim(1, SESSION, B, owner, NOW)
    log.release(1, SESSION, B, "Bad Gateway", NOW)
    record = log.get(1, SESSION)
    assert record is not None
    assert (record.status, record.last_error, record.owner) == (Status.PENDING, "Bad Gateway", None)
    assert log.claim(1, SESSION, B, owner, NOW) == 0
    log.fail(1, SESSION, B, "forbidden", NOW)
    assert log.claim(1, SESSION, B, owner, NOW) is None
    log.forget_failures(1)
    assert log.claim(1, SESSION, B, owner, NOW) == 0


def test_migrate_moves_the_rows_to_the_new_chat(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    owner = new_owner()
    log.claim(-5, SESSION, B, owner, NOW)
    log.migrate(-5, -1005)
    assert log.get(-5, SESSION) is None
    record = log.get(-1005, SESSION)
    assert record is not None
    assert record.owner == owner


def test_migrate_keeps_the_supergroup_row_where_both_exist(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    owner = new_owner()
    log.claim(-5, SESSION, B, owner, NOW)
    log.claim(-1005, SESSION, B, owner, NOW)
    log.begin_part(-1005, SESSION, B, 0, 1, NOW)
    log.part_sent(-1005, SESSION, B, 0, 1, NOW)
    log.migrate(-5, -1005)
    assert log.get(-5, SESSION) is None
    assert log.finished(SESSION) == {-1005}


def test_items_sent_together_are_claimed_counted_and_finished_together(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    owner = new_owner()
    items = (alert_item("cross50:IWM/SPY"), alert_item("record:SPY"))
    assert log.claim(1, SESSION, items, owner, NOW) == 0
    log.begin_part(1, SESSION, items, 0, 1, NOW)
    assert log.done_alerts(1, SESSION) == set()  # in flight: a crash now resends it
    log.part_sent(1, SESSION, items, 0, 1, NOW)
    assert log.done_alerts(1, SESSION) == {"cross50:IWM/SPY", "record:SPY"}
    assert log.claim(1, SESSION, items, owner, NOW) is None
    assert log.counts(SESSION, alerts=True) == {"sent": 2}
    assert log.counts(SESSION) == {}  # no briefing row
    log.fail(2, SESSION, items[1:], "forbidden", NOW)  # never claimed: still final
    assert log.done_alerts(2, SESSION) == {"record:SPY"}

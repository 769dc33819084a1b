"""Flood windows: hand-computed retry_after = ceil(oldest blocking send + window - now)."""

from __future__ import annotations

from localapi.flood import FloodGate, FloodLimits


def test_private_chat_allows_a_burst_then_asks_to_wait() -> None:
    gate = FloodGate(FloodLimits(per_chat_per_second=1.0, per_chat_burst=3))
    assert [gate.admit(1, True, now) for now in (0.0, 0.1, 0.2)] == [None, None, None]
    # The send at 0.0 leaves the 3 s window at 3.0: ceil(3.0 - 0.3) = 3.
    assert gate.admit(1, True, 0.3) == 3
    assert gate.admit(1, True, 3.0) is None
    # A refused send is not counted: the window now holds 0.1, 0.2, 3.0; 0.1 frees at 3.1.
    assert gate.admit(1, True, 3.05) == 1


def test_groups_get_twenty_messages_a_minute() -> None:
    gate = FloodGate(FloodLimits(per_group_per_minute=20))
    assert all(gate.admit(-100, False, float(second)) is None for second in range(20))
    # The first send (t=0) frees its slot at t=60: ceil(60 - 19.5) = 41.
    assert gate.admit(-100, False, 19.5) == 41
    assert gate.admit(-200, False, 19.5) is None


def test_global_limit_spans_chats() -> None:
    gate = FloodGate(FloodLimits(global_per_second=30))
    assert all(gate.admit(chat_id, True, 0.0) is None for chat_id in range(30))
    assert gate.admit(99, True, 0.5) == 1
    assert gate.admit(99, True, 1.0) is None


def test_retry_after_is_at_least_one_second() -> None:
    gate = FloodGate(FloodLimits(per_chat_per_second=10.0, per_chat_burst=1))
    assert gate.admit(1, True, 0.0) is None
    assert gate.admit(1, True, 0.01) == 1


def test_paid_broadcasts_skip_the_free_limit_up_to_the_paid_one() -> None:
    gate = FloodGate(FloodLimits(global_per_second=30, paid_per_second=100))
    assert all(gate.admit(chat_id, True, 0.0, paid=True) is None for chat_id in range(100))
    assert gate.admit(100, True, 0.5, paid=True) == 1
    # Paid sends do not use up the free limit, but every send counts against the paid one.
    assert gate.admit(101, True, 0.5) == 1
    assert gate.admit(102, True, 1.0) is None


def test_unflagged_sends_keep_the_free_limit_when_paid_ones_pass() -> None:
    gate = FloodGate(FloodLimits(global_per_second=30, paid_per_second=1000))
    assert all(gate.admit(chat_id, True, 0.0) is None for chat_id in range(30))
    assert gate.admit(30, True, 0.1) == 1
    assert gate.admit(30, True, 0.1, paid=True) is None


def test_paid_broadcasts_keep_the_per_chat_limit() -> None:
    gate = FloodGate(FloodLimits(per_chat_per_second=1.0, per_chat_burst=3))
    assert [gate.admit(1, True, t, paid=True) for t in (0.0, 0.1, 0.2)] == [None, None, None]
    assert gate.admit(1, True, 0.3, paid=True) == 3

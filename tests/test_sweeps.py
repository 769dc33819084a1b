"""The sweep runner: every session checked, failures collected and reported, none hidden."""

from __future__ import annotations

from datetime import date

import pytest

from tests.sweeps import replay
from tests.sweeps._runner import SweepResult, report, sweep

SESSIONS = [date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31)]


def test_a_sweep_goes_on_past_failures_and_names_each() -> None:
    seen = []

    def check(session: date) -> None:
        seen.append(session)
        if session.day == 29:
            raise AssertionError("stale: ['MDY', 'XLK']")
        if session.day == 31:
            raise KeyError("SPY")

    result = sweep(SESSIONS, check)

    assert seen == SESSIONS
    assert result.failures == (
        (date(2025, 12, 29), "AssertionError: stale: ['MDY', 'XLK']"),
        (date(2025, 12, 31), "KeyError: 'SPY'"),
    )
    assert report("replay", result).splitlines() == [
        "replay: 2025-12-29 failed: AssertionError: stale: ['MDY', 'XLK']",
        "replay: 2025-12-31 failed: KeyError: 'SPY'",
        "replay: checked 3 sessions (2025-12-29 .. 2025-12-31), 2 failures",
    ]


def test_a_clean_sweep_reports_zero_failures() -> None:
    result = sweep(SESSIONS, lambda session: None)
    assert result == SweepResult(tuple(SESSIONS), ())
    assert report("story", result) == (
        "story: checked 3 sessions (2025-12-29 .. 2025-12-31), 0 failures"
    )


def test_a_range_without_sessions_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert replay.run(["--from", "2025-12-27", "--to", "2025-12-28"]) == 2
    assert "no sessions from 2025-12-27 to 2025-12-28" in capsys.readouterr().err

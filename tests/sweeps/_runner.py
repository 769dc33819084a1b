"""Run one check over a range of real sessions; report how many were checked and which failed."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from briefings.calendar import sessions_in_range
from briefings.service import MarketService
from tests.real_data import MARKET_DATA, has_market_data, real_market_service

#: A check of one session: returns quietly, or raises with what was wrong.
Check = Callable[[date], None]


@dataclass(frozen=True)
class SweepResult:
    """The sessions a sweep checked and, for each that failed, what went wrong."""

    checked: tuple[date, ...]
    failures: tuple[tuple[date, str], ...]


def sweep(sessions: Sequence[date], check: Check) -> SweepResult:
    """Run ``check`` on every session, going on past failures, and collect them."""
    failures = []
    for session in sessions:
        try:
            check(session)
        except Exception as exc:  # a crash on a session is a failure of the sweep like any other
            failures.append((session, f"{type(exc).__name__}: {exc}".strip()))
    return SweepResult(tuple(sessions), tuple(failures))


def report(name: str, result: SweepResult) -> str:
    """Return the sweep's lines: each failure, then "checked N sessions, F failures"."""
    lines = [f"{name}: {session} failed: {reason}" for session, reason in result.failures]
    span = f" ({result.checked[0]} .. {result.checked[-1]})" if result.checked else ""
    lines.append(
        f"{name}: checked {len(result.checked)} sessions{span}, {len(result.failures)} failures"
    )
    return "\n".join(lines)


def main(
    name: str,
    argv: Sequence[str] | None,
    default_range: tuple[date, date],
    make_check: Callable[[MarketService], Check],
) -> int:
    """Sweep ``make_check(service)`` over the sessions asked for; return the exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m tests.sweeps.{name}")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=default_range[0])
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=default_range[1])
    options = parser.parse_args(argv)
    sessions = sessions_in_range(options.start, options.end)
    if not sessions:
        print(f"{name}: no sessions from {options.start} to {options.end}", file=sys.stderr)
        return 2
    if not has_market_data():
        print(f"{name}: skipped, real market data not found at {MARKET_DATA}")
        return 0
    with tempfile.TemporaryDirectory(prefix="marketbrief-sweep-") as workdir:
        service = real_market_service(Path(workdir) / "prices.sqlite3")
        result = sweep(sessions, make_check(service))
    print(report(name, result))
    return 1 if result.failures else 0

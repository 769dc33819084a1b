"""Benchmark: storing one new session of 519 tickers against writing the whole store from empty.

Run: uv run python tests/perf/store_append.py [--runs N] [--tickers N] [--years N]
Prints figures, asserts nothing. CPU time of ``PriceStore.write`` in this process (median of
``--runs``): a full write of ``--tickers`` x ``--years`` of daily closes into an empty file, then
one more session appended to a copy of that file. Target: the append at most 0.1x the full write.
A session is appended to each ticker's tail, which is folded into its years once it is full, so
the script also times a cycle of ``TAIL_LIMIT + 1`` sessions appended one at a time to the history
written without them: the last one (the fold) and their mean (what a session costs over time).
Run as a file (not ``-m``) so that ``PYTHONPATH=<another checkout>`` times that checkout's store.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

import briefings.store
from briefings.store import PriceStore

#: Sessions a tail holds before a write folds it into the years (0: a store without tails).
TAIL_LIMIT = int(getattr(briefings.store, "TAIL_LIMIT", 0))


def closes(tickers: int, years: int) -> pd.DataFrame:
    """Return a random walk of ``tickers`` columns over ``years`` of weekdays to 2026-12-04."""
    days = pd.bdate_range(end="2026-12-04", periods=252 * years, name="date")
    steps = np.random.default_rng(7).normal(0, 0.01, (len(days), tickers))
    names = [f"T{i:03d}" for i in range(tickers)]
    return pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=days, columns=names)


def cpu(action: object) -> float:
    """Return the CPU seconds ``action()`` takes."""
    start = time.process_time()
    action()  # type: ignore[operator]
    return time.process_time() - start


def cycle_of_appends(path: Path, frame: pd.DataFrame) -> list[float]:
    """Return the CPU seconds of each of the last ``TAIL_LIMIT + 1`` sessions, appended singly."""
    sessions = TAIL_LIMIT + 1
    store = PriceStore(path)
    store.write("bench", frame.iloc[:-sessions])
    times = [
        cpu(lambda day=day: store.write("bench", frame.iloc[day : day + 1]))
        for day in range(len(frame) - sessions, len(frame))
    ]
    store.close()
    return times


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tickers", type=int, default=519)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    frame = closes(args.tickers, args.years)
    history, session = frame.iloc[:-1], frame.iloc[-1:]
    full_times, append_times, fold_times, cycle_times = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="marketbrief-append-") as root:
        for run in range(args.runs):
            path = Path(root) / f"full-{run}.sqlite3"
            store = PriceStore(path)
            full_times.append(cpu(lambda store=store: store.write("bench", history)))
            store.close()
            copy = Path(root) / f"append-{run}.sqlite3"
            shutil.copy(path, copy)
            store = PriceStore(copy)
            append_times.append(cpu(lambda store=store: store.write("bench", session)))
            store.close()
            cycle = cycle_of_appends(Path(root) / f"cycle-{run}.sqlite3", frame)
            fold_times.append(cycle[-1])
            cycle_times.append(statistics.mean(cycle))
    full, append = statistics.median(full_times), statistics.median(append_times)
    fold, mean = statistics.median(fold_times), statistics.median(cycle_times)
    print(
        f"{datetime.now(UTC):%Y-%m-%d}: {args.tickers} tickers x {args.years} years,"
        f" median of {args.runs}"
    )
    print(f"full write from empty   {full * 1000:7.1f} ms CPU")
    print(f"append one session      {append * 1000:7.1f} ms CPU")
    print(f"append / full write     {append / full:7.3f}x (target ≤ 0.1x)")
    print(f"append folding tails    {fold * 1000:7.1f} ms CPU (one session in {TAIL_LIMIT + 1})")
    print(
        f"mean of those {TAIL_LIMIT + 1:2d}        {mean * 1000:7.1f} ms CPU = {mean / full:.3f}x"
    )


if __name__ == "__main__":
    main()

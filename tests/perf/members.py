"""Benchmark: briefings with index members, and the refresh that stores them.

Run: uv run python -m tests.perf.members
Prints figures, asserts nothing: machines are noisy, so compare the ratios within one run.
Targets: a briefing with 500 members from a warm store under 100 ms; 3,000 members x 10 years
under 1 s and under 1 GiB peak memory; close to linear from 500 to 3,000 members; the refresh
write of 500 members x 10 years under 2 s.

"From a warm store" means the store already holds the closes (a refresh ran earlier) and a new
service builds its first briefing: store load, the members' matrix, every figure, the briefing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from briefings.members.model import Holdings, Member
from briefings.service import MarketService
from briefings.sources.base import FetchResult
from briefings.members.holdings import GICS_SECTORS
from briefings.store import PriceStore
from briefings.universe import IndexSpec, Universe, load_universe

SESSIONS_10Y = 2520
END = date(2025, 12, 31)
CLOCK = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)


class FrameSource:
    """A source serving a prepared frame of closes instantly (the network is not measured)."""

    def __init__(self, closes: pd.DataFrame) -> None:
        self.closes = closes

    @property
    def name(self) -> str:
        return "synthetic"

    @property
    def simulated(self) -> bool:
        return True

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        wanted = [t for t in tickers if t in self.closes.columns]
        frame = self.closes.loc[pd.Timestamp(start or date.min) : pd.Timestamp(end), wanted]
        return FetchResult(closes=frame)


def synthetic_closes(tickers: list[str], sessions: int, seed: int = 1) -> pd.DataFrame:
    """Return random-walk closes for ``tickers`` over the NYSE-like weekdays ending END."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(end=END, periods=sessions, name="date")
    returns = rng.normal(0.0003, 0.015, size=(sessions, len(tickers)))
    return pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), index=index, columns=tickers)


def synthetic_holdings(count: int) -> Holdings:
    """Return ``count`` members over the 11 sectors, weights falling with rank (w_k ~ 1/k)."""
    raw = 1.0 / np.arange(1, count + 1)
    weights = 100 * raw / raw.sum()
    members = tuple(
        Member(f"M{k:04d}", f"Member {k}", GICS_SECTORS[k % len(GICS_SECTORS)], float(w))
        for k, w in enumerate(weights)
    )
    return Holdings("bench", members, date(2025, 6, 30), "synthetic holdings", simulated=True)


def members_universe(base: Universe) -> Universe:
    spec = IndexSpec("bench", "Bench index", 1, {"synthetic": "bench"}, top_n=50)
    return replace(base, indexes=(spec,))


def peak_of(action: Callable[[], object]) -> tuple[float, int]:
    """Return (seconds, peak traced bytes) of one run of ``action``."""
    tracemalloc.start()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak


def bench_count(workdir: Path, count: int, sessions: int, repeat: int) -> dict[str, float]:
    """Refresh ``count`` members x ``sessions`` into a new store, then time briefings from it."""
    universe = members_universe(load_universe())
    holdings = synthetic_holdings(count)
    closes = synthetic_closes([*universe.tickers, *holdings.tickers], sessions)
    path = workdir / f"members-{count}-{sessions}.sqlite3"

    def new_service() -> MarketService:
        return MarketService(
            FrameSource(closes),
            PriceStore(path),
            universe,
            clock=lambda: CLOCK,
            holdings_fetcher=lambda source, index: holdings,
        )

    start = time.perf_counter()
    report = new_service().refresh()
    refresh_s = time.perf_counter() - start
    assert report.error is None, report.error

    cold = []
    for _ in range(repeat):
        service = new_service()
        start = time.perf_counter()
        service.snapshot(as_of=END)
        cold.append(time.perf_counter() - start)
    service = new_service()
    seconds, peak = peak_of(lambda: service.snapshot(as_of=END))
    start = time.perf_counter()
    service.snapshot(as_of=date(2025, 12, 1))  # another session: members' figures only
    other_session = time.perf_counter() - start
    return {
        "refresh": refresh_s,
        "briefing": statistics.median(cold),
        "peak": peak,
        "other_session": other_session,
        "traced_s": seconds,
    }


def bench_write(workdir: Path, count: int = 500, sessions: int = SESSIONS_10Y) -> float:
    """Return the seconds a refresh takes to store ``count`` members x ``sessions`` (no network)."""
    universe = members_universe(load_universe())
    holdings = synthetic_holdings(count)
    closes = synthetic_closes([*universe.tickers, *holdings.tickers], sessions, seed=2)
    service = MarketService(
        FrameSource(closes),
        PriceStore(workdir / "write.sqlite3"),
        universe,
        clock=lambda: CLOCK,
        holdings_fetcher=lambda source, index: holdings,
    )
    start = time.perf_counter()
    service.refresh()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> dict[int, dict[str, float]]:
    """Run the benchmarks and print their figures; return them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[500, 3000])
    parser.add_argument("--sessions", type=int, default=SESSIONS_10Y)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for count in args.counts:
            figures = bench_count(workdir, count, args.sessions, args.repeat)
            results[count] = figures
            target = " target < 100 ms" if count == 500 else ""
            if count >= 3000:
                target = " target < 1000 ms, < 1 GiB"
            print(
                f"{count:5d} members x {args.sessions} sessions: briefing from a warm store"
                f" {figures['briefing'] * 1e3:7.1f} ms, peak traced"
                f" {figures['peak'] / 2**20:6.1f} MiB;{target}"
            )
            print(
                f"        another session (members' figures only)"
                f" {figures['other_session'] * 1e3:7.1f} ms; refresh {figures['refresh']:5.2f} s"
            )
        # After the briefings, so one-time start-up (the calendar, imports) is not counted here.
        write_s = bench_write(workdir, sessions=args.sessions)
        print(f"refresh write, 500 members x {args.sessions} sessions: {write_s:6.2f} s"
              "   target < 2 s")  # fmt: skip
        results[0] = {"write": write_s}
    if len(results) >= 3:
        small, large = min(c for c in results if c), max(results)
        ratio = results[large]["briefing"] / results[small]["briefing"]
        print(
            f"growth {small} -> {large} members: x{ratio:.2f} time for x{large / small:.0f}"
            f" members (per-member cost x{ratio / (large / small):.2f})"
        )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS over the whole run: {peak_rss:.0f} MiB")
    return results


if __name__ == "__main__":
    main()

"""Benchmark: time to build a briefing from the price store.

Run: uv run python -m tests.perf.analytics
Prints figures, asserts nothing: machines are noisy, so compare the ratios within one run.
Targets: the default universe in under 50 ms from a warm store; 500 tickers x 10 years under 1 s;
near-linear growth from 50 to 500 tickers.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from briefings.build import build_briefing
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import Group, Universe, load_universe

SESSIONS_10Y = 2520


def timed(action: Callable[[], object], repeat: int = 5) -> float:
    """Return the median wall time of ``action`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_closes(tickers: list[str], sessions: int, seed: int = 1) -> pd.DataFrame:
    """Return random-walk closes for ``tickers`` over ``sessions`` business days."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(end="2025-12-31", periods=sessions, name="date")
    returns = rng.normal(0.0003, 0.012, size=(sessions, len(tickers)))
    return pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), index=index, columns=tickers)


def synthetic_universe(base: Universe, extra: list[str]) -> Universe:
    """Return the default universe plus one breadth basket of ``extra`` tickers."""
    group = Group(key="synthetic", title="Synthetic", members=tuple(extra))
    return replace(
        base,
        groups=(*base.groups, group),
        names={**base.names, **{t: t for t in extra}},
        breadth_baskets=(*base.breadth_baskets, "synthetic"),
    )


def bench_default(workdir: Path) -> None:
    """Time the default universe on the demo market: store load, build, and a warm service."""
    universe = load_universe()
    store = PriceStore(workdir / "default.sqlite3")
    end = date(2025, 12, 31)
    store.write("demo", DemoSource().fetch(universe.tickers, None, end).closes)
    frame = store.load("demo")
    load_s = timed(lambda: store.load("demo"))
    build_s = timed(
        lambda: build_briefing(
            frame, universe, as_of=None, source="demo", simulated=True, data_version="v"
        )
    )
    service = MarketService(
        DemoSource(), store, universe, clock=lambda: datetime(2026, 1, 2, 23, tzinfo=UTC)
    )
    service.snapshot()
    cached_s = timed(lambda: service.snapshot(), repeat=50)
    print(f"default universe: {frame.shape[1]} tickers x {frame.shape[0]} sessions")
    print(f"  store load           {load_s * 1e3:8.1f} ms")
    print(f"  build briefing       {build_s * 1e3:8.1f} ms")
    print(f"  load + build (cold)  {(load_s + build_s) * 1e3:8.1f} ms   target < 50 ms")
    print(f"  warm service lookup  {cached_s * 1e6:8.1f} us   (cached per data version)")


def bench_scaling(workdir: Path) -> None:
    """Time load + build for 50..500 synthetic tickers over 10 years."""
    base = load_universe()
    print("\nsynthetic universe, 10 years of sessions (load + build):")
    per_ticker_at_50: float | None = None
    for count in (50, 100, 200, 500):
        extra = [f"T{i:04d}" for i in range(count)]
        tickers = list(base.tickers) + extra
        universe = synthetic_universe(base, extra)
        store = PriceStore(workdir / f"synthetic-{count}.sqlite3")
        store.write("synthetic", synthetic_closes(tickers, SESSIONS_10Y))

        def load_and_build(store: PriceStore = store, universe: Universe = universe) -> None:
            frame = store.load("synthetic")
            build_briefing(
                frame, universe, as_of=None, source="synthetic", simulated=True, data_version="v"
            )

        seconds = timed(load_and_build, repeat=3)
        per_ticker = seconds / count
        per_ticker_at_50 = per_ticker_at_50 or per_ticker
        print(
            f"  {count:4d} (+{len(base.tickers)} default) tickers: {seconds * 1e3:8.1f} ms"
            f"   per-ticker cost vs 50: {per_ticker / per_ticker_at_50:5.2f}x"
            + ("   target < 1000 ms" if count == 500 else "")
        )


def main() -> None:
    """Run both benchmarks in a throwaway directory."""
    with tempfile.TemporaryDirectory() as tmp:
        bench_default(Path(tmp))
        bench_scaling(Path(tmp))


if __name__ == "__main__":
    main()

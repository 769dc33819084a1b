"""Benchmark: chart render times, cold and cached (run: uv run python -m tests.perf.charts).

Prints figures, asserts nothing: machines are noisy, so compare the ratios within one run.
"Cold" renders the chart from the snapshot every time (chart data + drawing + PNG encoding);
"cached" asks a warm ChartCache for the same chart. Medians of a few runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial

from briefings.build import build_briefing
from briefings.charts import CHART_KINDS, ChartCache, cached_chart, render_chart
from briefings.snapshot import Snapshot
from briefings.sources.demo import DemoSource
from briefings.universe import load_universe

SESSION = date(2025, 11, 20)


def timed(action: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``action`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def demo_snapshot() -> Snapshot:
    """Return the demo market's snapshot for SESSION."""
    universe = load_universe()
    source = DemoSource()
    closes = source.fetch(universe.tickers, None, SESSION).closes
    briefing = build_briefing(
        closes, universe, as_of=SESSION, source=source.name, simulated=True, data_version="v1"
    )
    return Snapshot(briefing=briefing, universe=universe, closes=closes)


def main() -> None:
    """Time every chart kind cold and cached, then ten threads asking for one new chart."""
    snapshot = demo_snapshot()
    render_chart(snapshot, "sectors")  # load fonts once, outside the timings
    cache = ChartCache()
    print(f"demo market, session {SESSION}: median of 5 cold renders, 200 cached lookups")
    print(f"  {'chart':12s} {'cold':>10s} {'cached':>12s} {'png size':>10s}")
    for kind in CHART_KINDS:
        image = render_chart(snapshot, kind)
        cold = timed(partial(render_chart, snapshot, kind), repeat=5)
        cached_chart(cache, snapshot, kind)
        warm = timed(partial(cached_chart, cache, snapshot, kind), repeat=200)
        print(
            f"  {kind:12s} {cold * 1e3:8.0f} ms {warm * 1e6:9.1f} us {len(image) / 1024:7.0f} KiB"
        )
    fresh = ChartCache()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        images = list(pool.map(lambda _: cached_chart(fresh, snapshot, "rrg-sectors"), range(10)))
    elapsed = time.perf_counter() - start
    stats = fresh.stats()
    print(
        f"\n10 threads asking for one uncached rrg-sectors chart: {elapsed * 1e3:.0f} ms, "
        f"{stats.renders} render, {stats.hits} waited for it, {len(set(images))} distinct image"
    )


if __name__ == "__main__":
    main()

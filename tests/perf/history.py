"""Benchmark: what the history costs, once per data version and then per session.

Run: uv run python -m tests.perf.history [--every N]
Prints figures, asserts nothing. Targets: per session (every pair's rank in history, the
regime's age, value vs growth analogs, small caps' sessions beaten since the low, the cyclical
industries' up streaks and the factor board) under 20 ms once the history is loaded.

Data: the real closes (../shared/market-data, or $MARKETBRIEF_TEST_MARKET_DATA); every Nth
session (default 10) from 2001-01-02 to the last close is timed.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.factors import factor_board
from briefings.analytics.rotation import sector_pairs
from briefings.build import SECTORS_GROUP
from briefings.history.book import HistoryBook
from briefings.sources.csvdir import CsvDirectorySource
from briefings.universe import load_universe
from tests.real_data import MARKET_DATA, has_market_data

FIRST_SESSION = date(2001, 1, 2)


def main(every: int = 10) -> None:
    if not has_market_data():
        print(f"no real market data at {MARKET_DATA}; nothing to measure")
        return
    universe = load_universe()
    tickers = tuple(dict.fromkeys((*universe.tickers, *universe.factor_tickers)))
    source = CsvDirectorySource(MARKET_DATA)
    closes = source.fetch(tickers, None, date(2026, 8, 21)).closes
    pairs = (*universe.pairs, *sector_pairs(universe, SECTORS_GROUP))
    cyclicals = universe.group("cyclicals").members
    print(f"real closes: {len(closes)} sessions x {closes.shape[1]} tickers, {len(pairs)} pairs")

    tracemalloc.start()
    started = time.perf_counter()
    book = HistoryBook(closes, universe, "bench")
    for pair in pairs:
        book.spread(pair.lead, pair.lag, "1M")
    regimes = book.regimes()
    book.legs(("^GSPC", "IWM", *cyclicals))
    last = regimes.index[-1].date()
    for pair in pairs:  # each figure's ranked sample, made once
        book.rank(pair.lead, pair.lag, "1M", last)
    book.regime_age(last)
    book.analogs("IWD", "IWF", last, threshold=4.0)  # the analogs' calendar, made once
    one_off = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = sum(series.nbytes for series in book._figures.values())
    held += sum(series.nbytes for series in book._legs.values())
    print(
        f"one-off per data version: {one_off * 1000:.0f} ms "
        f"({len(pairs)} pairs' 1M spread histories, the legs, every session's regime, "
        "the analogs' calendar); "
        f"traced peak {peak / 2**20:.1f} MiB, arrays kept {held / 2**20:.1f} MiB"
    )

    index = pd.DatetimeIndex(regimes.index)
    sessions = index[index >= pd.Timestamp(FIRST_SESSION)][::every]
    timings = []
    for session in sessions:
        day = session.date()
        started = time.perf_counter()
        for pair in pairs:
            book.rank(pair.lead, pair.lag, "1M", day)
        book.regime_age(day)
        book.analogs("IWD", "IWF", day, threshold=4.0)
        book.beaten_since_low("IWM", "SPY", day)
        book.up_streaks(cyclicals, day)
        factor_board(closes, universe.factors, universe.factor_benchmark, day)
        timings.append(time.perf_counter() - started)
    per_session = np.array(timings) * 1000
    print(
        f"per session ({len(sessions)} sessions, {sessions[0].date()} .. {sessions[-1].date()}): "
        f"median {np.median(per_session):.1f} ms, p95 {np.percentile(per_session, 95):.1f} ms, "
        f"max {per_session.max():.1f} ms (target < 20 ms)"
    )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {peak_rss:.0f} MiB (closes, pandas and the book)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=10, help="time every Nth session")
    main(parser.parse_args().every)

"""Benchmark: daily RRG quadrant changes of the sector SPDRs, old formula vs the current one.

Run: ``uv run python -m tests.perf.quadrant_changes [--data DIR] [--alerts]`` (default: the
development data in ../shared/market-data, or MARKETBRIEF_TEST_MARKET_DATA). Prints figures,
asserts nothing. ``--alerts`` also counts the alerts per session from full briefings.

Every session from --start to --end, each sector's quadrant against SPY is evaluated at that
session's close (the partial week as the last week), and a change is a session whose quadrant
differs from the session before's. Three counts:

- old: the formula before the volatility-normalised one (kept here only, for this comparison):
  RS-Ratio = 100 * RS / SMA10(RS), RS-Momentum = 100 * RS-Ratio / SMA4(RS-Ratio);
- new, raw: today's z-scored formula (``briefings.analytics.rrg``), every daily change;
- new, reported: the changes of the settled quadrant (a quadrant held for
  QUADRANT_HOLD_SESSIONS sessions in a row), which is what alerts and the briefing report.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from briefings.analytics.rrg import (
    HOLD_LOOKBACK_SESSIONS,
    QUADRANT_HOLD_SESSIONS,
    hold,
    quadrant,
    session_rotations,
    weekly_closes,
)
from briefings.sources.csvdir import read_close_series
from briefings.universe import load_universe

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "market-data"
OLD_RATIO_WEEKS, OLD_MOMENTUM_WEEKS = 10, 4


def old_rs_ratio_momentum(legs: np.ndarray, bench: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the old formula's RS-Ratio and RS-Momentum rows for weekly closes (legs x bench)."""
    strength = 100.0 * legs / bench
    ratio = 100.0 * strength / pd.DataFrame(strength).rolling(OLD_RATIO_WEEKS).mean().to_numpy()
    momentum = 100.0 * ratio / pd.DataFrame(ratio).rolling(OLD_MOMENTUM_WEEKS).mean().to_numpy()
    return ratio, momentum


def to_quadrants(ratios: np.ndarray, momenta: np.ndarray) -> list[str | None]:
    """Return the quadrant of each (ratio, momentum), None where undefined."""
    return [
        quadrant(float(r), float(m)) if np.isfinite(r) and np.isfinite(m) else None
        for r, m in zip(ratios, momenta, strict=True)
    ]


def changes(path: Sequence[str | None]) -> int:
    """Return how many times a defined quadrant differs from the defined one before it."""
    return sum(1 for a, b in itertools.pairwise(path) if a and b and a != b)


def old_paths(
    closes: pd.DataFrame, sectors: list[str], days: pd.DatetimeIndex
) -> list[list[str | None]]:
    """Return each sector's daily quadrants under the old formula."""
    weeks = OLD_RATIO_WEEKS + OLD_MOMENTUM_WEEKS + 1
    paths: list[list[str | None]] = [[] for _ in sectors]
    for day in days:
        weekly = weekly_closes(closes, day, weeks)
        ratio, momentum = old_rs_ratio_momentum(
            weekly[sectors].to_numpy(), weekly[["SPY"]].to_numpy()
        )
        for column, path in enumerate(paths):
            path.extend(to_quadrants(ratio[-1:, column], momentum[-1:, column]))
    return paths


def new_paths(
    closes: pd.DataFrame, sectors: list[str], days: pd.DatetimeIndex
) -> tuple[list[list[str | None]], list[list[str | None]]]:
    """Return each sector's daily quadrants and settled quadrants under today's formula."""
    lookback = HOLD_LOOKBACK_SESSIONS - 1
    first = int(closes.index.get_indexer(pd.DatetimeIndex([days[0]]))[0])
    count = len(closes.loc[: days[-1]]) - first + lookback
    benches = pd.concat([closes["SPY"]] * len(sectors), axis=1)
    _, ratios, momenta = session_rotations(closes[sectors], benches, days[-1], count)
    raw, settled = [], []
    for column in range(len(sectors)):
        path = to_quadrants(ratios[:, column], momenta[:, column])
        raw.append(path[lookback:])
        # As RelativeRotation.reported_quadrant: the settled quadrant, else the quadrant.
        settled.append(
            [
                hold(path[i - lookback : i + 1], QUADRANT_HOLD_SESSIONS)[1] or path[i]
                for i in range(lookback, len(path))
            ]
        )
    return raw, settled


def alert_rates(folder: Path, start: date, end: date) -> None:
    """Print the regime-change alerts per session (detected and pushed) from full briefings."""
    from briefings.alerts import detect_alerts, worth_pushing
    from briefings.build import build_briefing
    from briefings.sources.csvdir import CsvDirectorySource

    universe = load_universe()
    closes = CsvDirectorySource(folder).fetch(universe.tickers, None, end).closes
    window = closes.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    days = [day.date() for day in window.index[window["SPY"].notna()]]
    briefings = [
        build_briefing(closes, universe, as_of=day, source="csv", simulated=False, data_version="v")
        for day in days
    ]
    detected: Counter[str] = Counter()
    pushed: Counter[str] = Counter()
    for previous, current in itertools.pairwise(briefings):
        for alert in detect_alerts(previous, current):
            detected[alert.kind] += 1
            if worth_pushing(alert):
                pushed[alert.kind] += 1
    sessions = len(briefings) - 1
    print(f"\nAlerts {days[1]}..{days[-1]} ({sessions} sessions), per session:")
    for label, counts in (("detected", detected), ("pushed", pushed)):
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
        print(f"  {label}: {sum(counts.values()) / sessions:.2f} ({kinds})")


def main(argv: Sequence[str] | None = None) -> dict[str, int]:
    """Print the quadrant changes per sector and in total; return the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="a folder of TICKER.csv files")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 2))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 7, 31))
    parser.add_argument(
        "--alerts",
        action="store_true",
        help="also count the alerts per session, Jun 2025..--end (slower: full briefings)",
    )
    args = parser.parse_args(argv)

    folder = args.data or Path(os.environ.get("MARKETBRIEF_TEST_MARKET_DATA", DEFAULT_DATA))
    if not (folder / "SPY.csv").is_file():
        print(f"no market data at {folder}", file=sys.stderr)
        raise SystemExit(2)
    sectors = list(load_universe().group("sectors").members)
    closes = pd.DataFrame(
        {ticker: read_close_series(folder / f"{ticker}.csv") for ticker in [*sectors, "SPY"]}
    ).sort_index()
    days = closes.loc[pd.Timestamp(args.start) : pd.Timestamp(args.end)].index
    days = pd.DatetimeIndex(days[closes.loc[days, "SPY"].notna()])

    old = old_paths(closes, sectors, days)
    raw, settled = new_paths(closes, sectors, days)
    print(
        f"Daily RRG quadrant changes, {len(sectors)} sector SPDRs vs SPY, "
        f"{days[0].date()}..{days[-1].date()} ({len(days)} sessions)"
    )
    print(f"{'sector':8}{'old':>8}{'new raw':>10}{'reported':>10}")
    totals = {"old": 0, "new_raw": 0, "new_reported": 0}
    for ticker, a, b, c in zip(sectors, old, raw, settled, strict=True):
        row = (changes(a), changes(b), changes(c))
        totals["old"] += row[0]
        totals["new_raw"] += row[1]
        totals["new_reported"] += row[2]
        print(f"{ticker:8}{row[0]:>8}{row[1]:>10}{row[2]:>10}")
    print(f"{'total':8}{totals['old']:>8}{totals['new_raw']:>10}{totals['new_reported']:>10}")
    for key in ("new_raw", "new_reported"):
        share = 1 - totals[key] / totals["old"] if totals["old"] else float("nan")
        print(f"{key.replace('_', ' ')} vs old: {share:.0%} fewer (target: at least 33% fewer)")
    if args.alerts:
        alert_rates(folder, date(2025, 6, 2), args.end)
    return totals


if __name__ == "__main__":
    main()

"""Sweep: the demo market's members add up to its sector ETFs and its index on every session.

Run: uv run python -m tests.sweeps.demo_coherence [--from 2025-08-04] [--to 2026-07-31]
Per session, through the product's own figures (``MarketService`` on the demo source): the
Spearman rank correlation between the members' cap-weighted sector returns and the sector
ETFs' returns over 1M is at least 0.9, and the members' cap-weighted 1M index return is within
0.5 pp of SPY's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from briefings.calendar import sessions_in_range
from briefings.members.demo import GICS_OF_DEMO_SECTOR
from briefings.service import MarketService
from briefings.sources.demo import PROFILES, DemoSource
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.sweeps._runner import Check, report, sweep

#: The 250 demo sessions up to 2026-07-31.
SPAN = (date(2025, 8, 4), date(2026, 7, 31))
WINDOW = "1M"
INDEX = "sp500"
BENCHMARK = "SPY"
MIN_RANK_CORRELATION = 0.9
MAX_INDEX_GAP_PP = 0.5
#: Closes from here on cover the 1M windows and the members' 200-day averages of the span.
HISTORY_START = date(2024, 1, 2)


@dataclass(frozen=True)
class Coherence:
    """How well the members agree with the sector ETFs and the index at one session."""

    session: date
    rank_correlation: float
    """Spearman's rho between members' cap-weighted sector returns and the sector ETFs'."""
    index_gap_pp: float
    """The members' cap-weighted index return minus SPY's, in percentage points."""
    members_by_sector: dict[str, float]
    etfs_by_sector: dict[str, float]


def demo_service(data_dir: Path, through: date = SPAN[1]) -> MarketService:
    """Return a demo market service refreshed through ``through`` (a fixed clock)."""
    evening = datetime(through.year, through.month, through.day, 23, 0, tzinfo=UTC)
    service = MarketService(
        DemoSource(),
        PriceStore(data_dir / "prices.sqlite3"),
        load_universe(),
        clock=lambda: evening,
        history_start=HISTORY_START,
    )
    outcome = service.refresh()
    assert outcome.error is None, outcome.error
    return service


def sector_etfs(service: MarketService) -> dict[str, str]:
    """Return each sector ETF of the universe by the GICS sector its demo profile loads on."""
    etfs = service.universe.group("sectors").members
    return {GICS_OF_DEMO_SECTOR[PROFILES[etf].sector or ""]: etf for etf in etfs}


def spearman(first: Sequence[float], second: Sequence[float]) -> float:
    """Return Spearman's rho: the Pearson correlation of the two lists' ranks (ties averaged)."""
    ranks = pd.DataFrame({"a": first, "b": second}).rank()
    return float(ranks["a"].corr(ranks["b"]))


def coherence(service: MarketService, session: date) -> Coherence:
    """Return the members' agreement with the sector ETFs and SPY at ``session`` over 1M."""
    briefing = service.snapshot(as_of=session).briefing
    (members,) = (m for m in service.member_book().figures(session) if m.index == INDEX)
    etfs = sector_etfs(service)
    from_members: dict[str, float] = {}
    from_etfs: dict[str, float] = {}
    for sector in members.sectors:
        member_return = sector.returns[WINDOW]
        etf_return = briefing.returns[etfs[sector.sector]][WINDOW]
        assert member_return is not None, sector.sector
        assert etf_return is not None, sector.sector
        from_members[sector.sector] = member_return
        from_etfs[sector.sector] = etf_return
    assert from_members.keys() == etfs.keys(), sorted(from_members)
    index_return = members.index_return[WINDOW]
    spy_return = briefing.returns[BENCHMARK][WINDOW]
    assert index_return is not None
    assert spy_return is not None
    names = sorted(from_members)
    return Coherence(
        session=session,
        rank_correlation=spearman([from_members[n] for n in names], [from_etfs[n] for n in names]),
        index_gap_pp=index_return - spy_return,
        members_by_sector=from_members,
        etfs_by_sector=from_etfs,
    )


def assert_coherent(found: Coherence) -> None:
    """Raise AssertionError when the members and the ETFs tell different stories."""
    assert found.rank_correlation >= MIN_RANK_CORRELATION, (
        f"rank correlation {found.rank_correlation:.3f} < {MIN_RANK_CORRELATION}"
    )
    assert abs(found.index_gap_pp) <= MAX_INDEX_GAP_PP, (
        f"members' index return {found.index_gap_pp:+.2f} pp from SPY's"
    )


def coherence_check(service: MarketService, found: list[Coherence]) -> Check:
    """Return the check of one session on ``service``, keeping its figures in ``found``."""

    def check(session: date) -> None:
        figures = coherence(service, session)
        found.append(figures)
        assert_coherent(figures)

    return check


def run(argv: Sequence[str] | None = None) -> int:
    """Sweep the coherence check over the demo sessions; print the extremes; return the status."""
    parser = argparse.ArgumentParser(prog="python -m tests.sweeps.demo_coherence")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=SPAN[0])
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=SPAN[1])
    options = parser.parse_args(argv)
    sessions = sessions_in_range(options.start, options.end)
    if not sessions:
        print(f"demo_coherence: no sessions from {options.start} to {options.end}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="marketbrief-sweep-") as workdir:
        service = demo_service(Path(workdir), sessions[-1])
        found: list[Coherence] = []
        result = sweep(sessions, coherence_check(service, found))
    lowest = min(found, key=lambda item: item.rank_correlation)
    widest = max(found, key=lambda item: abs(item.index_gap_pp))
    print(
        f"demo_coherence: lowest rank correlation {lowest.rank_correlation:.3f} "
        f"({lowest.session}), widest index gap {widest.index_gap_pp:+.2f} pp ({widest.session})"
    )
    print(report("demo_coherence", result))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(run())
